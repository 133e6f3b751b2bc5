"""Cutting a reply that repeats itself (``2+2: 2+2: 2+2: …`` until the token limit).

Small models under greedy or low-temperature sampling fall into loops. A reply's tail is
periodic with period ``L`` exactly when ``tail[L:] == tail[:-L]``: one slice comparison per
candidate period, so the check is cheap enough to run as the text streams. A loop is a tail
of at least ``MIN_SPAN`` characters made of one unit of ``MIN_UNIT``..``MAX_UNIT`` characters
repeated at least ``MIN_REPEATS`` times; units without a letter or digit (``....``), one
character over and over (``yyyy``: a long token, not a phrase), short units (``ha ha``) and
short runs (a table's ``| --- | --- |``) are left alone.
"""

from __future__ import annotations

MIN_UNIT = 4
MAX_UNIT = 150
MIN_REPEATS = 4
MIN_SPAN = 160
CHECK_EVERY = 16  # characters of new text between checks


class RepetitionGuard:
    def __init__(self) -> None:
        self.text = ""
        self._checked = 0

    def feed(self, delta: str) -> int | None:
        """Add streamed text; returns how much of the whole text to keep once it loops, else None."""
        self.text += delta
        if len(self.text) - self._checked < CHECK_EVERY:
            return None
        self._checked = len(self.text)
        return loop_start(self.text)


def loop_start(text: str) -> int | None:
    """Where the repeating tail's second copy of its unit begins (keep one copy), or None."""
    for unit in range(MIN_UNIT, MAX_UNIT + 1):
        span = max(MIN_SPAN, unit * MIN_REPEATS)
        if span > len(text):
            break
        tail = text[-span:]
        if tail[unit:] != tail[:-unit]:
            continue
        if not any(c.isalnum() for c in tail[:unit]) or len(set(tail[:unit])) == 1:
            continue  # punctuation runs and one character over and over are not a phrase loop
        start = len(text) - span
        while start > 0 and text[start - 1] == text[start - 1 + unit]:
            start -= 1
        return start + unit
    return None
