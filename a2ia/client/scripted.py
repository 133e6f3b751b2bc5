"""A deterministic ``LLMClient`` for tests and demos (like pydantic-ai's ``FunctionModel``).

Give it a list of replies, consumed one per request, or a function that computes the reply
from the request. A reply is a string (streamed as a few text deltas), a ``ToolCall``, a list
mixing both, or an exception to raise (to simulate a failing backend).

It is shipped in the package, not only in tests, so every front end can be driven end to
end without a model: ``a2ia-cli --backend scripted`` reads replies from ``A2IA_SCRIPT``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Union

from a2ia.client.base import LLMClient
from a2ia.errors import ConfigError
from a2ia.types import (
    Capabilities,
    ChatOptions,
    Done,
    Message,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolSpec,
    Usage,
)

ReplyPart = Union[str, ToolCall]
Reply = Union[ReplyPart, Sequence[ReplyPart], BaseException]
ReplyFunction = Callable[[Sequence[Message], Sequence[ToolSpec]], Reply]


@dataclass(frozen=True)
class ScriptedRequest:
    """What the client was asked, kept for assertions."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    options: ChatOptions


@dataclass
class ScriptedClient(LLMClient):
    replies: Sequence[Reply] | ReplyFunction = ()
    model_id: str = "scripted"
    requests: list[ScriptedRequest] = field(default_factory=list)

    async def capabilities(self) -> Capabilities:
        # A script has no real window; a large one keeps the budget out of the way unless a test sets one.
        return Capabilities(
            native_tools=True, constrained_decoding=False, context_length=1_000_000, model_id=self.model_id
        )

    def _next_reply(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> Reply:
        if callable(self.replies):
            return self.replies(messages, tools)
        index = len(self.requests) - 1
        if index >= len(self.replies):
            return "(the script has no more replies)"
        return self.replies[index]

    async def _stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        self.requests.append(ScriptedRequest(tuple(messages), tuple(tools), options))
        reply = self._next_reply(messages, tools)
        if isinstance(reply, BaseException):
            raise reply
        parts: Sequence[ReplyPart] = [reply] if isinstance(reply, (str, ToolCall)) else reply
        produced = 0
        has_calls = False
        for part in parts:
            if isinstance(part, ToolCall):
                has_calls = True
                yield ToolCallReady(call=part)
                produced += 1
            else:
                for piece in re.findall(r"\S*\s*", part):
                    if piece:
                        produced += 1
                        yield TextDelta(text=piece)
        # About 4 characters a token; cheap, so a 1,000-turn session measures a2ia, not the script.
        yield Usage(prompt_tokens=sum(len(m.content) for m in messages) // 4, completion_tokens=produced)
        yield Done(finish_reason="tool_calls" if has_calls else "stop")


def scripted_client_from_env(env: dict[str, str] | None = None) -> ScriptedClient:
    """Build a ``ScriptedClient`` from ``A2IA_SCRIPT``: a JSON list of replies.

    Each reply is a string, ``{"tool": NAME, "arguments": {...}}``, ``{"echo": true}`` (repeat
    the last user message), or a list of those.
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
    counter = iter(range(1_000_000))

    def part(item: object) -> ReplyPart:
        if isinstance(item, str):
            return item
        if isinstance(item, dict) and item.get("echo") is True:
            return ""
        if isinstance(item, dict) and isinstance(item.get("tool"), str):
            return ToolCall(id=f"call_{next(counter)}", name=item["tool"], arguments=item.get("arguments") or {})
        raise ConfigError(f"A2IA_SCRIPT: cannot read reply part {item!r}")

    replies: list[Reply] = [[part(p) for p in r] if isinstance(r, list) else part(r) for r in data]
    echo_at = {i for i, r in enumerate(data) if isinstance(r, dict) and r.get("echo") is True}

    def reply(messages: Sequence[Message], _tools: Sequence[ToolSpec]) -> Reply:
        index = len(client.requests) - 1
        if index in echo_at:
            return next((m.content for m in reversed(messages) if m.role == "user"), "")
        return replies[index] if index < len(replies) else "(the script has no more replies)"

    client = ScriptedClient(replies=reply)
    return client
