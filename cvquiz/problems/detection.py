"""Problem generators for the detection topic."""

from __future__ import annotations
