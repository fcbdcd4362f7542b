"""Problem generators for the attention topic."""

from __future__ import annotations
