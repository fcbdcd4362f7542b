"""Problem generators for the sequence topic."""

from __future__ import annotations
