"""Shared helpers of the grader's end-to-end tests."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def sandbox_flags() -> tuple[str, ...]:
    """``--unsafe-no-sandbox`` where this machine lacks a required isolation layer, else nothing.

    `grade` and `check --all` fail closed; on a machine without the layers the engine's behaviour
    is still tested, with only the separate process and its resource limits.
    """
    from cvquiz.grade import sandbox

    return ("--unsafe-no-sandbox",) if sandbox.missing(sandbox.probe()) else ()
