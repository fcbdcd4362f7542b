"""Commands that exist in the CLI but are not built yet."""

from __future__ import annotations

from cvquiz.errors import NotBuiltError


def not_built(name: str) -> None:
    raise NotBuiltError(name)
