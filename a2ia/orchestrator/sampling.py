"""Sampling: an MCP server asks a2ia's model for a completion (``sampling/createMessage``).

The person decides, through the same approver as tool calls: they see which server asks, its
system prompt and messages and the tokens it wants, and answer once, always (for this
server, while a2ia runs) or deny. A server configured ``"sampling": true`` is not asked
about; without anyone to ask (a script without ``--yes``) a request is denied. The request
goes through the session's ``LLMClient`` with its own token limit (``sampling_max_tokens``:
a server cannot spend more by asking), without tools, and the reply is shown as it goes back.
A request a2ia cannot serve is refused as MCP error data the server reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from mcp.client.session import ClientRequestContext
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    CreateMessageRequestParams,
    CreateMessageResult,
    ErrorData,
    TextContent,
)

from a2ia.client.base import LLMClient
from a2ia.errors import A2iaError
from a2ia.orchestrator.events import ApprovalNeeded, Notice
from a2ia.orchestrator.running import Approver
from a2ia.tools.mcp_content import block_text
from a2ia.types import ChatOptions, Done, Message, TextDelta, ToolCall, new_call_id

log = logging.getLogger(__name__)

DEFAULT_SAMPLING_MAX_TOKENS = 1024
SAMPLING = "sampling/createMessage"  # the name the person is asked about, as a call of the server's
MAX_STOPS = 4  # what OpenAI-compatible servers take
DECLINED = -1  # the code MCP's examples use for a request the user declined


class Sampler:
    """One per a2ia run: ``callback(server)`` is the SDK's ``sampling_callback`` for that server."""

    def __init__(
        self,
        client: LLMClient,
        approver: Approver | None,
        *,
        allowed: frozenset[str] = frozenset(),
        max_tokens: int = DEFAULT_SAMPLING_MAX_TOKENS,
        show: Callable[[Notice], None] = lambda notice: None,
    ) -> None:
        self.client, self.approver, self.max_tokens, self.show = client, approver, max_tokens, show
        self.always: set[str] = set(allowed)  # servers configured "sampling": true, and those answered "always"

    def callback(self, server: str):
        async def create_message(context: ClientRequestContext, params: CreateMessageRequestParams):
            return await self.answer(server, params)

        return create_message

    async def answer(self, server: str, params: CreateMessageRequestParams) -> CreateMessageResult | ErrorData:
        messages = [Message(role="assistant" if m.role == "assistant" else "user",
                            content="\n".join(block_text(b) for b in m.content_as_list)) for m in params.messages]
        if not messages:
            return ErrorData(code=INVALID_REQUEST, message="sampling/createMessage needs at least one message")
        granted = max(1, min(params.max_tokens, self.max_tokens))
        if server not in self.always and not await self._approved(server, params, messages, granted):
            return ErrorData(code=DECLINED, message="the person declined this sampling request")
        request = [Message.system(params.system_prompt)] if params.system_prompt else []
        temperature = params.temperature if params.temperature is not None and 0 <= params.temperature <= 2 else None  # NaN too
        stop = tuple(s for s in params.stop_sequences or () if s)[:MAX_STOPS]
        options = ChatOptions(max_tokens=granted, temperature=temperature, stop=stop)
        text: list[str] = []
        finish = "stop"
        try:
            async for event in self.client.stream([*request, *messages], (), options):
                if isinstance(event, TextDelta):
                    text.append(event.text)
                elif isinstance(event, Done):
                    finish = event.finish_reason
        except A2iaError as exc:
            self.show(Notice(level="warning", text=f"the sampling request of {server} failed: {exc.message}"))
            return ErrorData(code=INTERNAL_ERROR, message=f"the model failed: {exc.message}")
        reply = "".join(text)
        self.show(Notice(text=f"sampling reply to {server} ({len(reply):,} characters): {_preview(reply)}"))
        caps = await self.client.capabilities()
        return CreateMessageResult(role="assistant", content=TextContent(type="text", text=reply), model=caps.model_id,
                                   stop_reason="maxTokens" if finish == "length" else "endTurn")

    async def _approved(self, server: str, params: CreateMessageRequestParams, messages: list[Message], granted: int) -> bool:
        if self.approver is None:
            self.show(Notice(level="warning", text=f"{server} asked the model for a completion; denied (no one to ask; "
                                                   f"\"sampling\": true in its config allows it)"))
            return False
        asked = f"up to {params.max_tokens:,} tokens" + (f", given at most {granted:,}" if granted < params.max_tokens else "")
        call = ToolCall(id=new_call_id(), name=SAMPLING, arguments={
            "system_prompt": params.system_prompt or "", "messages": [f"{m.role}: {m.content}" for m in messages], "max_tokens": asked,
        })
        said = _preview(" / ".join(f"{m.role}: {m.content}" for m in messages))
        self.show(Notice(text=f"? the MCP server {server} asks the model for a completion ({asked}): {said}"))
        answer = await self.approver(ApprovalNeeded(call=call, server=server, reason=f"the MCP server {server} asks the model for a completion"))
        if answer == "always":
            self.always.add(server)
        return answer in ("once", "always")


def _preview(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
