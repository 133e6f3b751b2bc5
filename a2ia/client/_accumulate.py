"""Delta accumulation for the OpenAI chat-completion chunk shape.

Turns a sequence of already-parsed chunks (dicts, as from SSE ``data:`` lines or from
llama-cpp-python's generator) into ``StreamEvent``s. Wire parsing (bytes → chunks) lives
elsewhere; this piece only knows the chunk shape, so every client that speaks it shares it.

Tool-call deltas are accumulated by ``index``: the first delta of a call carries ``id`` and
``function.name``; some servers (llama.cpp's) repeat both in every delta, others send
``arguments`` in many fragments or not at all on the first one. A call is complete when the
choice's ``finish_reason`` arrives (or the stream ends); only then is it parsed and yielded.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from a2ia import json_text
from a2ia.errors import BackendProtocolError
from a2ia.json_text import JSONTextError, loads
from a2ia.types import Done, ReasoningDelta, StreamEvent, TextDelta, ToolCall, ToolCallReady, Usage, new_call_id


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def parse_arguments(raw: str | Mapping[str, Any] | None, *, repair: bool = True) -> tuple[dict[str, Any], str | None]:
    """Parse a tool call's ``arguments``: ``(arguments, None)`` or ``({}, what went wrong)``.

    Empty, ``null`` and ``"{}"`` all mean "no arguments" (servers differ for no-parameter tools).
    Broken JSON from small models (a missing brace, single quotes, bare keys) is repaired with
    ``json-repair`` unless ``repair`` is off (a call cut by ``max_tokens``: repairing it would
    run the call with truncated values).
    """
    if raw is None:
        return {}, None
    if isinstance(raw, Mapping):
        return dict(raw), None
    text = raw.strip()
    if not text or text == "null":
        return {}, None
    try:
        value = loads(text)
    except JSONTextError as exc:
        repaired = json_text.repair(text) if repair and text.startswith("{") else None
        if not isinstance(repaired, dict):
            return {}, f"arguments are not valid JSON ({exc.why}): {text[:200]}"
        value = repaired
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}: {text[:200]}"
    return value, None


class ChunkAccumulator:
    """Feed OpenAI-shaped chunks in order; collect the events each one completes."""

    def __init__(self) -> None:
        self._calls: dict[int, _PartialCall] = {}
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._finished = False

    def feed(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The events ``chunk`` completes; a chunk not of the OpenAI shape is a ``BackendProtocolError``."""
        events: list[StreamEvent] = []
        chunk = _expect(chunk, Mapping, "chunk", {})
        usage = _expect(chunk.get("usage"), Mapping, "usage", None)
        if usage:
            self._usage = Usage(
                prompt_tokens=_count(usage.get("prompt_tokens"), "usage.prompt_tokens"),
                completion_tokens=_count(usage.get("completion_tokens"), "usage.completion_tokens"),
            )
        for choice in _expect(chunk.get("choices"), _ARRAY, "choices", ()):
            choice = _expect(choice, Mapping, "choice", {})
            if choice.get("index") not in (None, 0):
                continue  # a2ia asks for one choice; ignore any others
            delta = _expect(choice.get("delta"), Mapping, "delta", {})
            reasoning = _expect(delta.get("reasoning_content"), str, "delta.reasoning_content", "") or _expect(
                delta.get("reasoning"), str, "delta.reasoning", ""
            )
            if reasoning:
                events.append(ReasoningDelta(text=reasoning))
            content = _expect(delta.get("content"), str, "delta.content", "")
            if content:
                events.append(TextDelta(text=content))
            for part in _expect(delta.get("tool_calls"), _ARRAY, "delta.tool_calls", ()):
                self._add_call_delta(_expect(part, Mapping, "tool call delta", {}))
            finish_reason = _expect(choice.get("finish_reason"), str, "finish_reason", "")
            if finish_reason:
                self._finish_reason = finish_reason
                events.extend(self._flush_calls())
        return events

    def finish(self) -> list[StreamEvent]:
        """The events owed at the end of the stream: calls not yet flushed, usage, ``Done``."""
        if self._finished:
            return []
        self._finished = True
        events: list[StreamEvent] = list(self._flush_calls())
        if self._usage is not None:
            events.append(self._usage)
        events.append(Done(finish_reason=self._finish_reason or "stop"))
        return events

    def _add_call_delta(self, part: Mapping[str, Any]) -> None:
        index = _count(part.get("index"), "tool call index")
        call = self._calls.setdefault(index, _PartialCall())
        call_id = _expect(part.get("id"), str, "tool call id", "")
        if call_id and not call.id:
            call.id = call_id
        function = _expect(part.get("function"), Mapping, "tool call function", {})
        name = _expect(function.get("name"), str, "tool call name", "")
        if name and name != call.name:
            # Servers that repeat the name send the same string again: keep one copy.
            call.name = name if not call.name else call.name + name
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):
            call.arguments = [json.dumps(arguments)]
        elif _expect(arguments, str, "tool call arguments", ""):
            call.arguments.append(arguments)

    def _flush_calls(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        cut = self._finish_reason == "length"
        for index in sorted(self._calls):
            partial = self._calls[index]
            arguments, error = parse_arguments("".join(partial.arguments), repair=not cut)
            if error and cut:
                error += " (the reply was cut by the token limit)"
            call = ToolCall(
                id=partial.id or new_call_id(),
                name=partial.name,
                arguments=arguments,
                arguments_error=error,
            )
            events.append(ToolCallReady(call=call))
        self._calls.clear()
        return events


_ARRAY = (list, tuple)
_KIND_NAMES: dict[Any, str] = {Mapping: "an object", _ARRAY: "an array", str: "a string"}


def _expect(value: Any, kind: Any, what: str, default: Any) -> Any:
    """``value`` if it is a ``kind``, ``default`` if it is missing (``None``), else ``BackendProtocolError``."""
    if value is None:
        return default
    if not isinstance(value, kind):
        raise BackendProtocolError(f"the server sent a chunk whose {what} is not {_KIND_NAMES[kind]}: {reprlib.repr(value)}")
    return value


def _count(value: Any, what: str) -> int:
    """A token count or an index: a non-negative integer (a digit string is read), ``None`` is 0."""
    if value is None:
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BackendProtocolError(f"the server sent a chunk whose {what} is not a count: {reprlib.repr(value)}")
    return value
