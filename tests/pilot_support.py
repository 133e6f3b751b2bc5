"""Waiting on the Textual app under its pilot: a condition polled under a deadline."""

from __future__ import annotations

import time


async def wait_pilot(pilot, predicate, what: str, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def type_in(pilot, text: str, key: str = "enter"):
    """Put ``text`` in the app's prompt and press ``key`` (Enter sends it, Tab completes it); the prompt."""
    prompt = pilot.app.query_one("#prompt")
    prompt.text = text
    prompt.focus()
    await pilot.press(key)
    return prompt
