"""The agent loop: stream a reply, run the tools it asks for, feed results back, repeat.

``Orchestrator.run`` yields ``Event``s and never prints; every front end renders the same
stream. Errors never escape ``run``: a failing backend or tool machinery ends the turn with a
``TurnFailed`` event, and what was completed before stays in the session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

from a2ia.client.base import LLMClient
from a2ia.errors import A2iaError, BackendUnavailable, ConfigError, ToolError
from a2ia.orchestrator.events import (
    Event,
    FailureReason,
    Notice,
    ToolFinished,
    ToolStarted,
    TurnDone,
    TurnFailed,
)
from a2ia.orchestrator.session import Session
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, Message, TextDelta, ToolCall, ToolCallReady, ToolResult

log = logging.getLogger(__name__)

DEFAULT_MAX_STEPS = 8
DEFAULT_SYSTEM_PROMPT = (
    "You are a2ia, a helpful assistant working in the folder {root}. "
    "Use the tools to look at files before answering questions about them. "
    "Answer briefly."
)


def _failure_reason(exc: A2iaError) -> FailureReason:
    if isinstance(exc, ConfigError):
        return "config"
    if isinstance(exc, BackendUnavailable):
        return "backend_unavailable"
    if isinstance(exc, ToolError):
        return "tools"
    return "backend"


class Orchestrator:
    def __init__(
        self,
        client: LLMClient,
        tools: ToolRegistry,
        *,
        system_prompt: str | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        options: ChatOptions | None = None,
    ) -> None:
        if max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, got {max_steps}")
        self.client = client
        self.tools = tools
        self.system_prompt = system_prompt
        self.max_steps = max_steps
        self.options = options or ChatOptions()

    def _request(self, session: Session) -> list[Message]:
        if self.system_prompt and not (session.messages and session.messages[0].role == "system"):
            return [Message.system(self.system_prompt), *session.messages]
        return list(session.messages)

    async def run(self, session: Session, user_text: str) -> AsyncIterator[Event]:
        """One user turn. Ends with exactly one ``TurnDone`` or ``TurnFailed``."""
        session.append(Message.user(user_text))
        try:
            async for event in self._steps(session):
                yield event
        except A2iaError as exc:
            yield TurnFailed(reason=_failure_reason(exc), message=exc.message, hint=exc.hint)
        except Exception as exc:  # a bug must not take the front end down with it
            log.debug("internal error in the agent loop", exc_info=True)
            yield TurnFailed(
                reason="internal",
                message=f"internal error: {type(exc).__name__}: {exc}",
                hint="run again with --debug for the traceback, and please report it",
            )

    async def _steps(self, session: Session) -> AsyncIterator[Event]:
        options = self.options
        specs = self.tools.specs()
        if specs and not (await self.client.capabilities()).native_tools:
            yield Notice(
                level="warning",
                text="this model cannot call tools natively; it answers without tools",
            )
            specs = []
        for step in range(1, self.max_steps + 1):
            text: list[str] = []
            calls: list[ToolCall] = []
            async with aclosing(self.client.stream(self._request(session), specs, options)) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                    elif isinstance(event, ToolCallReady):
                        calls.append(event.call)
                    yield event
            session.append(Message(role="assistant", content="".join(text), tool_calls=tuple(calls)))
            if not calls:
                yield TurnDone(steps=step)
                return
            for call in calls:
                spec = self.tools.spec(call.name)
                yield ToolStarted(call=call, server=spec.server if spec else "")
                started = time.perf_counter()
                result = await self._call_tool(call)
                yield ToolFinished(call=call, result=result, duration_s=time.perf_counter() - started)
                session.append(Message.tool(result, call.name))
            # A forced tool choice applies to the first step only; forcing it again would loop.
            if options.tool_choice != "auto":
                options = options.model_copy(update={"tool_choice": "auto"})
        yield TurnFailed(
            reason="max_steps",
            message=f"stopped after {self.max_steps} steps without a final answer",
            hint="raise the limit with --max-steps, or ask a narrower question",
        )

    async def _call_tool(self, call: ToolCall) -> ToolResult:
        if call.arguments_error:
            return ToolResult(
                call_id=call.id,
                content=f"the call to {call.name!r} was not run: {call.arguments_error}",
                is_error=True,
            )
        return await self.tools.call(call)
