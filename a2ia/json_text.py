"""JSON that comes from outside (a model, a server, a file): read strictly, or tolerantly.

``json.loads`` fails in three ways on such text: ``JSONDecodeError``, ``ValueError`` for an
integer over Python's digit limit, and ``RecursionError`` for deep nesting. ``loads`` turns all
three into one ``JSONTextError`` (a ``ValueError``) whose ``why`` is short enough for a message.
``loads_or_repair`` also mends what small models get wrong (a missing brace, single quotes,
bare keys) with ``json-repair``; ``first_json_object`` finds an object inside prose, and
``object_end`` says where one ends while it still streams.
"""

from __future__ import annotations

import json
from typing import Any


class JSONTextError(ValueError):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def why_not_json(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg}, character {exc.pos}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)  # e.g. an integer over Python's digit limit


def loads(text: str | bytes) -> Any:
    """``json.loads``, every failure a ``JSONTextError``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise JSONTextError(why_not_json(exc)) from None


def repair(text: str) -> Any:
    """``json_repair.loads``, imported only when some JSON is broken (it is not free at start-up).

    ``None`` when even the repair fails (it raises on some inputs, e.g. very deep nesting).
    """
    import json_repair

    try:
        return json_repair.loads(text)
    except Exception:  # noqa: BLE001 - a repair that fails is no repair; the caller reports the JSON error
        return None


def loads_or_repair(text: str) -> Any:
    """``text`` as JSON, else as ``json-repair`` mends it, else ``None``."""
    try:
        return loads(text)
    except JSONTextError:
        return repair(text)


def object_end(text: str) -> int | None:
    """Where the JSON value ``text`` starts with ends; ``None`` while it may still be growing."""
    try:
        _value, end = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return None
    return end


def first_json_object(text: str) -> str | None:
    """The first balanced ``{…}`` in ``text`` (strings and escapes respected), or ``None``.

    One pass, linear in the length: the braces that open are kept on a stack; the first one to
    close with nothing open before it is the answer; if the first brace never closes, the answer
    is the earliest brace that does (``{ {"a": 1}`` → ``{"a": 1}``). Braces inside strings do not
    count. (Trying each ``{`` in turn and scanning to its end took quadratic time: a reply of
    30,000 unclosed braces blocked the loop for seconds.)
    """
    start = text.find("{")
    if start == -1:
        return None
    opened: list[int] = []
    best: tuple[int, int] | None = None
    in_string = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            opened.append(index)
        elif char == "}" and opened:
            begin = opened.pop()
            if not opened:
                return text[begin : index + 1]
            if best is None or begin < best[0]:
                best = (begin, index)
    return text[best[0] : best[1] + 1] if best else None
