"""Two ways to get tool calls out of a model, behind one interface: ``ToolProtocol``.

``reply`` streams one model reply as ``StreamEvent``s of the same meaning in every mode:
``TextDelta`` is words for the person, ``ReasoningDelta`` is thinking, ``ToolCallReady`` a call
to run, then ``Usage`` and ``Done``. The loop above never needs to know which mode ran.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

from a2ia.client.base import LLMClient
from a2ia.orchestrator import react
from a2ia.orchestrator.events import Notice
from a2ia.types import (
    ChatOptions,
    Done,
    Message,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolSpec,
    Usage,
)

MAX_CORRECTIONS = 2
RETRY_TEMPERATURES = (0.5, 0.8)  # by retry; the greedy first try repeated itself on every retry


def retry_options(options: ChatOptions, retry: int) -> ChatOptions:
    """A corrective retry samples differently (more temperature, another seed): the same greedy
    decoding of nearly the same prompt gives the same unusable reply (measured: three times
    to the token cap in constrained mode)."""
    temperature = max(options.temperature or 0.0, RETRY_TEMPERATURES[min(retry, len(RETRY_TEMPERATURES)) - 1])
    seed = None if options.seed is None else options.seed + retry
    return options.model_copy(update={"temperature": temperature, "seed": seed})




class ToolProtocol(abc.ABC):
    name: str

    @abc.abstractmethod
    def reply(
        self, client: LLMClient, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent | Notice]: ...

    async def answer(
        self, client: LLMClient, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent | Notice]:
        """A reply that may not call (``tool_choice`` "none"): the step that answers when tools have
        stopped. The tools are passed so a client can keep its prompt's prefix; none is callable."""
        async with aclosing(client.stream(messages, tools, options)) as events:
            async for event in events:
                yield event


class NativeTools(ToolProtocol):
    """The backend's own function calling."""

    name = "native"

    async def reply(self, client, messages, tools, options):
        async with aclosing(client.stream(messages, tools, options)) as events:
            async for event in events:
                yield event


class ReActTools(ToolProtocol):
    """ReAct prompting; ``constrained`` decodes each step under a JSON schema (see ``react``)."""

    def __init__(self, *, constrained: bool) -> None:
        self.constrained = constrained
        self.name = "react-constrained" if constrained else "react"

    def _options(self, options: ChatOptions, tools: Sequence[ToolSpec]) -> ChatOptions:
        update: dict = {"tool_choice": "none"}
        if self.constrained:
            choice = options.tool_choice
            allowed = [t for t in tools if choice in ("auto", "required") or t.name == choice] or list(tools)
            update["json_schema"] = react.reply_schema(allowed, allow_final=choice == "auto")
            update["max_tokens"] = max(options.max_tokens or 0, react.CONSTRAINED_MIN_TOKENS)
        else:
            update["stop"] = (*options.stop, react.OBSERVATION)
        return options.model_copy(update=update)

    async def reply(self, client, messages, tools, options):
        request = react.render_history(messages, tools, constrained=self.constrained)
        step_options = self._options(options, tools)
        names = [t.name for t in tools]
        for attempt in range(MAX_CORRECTIONS + 1):
            text: list[str] = []
            usage: Usage | None = None
            streamer = react.FreeTextStreamer() if not self.constrained else None
            async with aclosing(client.stream(request, (), step_options)) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                        if streamer:
                            for out in streamer.feed(event.text):
                                yield out
                    elif isinstance(event, Usage):
                        usage = event
                    elif isinstance(event, ReasoningDelta):
                        yield event
            raw = "".join(text)
            try:
                step = (react.parse_json if self.constrained else react.parse_free)(raw, names)
            except react.ReActParseError as exc:
                if attempt == MAX_CORRECTIONS:
                    yield Notice(level="warning", text=f"the model's reply did not follow the ReAct format ({exc}); shown as it is")
                    if streamer is None or not streamer.answered:
                        yield TextDelta(text=raw)
                    break
                yield Notice(text=f"the model's reply could not be used ({exc}); asking it again")
                request = [*request, Message(role="assistant", content=raw), react.corrective_message(str(exc), constrained=self.constrained)]
                step_options = retry_options(step_options, attempt + 1)
                continue
            if streamer is None and step.thought:
                yield ReasoningDelta(text=step.thought)
            if isinstance(step, react.ReActFinal):
                if streamer is None or not streamer.answered:
                    yield TextDelta(text=step.answer)
                elif rest := streamer.flush():
                    yield TextDelta(text=rest)
            else:
                call = ToolCall(id=f"react_{uuid.uuid4().hex[:10]}", name=step.tool, arguments=step.arguments)
                yield ToolCallReady(call=call)
            if usage is not None:
                yield usage
            yield Done(finish_reason="tool_calls" if isinstance(step, react.ReActAction) else "stop")
            return
        if usage is not None:
            yield usage
        yield Done(finish_reason="stop")

    async def answer(self, client, messages, tools, options):
        """No tools. Constrained: the schema admits only ``{"thought", "final_answer"}``. Free:
        the history as plain turns; a ``Final Answer:`` or a bare reply is the answer."""
        if self.constrained:
            async for event in self._constrained_answer(client, messages, tools, options):
                yield event
            return
        streamer = react.FreeTextStreamer()
        text: list[str] = []
        async with aclosing(client.stream(react.render_plain(messages), (), options)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    text.append(event.text)
                    for out in streamer.feed(event.text):
                        yield out
                elif not isinstance(event, Done):
                    yield event
        if streamer.answered:
            if rest := streamer.flush():
                yield TextDelta(text=rest)
        elif streamer.section is None and "".join(text).strip():
            yield TextDelta(text="".join(text).strip())
        yield Done(finish_reason="stop")

    async def _constrained_answer(self, client, messages, tools, options):
        request = react.render_history(messages, tools, constrained=True)
        final = options.model_copy(update={
            "tool_choice": "none", "json_schema": react.reply_schema([], allow_final=True),
            "max_tokens": max(options.max_tokens or 0, react.CONSTRAINED_MIN_TOKENS),
        })
        text: list[str] = []
        async with aclosing(client.stream(request, (), final)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    text.append(event.text)
                elif not isinstance(event, Done):
                    yield event
        try:
            step = react.parse_json("".join(text), [])
        except react.ReActParseError:
            step = None
        if isinstance(step, react.ReActFinal) and step.answer.strip():
            if step.thought:
                yield ReasoningDelta(text=step.thought)
            yield TextDelta(text=step.answer)
        yield Done(finish_reason="stop")
