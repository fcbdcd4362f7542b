"""Problem generators for the points topic."""

from __future__ import annotations
