"""Problem generators for the generative topic."""

from __future__ import annotations
