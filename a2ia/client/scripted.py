"""A deterministic ``LLMClient`` for tests and demos (like pydantic-ai's ``FunctionModel``).

Give it a list of replies, consumed one per request, or a function that computes the reply
from the request (``ScriptedRequest``: messages, tools, options). A reply is a string
(streamed as a few text deltas), a ``ToolCall``, a ``RawCall`` (arguments as a model wrote
them, broken or not), a list mixing these (``CUT_SHORT`` in it ends the reply as the token
limit does), or an exception to raise (a failing backend). What it can do is set by its
fields (``native_tools``, ``constrained_decoding``, ``context_length``, ``model_id``, ``vision``).

A reply is sent as the OpenAI chunk shape and read back by the same ``ChunkAccumulator`` as
the vLLM, OpenAI-compatible and embedded clients: arguments are accumulated, repaired or
reported, calls flushed at the finish reason, exactly as for a real server.

It is shipped in the package, not only in tests, so every front end can be driven end to
end without a model: ``a2ia-cli --backend scripted`` reads replies from ``A2IA_SCRIPT``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from a2ia.client._accumulate import ChunkAccumulator
from a2ia.client.base import LLMClient
from a2ia.errors import ConfigError
from a2ia.types import Capabilities, ChatOptions, Message, StreamEvent, ToolCall, ToolSpec, new_call_id


@dataclass(frozen=True)
class RawCall:
    """A call as a model wrote it: ``arguments`` is the text sent, valid JSON or not."""

    name: str
    arguments: str
    id: str = field(default_factory=new_call_id)


class _CutShort:
    def __repr__(self) -> str:
        return "CUT_SHORT"


CUT_SHORT = _CutShort()
"""In a reply: it ends as a reply cut by the token limit does (``finish_reason`` "length")."""

ReplyPart = Union[str, ToolCall, RawCall, _CutShort]
Reply = Union[ReplyPart, Sequence[ReplyPart], BaseException]


@dataclass(frozen=True)
class ScriptedRequest:
    """What the client was asked, kept for assertions and given to a reply function."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    options: ChatOptions


ReplyFunction = Callable[[ScriptedRequest], Reply]


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


def reply_chunks(parts: Sequence[ReplyPart], prompt_tokens: int) -> Iterator[dict[str, Any]]:
    """``parts`` as a server streams them: text in word-sized deltas, each call's arguments in two."""
    produced = calls = 0
    cut = False
    for part in parts:
        if isinstance(part, _CutShort):
            cut = True
        elif isinstance(part, (ToolCall, RawCall)):
            arguments = part.arguments if isinstance(part, RawCall) else json.dumps(part.arguments)
            half = len(arguments) // 2
            yield _chunk({"tool_calls": [{"index": calls, "id": part.id, "type": "function",
                                          "function": {"name": part.name, "arguments": arguments[:half]}}]})
            yield _chunk({"tool_calls": [{"index": calls, "function": {"arguments": arguments[half:]}}]})
            calls += 1
            produced += 1
        else:
            for piece in re.findall(r"\S*\s*", part):
                if piece:
                    produced += 1
                    yield _chunk({"content": piece})
    finish = "length" if cut else "tool_calls" if calls else "stop"
    # About 4 characters a token; cheap, so a 1,000-turn session measures a2ia, not the script.
    yield {**_chunk({}, finish), "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": produced}}


@dataclass
class ScriptedClient(LLMClient):
    replies: Sequence[Reply] | ReplyFunction = ()
    model_id: str = "scripted"
    native_tools: bool = True
    constrained_decoding: bool = False
    context_length: int | None = 1_000_000
    """A script has no real window; a large one keeps the budget out of the way unless set."""
    vision: bool = False
    requests: list[ScriptedRequest] = field(default_factory=list)

    async def capabilities(self) -> Capabilities:
        return Capabilities(
            native_tools=self.native_tools, constrained_decoding=self.constrained_decoding,
            context_length=self.context_length, model_id=self.model_id, vision=self.vision,
        )

    def _next_reply(self, request: ScriptedRequest) -> Reply:
        if callable(self.replies):
            return self.replies(request)
        index = len(self.requests) - 1
        if index >= len(self.replies):
            return "(the script has no more replies)"
        return self.replies[index]

    async def _stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        request = ScriptedRequest(tuple(messages), tuple(tools), options)
        self.requests.append(request)
        reply = self._next_reply(request)
        if isinstance(reply, BaseException):
            raise reply
        parts: Sequence[ReplyPart] = [reply] if isinstance(reply, (str, ToolCall, RawCall, _CutShort)) else reply
        accumulator = ChunkAccumulator()
        for chunk in reply_chunks(parts, prompt_tokens=sum(len(m.content) for m in messages) // 4):
            for event in accumulator.feed(chunk):
                yield event
        for event in accumulator.finish():
            yield event


def scripted_client_from_env(env: dict[str, str] | None = None) -> ScriptedClient:
    """Build a ``ScriptedClient`` from ``A2IA_SCRIPT``: a JSON list of replies.

    Each reply is a string, ``{"tool": NAME, "arguments": {...}}``, ``{"echo": true}`` (repeat
    the last user message), ``{"echo": "system"}`` (repeat the system prompt), or a list of those.
    Used by the CLI's ``--backend scripted``, which exists so front ends can be driven end to
    end without a model.
    """
    raw = (env if env is not None else os.environ).get("A2IA_SCRIPT")
    if not raw:
        raise ConfigError(
            "the scripted backend needs A2IA_SCRIPT",
            hint='set A2IA_SCRIPT to a JSON list of replies, e.g. \'["hello"]\'',
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"A2IA_SCRIPT is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, list):
        raise ConfigError("A2IA_SCRIPT must be a JSON list of replies")

    def part(item: object) -> ReplyPart:
        if isinstance(item, str):
            return item
        if isinstance(item, dict) and (item.get("echo") is True or item.get("echo") == "system"):
            return ""
        if isinstance(item, dict) and isinstance(item.get("tool"), str):
            return ToolCall(id=new_call_id(), name=item["tool"], arguments=item.get("arguments") or {})
        raise ConfigError(f"A2IA_SCRIPT: cannot read reply part {item!r}")

    replies: list[Reply] = [[part(p) for p in r] if isinstance(r, list) else part(r) for r in data]
    echo_at = {i: r["echo"] for i, r in enumerate(data) if isinstance(r, dict) and r.get("echo") in (True, "system")}

    def reply(request: ScriptedRequest) -> Reply:
        index = len(client.requests) - 1
        if index in echo_at:
            role = "system" if echo_at[index] == "system" else "user"
            return next((m.content for m in reversed(request.messages) if m.role == role), "")
        return replies[index] if index < len(replies) else "(the script has no more replies)"

    client = ScriptedClient(replies=reply)
    return client
