"""Recovering tool calls that a model wrote as text instead of through the tool-call channel.

Seen in the wild: a ``<tool_call>{…}</tool_call>`` block left in ``content`` (vLLM's hermes
parser while streaming, or a call cut by ``max_tokens``), a reply that is only a JSON object
naming a tool, the same inside a ```` ```json ```` fence. One parser serves every client: wrap a
client's event stream with ``recover_text_calls(events, tools)``.

Text that may be a call is held back while it streams (a reply that starts like one, or from
a ``<tool_call>`` tag on); at the end it becomes ``ToolCallReady`` events if it parses into
calls that name offered tools, and is released as text otherwise. Nothing is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from contextlib import aclosing
from typing import Any

from a2ia.client._accumulate import parse_arguments
from a2ia.json_text import JSONTextError, loads
from a2ia.types import Done, StreamEvent, TextDelta, ToolCall, ToolCallReady, ToolSpec, Usage, new_call_id

CALL_TAG = "<tool_call>"
_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_STARTS = ("<tool_call>", "```", "{")


def _could_start_call(text: str) -> bool:
    stripped = text.lstrip()
    return any(start.startswith(stripped) or stripped.startswith(start) for start in _STARTS)


def partial_suffix(text: str, marker: str) -> int:
    """How many trailing characters of ``text`` could be the start of ``marker`` (held back while streaming)."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


def _as_call(obj: Any, names: set[str]) -> ToolCall | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or obj["name"] not in names:
        return None  # a name that is not a string (a list, an object) names no tool, and cannot be looked up
    raw = obj.get("arguments", obj.get("parameters", {}))
    arguments, error = parse_arguments(raw if isinstance(raw, (str, dict)) or raw is None else json.dumps(raw))
    return ToolCall(id=new_call_id(), name=obj["name"], arguments=arguments, arguments_error=error)


def parse_text_calls(text: str, tools: Iterable[ToolSpec]) -> list[ToolCall]:
    """The calls in ``text``, or ``[]`` if it is not (entirely) tool calls to offered tools."""
    names = {t.name for t in tools}
    stripped = text.strip()
    if not stripped or not names:
        return []
    if CALL_TAG in stripped:
        bodies = _BLOCK.findall(stripped)
    else:
        fenced = _FENCE.match(stripped)
        bodies = [fenced.group(1) if fenced else stripped]
    calls = []
    for body in bodies:
        try:
            obj = loads(body)
        except JSONTextError:
            return []
        objs = obj if isinstance(obj, list) else [obj]
        for item in objs:
            call = _as_call(item, names)
            if call is None:
                return []
            calls.append(call)
    return calls


async def recover_text_calls(events: AsyncGenerator[StreamEvent, None], tools: Sequence[ToolSpec]) -> AsyncIterator[StreamEvent]:
    """Pass ``events`` through, turning tool calls written as text into ``ToolCallReady``.

    ``events`` is closed when this generator is (a cancelled turn stops the backend at once).
    """
    async with aclosing(events):
        async for event in _recover(events, tools):
            yield event


async def _recover(events: AsyncIterator[StreamEvent], tools: Sequence[ToolSpec]) -> AsyncIterator[StreamEvent]:
    if not tools:
        async for event in events:
            yield event
        return
    released: list[str] = []  # text already passed on
    held = ""  # text that may still be a call
    undecided = True  # nothing but possible-call text so far
    native_calls = False
    recovered = False
    async for event in events:
        if isinstance(event, TextDelta):
            held += event.text
            if undecided and _could_start_call(held):
                continue
            undecided = False
            if CALL_TAG in held:
                continue  # from the tag on, everything waits for the end
            keep = partial_suffix(held, CALL_TAG)
            out, held = held[: len(held) - keep], held[len(held) - keep :]
            if out:
                released.append(out)
                yield TextDelta(text=out)
            continue
        if isinstance(event, ToolCallReady):
            native_calls = True
        if isinstance(event, (Usage, Done)) and held:
            start = held.index(CALL_TAG) if CALL_TAG in held else 0
            calls = [] if native_calls else parse_text_calls(held[start:], tools)
            if calls:
                before = held[:start]
                # Whitespace alone before the calls is dropped only if no text went out yet; after
                # text it is kept, so the text does not depend on where the deltas were cut.
                if before.strip() or (before and released):
                    yield TextDelta(text=before)
                for call in calls:
                    yield ToolCallReady(call=call)
                recovered = True
            else:
                yield TextDelta(text=held)
            held = ""
        if isinstance(event, Done) and recovered:
            event = Done(finish_reason="tool_calls")
        yield event
    if held:  # a stream that ended without Done: release what was held
        yield TextDelta(text=held)
