"""The one contract every model backend implements."""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing

from a2ia.client.text_calls import recover_text_calls
from a2ia.errors import BackendProtocolError
from a2ia.types import (
    Capabilities,
    ChatOptions,
    Done,
    Message,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolSpec,
)


class LLMClient(abc.ABC):
    """A model backend. ``stream`` is the primitive; ``chat`` is built on it.

    ``stream`` yields ``StreamEvent``s: text and reasoning deltas as they arrive, each tool
    call once it is complete and parsed (``ToolCallReady``), then ``Usage`` and ``Done``.
    Closing the iterator early (cancellation) stops generation on the backend.

    A backend implements ``_stream``; ``stream`` wraps it with the one shared recovery of tool
    calls written as text (``text_calls``) and closes it deterministically when the consumer
    stops early.
    """

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        options: ChatOptions | None = None,
    ) -> AsyncIterator[StreamEvent]:
        options = options or ChatOptions()
        offered = [] if options.tool_choice == "none" else list(tools)
        async with aclosing(recover_text_calls(self._stream(messages, tools, options), offered)) as events:
            async for event in events:
                yield event

    @abc.abstractmethod
    def _stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncGenerator[StreamEvent, None]:
        """The backend's own event stream for one request."""

    @abc.abstractmethod
    async def capabilities(self) -> Capabilities: ...

    def count_tokens(self, text: str) -> int | None:
        """Tokens in ``text`` by the backend's own tokenizer, or ``None`` where there is none here."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most clients hold nothing
        """Release what the client holds (connections, model memory)."""

    async def chat(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] = (),
        options: ChatOptions | None = None,
    ) -> Message:
        """The whole reply as one assistant ``Message``, collected from ``stream``."""
        text: list[str] = []
        calls = []
        done = False
        async for event in self.stream(messages, tools, options):
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, ToolCallReady):
                calls.append(event.call)
            elif isinstance(event, Done):
                done = True
        if not done:
            raise BackendProtocolError("the model's reply ended without a finish event")
        return Message(role="assistant", content="".join(text), tool_calls=tuple(calls))

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
