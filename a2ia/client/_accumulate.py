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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import json_repair

from a2ia.types import Done, ReasoningDelta, StreamEvent, TextDelta, ToolCall, ToolCallReady, Usage


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
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        repaired = json_repair.loads(text) if repair and text.startswith("{") else None
        if not isinstance(repaired, dict):
            return {}, f"arguments are not valid JSON ({exc.msg} at character {exc.pos}): {text[:200]}"
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
        events: list[StreamEvent] = []
        usage = chunk.get("usage")
        if usage:
            self._usage = Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            )
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue  # a2ia asks for one choice; ignore any others
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                events.append(ReasoningDelta(text=reasoning))
            if delta.get("content"):
                events.append(TextDelta(text=delta["content"]))
            for part in delta.get("tool_calls") or ():
                self._add_call_delta(part)
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
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
        index = int(part.get("index") or 0)
        call = self._calls.setdefault(index, _PartialCall())
        if part.get("id") and not call.id:
            call.id = part["id"]
        function = part.get("function") or {}
        name = function.get("name")
        if name and name != call.name:
            # Servers that repeat the name send the same string again: keep one copy.
            call.name = name if not call.name else call.name + name
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):
            call.arguments = [json.dumps(arguments)]
        elif arguments:
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
                id=partial.id or f"call_{index}",
                name=partial.name,
                arguments=arguments,
                arguments_error=error,
            )
            events.append(ToolCallReady(call=call))
        self._calls.clear()
        return events
