"""Waiting for something to become true: polled under a deadline, never a fixed sleep."""

from __future__ import annotations

from collections.abc import Callable

import anyio


async def until(predicate: Callable[[], object], what: str, timeout_s: float = 15.0, interval_s: float = 0.02):
    """``predicate()``'s first true value; ``AssertionError`` naming ``what`` after ``timeout_s``."""
    try:
        with anyio.fail_after(timeout_s):
            while not (value := predicate()):
                await anyio.sleep(interval_s)
            return value
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}") from None
