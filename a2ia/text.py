"""Text helpers shared by layers that cannot import each other."""

from __future__ import annotations


def head_and_tail(text: str, keep_chars: int, note: str) -> str:
    """``text`` cut to about ``keep_chars`` characters, two thirds head and one third tail,
    with ``[… N characters <note> …]`` where the middle was."""
    if len(text) <= keep_chars:
        return text
    head = keep_chars * 2 // 3
    tail = keep_chars - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n[… {cut} characters {note} …]\n{text[len(text) - tail:] if tail else ''}"
