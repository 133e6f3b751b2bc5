"""The agent loop: stream a reply, run the tools it asks for, feed results back, repeat.

``Orchestrator.run`` yields ``Event``s and never prints; every front end renders the same
stream. Errors never escape ``run``: a failing backend or tool machinery ends the turn with a
``TurnFailed`` event, and what was completed before stays in the session.

Tool-calling mode: ``native`` (the backend's function calling) or ReAct prompting, chosen from
the client's capabilities unless forced. A backend that rejects tools mid-session
(``ToolsNotSupported``) switches the session to ReAct, with a notice, and the step is retried.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Literal

from a2ia.client.base import LLMClient
from a2ia.errors import (
    A2iaError,
    BackendHTTPError,
    BackendProtocolError,
    BackendUnavailable,
    ConfigError,
    ContextOverflow,
    ToolError,
    ToolsNotSupported,
)
from a2ia.orchestrator.budget import ContextBudget
from a2ia.orchestrator.calls import call_key, check_call, find_repeat, run_concurrently
from a2ia.orchestrator.events import (
    ApprovalNeeded,
    Event,
    FailureReason,
    Notice,
    ToolFinished,
    ToolProgress,
    ToolStarted,
    TurnDone,
    TurnFailed,
)
from a2ia.orchestrator.protocols import NativeTools, ReActTools, ToolProtocol
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import Answer, ApprovalPolicy
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, Message, TextDelta, ToolCall, ToolCallReady, ToolResult, ToolSpec

log = logging.getLogger(__name__)

Mode = Literal["auto", "native", "react"]
Approver = Callable[[ApprovalNeeded], Awaitable[Answer]]
"""Asks the person about one call (the front end's dialog or prompt)."""
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


_AGAIN = "send the message again (what was said before is kept)"


def _failure_hint(exc: A2iaError) -> str | None:
    """The error's own hint, else one for its kind: every failed turn tells the person what to do."""
    if exc.hint:
        return exc.hint
    if isinstance(exc, BackendUnavailable):
        return f"check that the model server is running and reachable (its log says why it stopped), then {_AGAIN}"
    if isinstance(exc, BackendHTTPError):
        if exc.status in (429, 503):
            return f"the server is busy or still loading the model: wait a moment, then {_AGAIN}"
        if exc.status >= 500:
            return f"the model server failed (its log says why); {_AGAIN}"
        return "the server refused the request; check the model name and the server's settings"
    if isinstance(exc, BackendProtocolError):
        return f"the reply did not follow the server's wire format: check that --backend matches the server (--debug shows more), then {_AGAIN}"
    if isinstance(exc, ContextOverflow):
        return "the conversation no longer fits the model's context: start a new session, or use a longer context"
    return None


def _save_notice(session: Session) -> Notice | None:
    """The warning that saving failed, once per session (the turn goes on in memory)."""
    if (problem := session.take_save_error()) is None:
        return None
    return Notice(level="warning", text=f"could not save the session ({problem}); the conversation goes on, unsaved")


class Orchestrator:
    def __init__(
        self,
        client: LLMClient,
        tools: ToolRegistry,
        *,
        system_prompt: str | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        options: ChatOptions | None = None,
        mode: Mode = "auto",
        fallback_window: int = 4096,
        approval: ApprovalPolicy | None = None,
        approver: Approver | None = None,
    ) -> None:
        if max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, got {max_steps}")
        self.client = client
        self.tools = tools
        self.system_prompt = system_prompt
        self.max_steps = max_steps
        self.options = options or ChatOptions()
        self.mode = mode
        self.fallback_window = fallback_window
        self.approval = approval or ApprovalPolicy()
        self.approver = approver
        self.protocol: ToolProtocol | None = None
        self.budget: ContextBudget | None = None

    async def _choose_protocol(self) -> tuple[ToolProtocol, list[Notice]]:
        caps = await self.client.capabilities()
        notices = []
        window = caps.context_length
        if window is None:
            window = self.fallback_window
            notices.append(Notice(text=f"the server does not say how long its context is; assuming {window:,} tokens (set A2IA_N_CTX)"))
        self.budget = ContextBudget.for_client(self.client, window)
        if self.mode == "native" or (self.mode == "auto" and caps.native_tools):
            return NativeTools(), notices
        protocol = ReActTools(constrained=caps.constrained_decoding)
        if self.mode == "auto":
            notices.append(Notice(text=f"{caps.model_id} has no native tool calling here; using {protocol.name} prompting"))
        return protocol, notices

    def _request(self, session: Session) -> list[Message]:
        if self.system_prompt and not (session.messages and session.messages[0].role == "system"):
            return [Message.system(self.system_prompt), *session.messages]
        return list(session.messages)

    async def run(self, session: Session, user_text: str) -> AsyncIterator[Event]:
        """One user turn. Ends with exactly one ``TurnDone`` or ``TurnFailed``."""
        session.append(Message.user(user_text))
        try:
            async with aclosing(self._steps(session)) as steps:
                async for event in steps:
                    if (notice := _save_notice(session)) is not None:
                        yield notice
                    yield event
        except A2iaError as exc:
            if (notice := _save_notice(session)) is not None:
                yield notice
            yield TurnFailed(reason=_failure_reason(exc), message=exc.message, hint=_failure_hint(exc))
        except Exception as exc:  # a bug must not take the front end down with it
            log.debug("internal error in the agent loop", exc_info=True)
            if (notice := _save_notice(session)) is not None:
                yield notice
            yield TurnFailed(
                reason="internal",
                message=f"internal error: {type(exc).__name__}: {exc}",
                hint="run again with --debug for the traceback, and please report it",
            )

    async def _steps(self, session: Session) -> AsyncIterator[Event]:
        if self.protocol is None:
            self.protocol, notices = await self._choose_protocol()
            for notice in notices:
                yield notice
        options = self.options
        specs = self.tools.specs()
        history: list[frozenset[tuple[str, str]]] = []  # each step's calls, for find_repeat
        for step in range(1, self.max_steps + 1):
            text: list[str] = []
            calls: list[ToolCall] = []
            while True:
                request, notices = self.budget.fit(self._request(session), specs, options)
                for notice in notices:
                    yield notice
                try:
                    async with aclosing(self.protocol.reply(self.client, request, specs, options)) as reply:
                        async for event in reply:
                            if isinstance(event, TextDelta):
                                text.append(event.text)
                            elif isinstance(event, ToolCallReady):
                                calls.append(event.call)
                            yield event
                    break
                except ToolsNotSupported as exc:
                    if self.mode == "native" or text or calls or not isinstance(self.protocol, NativeTools):
                        raise
                    caps = await self.client.capabilities()
                    self.protocol = ReActTools(constrained=caps.constrained_decoding)
                    reason = exc.message.split(": ", 1)[0]
                    yield Notice(level="warning", text=f"{reason}; switching to {self.protocol.name} prompting")
            session.append(Message(role="assistant", content="".join(text), tool_calls=tuple(calls)))
            if not calls:
                yield TurnDone(steps=step)
                return
            if (repeat := find_repeat(history, calls)) is not None:
                repeated, how = repeat
                yield TurnFailed(
                    reason="repeated_call",
                    message=f"the model asked for {repeated.name} with the same arguments {how}; stopped to avoid a loop",
                    hint="rephrase the request, or try a larger model",
                )
                return
            history.append(frozenset(call_key(c) for c in calls))
            async with aclosing(self._run_calls(session, calls)) as running:
                async for event in running:
                    yield event
                    if isinstance(event, TurnFailed):
                        return
            # A forced tool choice applies to the first step only; forcing it again would loop.
            if options.tool_choice != "auto":
                options = options.model_copy(update={"tool_choice": "auto"})
        yield TurnFailed(
            reason="max_steps",
            message=f"stopped after {self.max_steps} steps without a final answer",
            hint="raise the limit with --max-steps, or ask a narrower question",
        )

    async def _run_calls(self, session: Session, calls: list[ToolCall]) -> AsyncIterator[Event]:
        """Approve, then run one reply's calls concurrently; results go into the session in call order."""
        results: list[ToolResult | None] = [None] * len(calls)
        specs = [self.tools.spec(call.name) for call in calls]
        for index, (call, spec) in enumerate(zip(calls, specs, strict=True)):
            verdict = self.approval.decide(spec, call)
            if verdict.decision == "deny":
                results[index] = ToolResult(call_id=call.id, content=f"not run: {verdict.reason}", is_error=True)
            elif verdict.decision == "ask":
                request = ApprovalNeeded(call=call, server=spec.server if spec else "", reason=verdict.reason)
                yield request
                if self.approver is None:
                    # Every call of this reply gets a result, so the history stays well-formed.
                    for other in calls:
                        refused = ToolResult(call_id=other.id, content="not run: it needed approval and no one could be asked", is_error=True)
                        session.append(Message.tool(refused, other.name))
                    yield TurnFailed(
                        reason="approval_denied",
                        message=f"{call.name} needs approval ({verdict.reason}) and there is no one to ask",
                        hint=self.approval.refusal_hint(spec, call),
                    )
                    return
                answer = await self.approver(request)
                if answer == "always" and spec is not None:
                    self.approval.remember(spec, call)
                elif answer == "deny":
                    results[index] = ToolResult(call_id=call.id, content="not run: the person did not allow this call", is_error=True)
        to_run = [i for i, r in enumerate(results) if r is None]
        for index, (call, spec) in enumerate(zip(calls, specs, strict=True)):
            yield ToolStarted(call=call, server=spec.server if spec else "")
            if results[index] is not None:
                yield ToolFinished(call=call, result=results[index], duration_s=0.0)
        spec_of = {id(call): spec for call, spec in zip(calls, specs, strict=True)}

        async def run_one(call: ToolCall, progress=None) -> ToolResult:
            return await self._call_tool(call, progress, spec_of[id(call)])

        try:
            async with aclosing(run_concurrently([calls[i] for i in to_run], run_one)) as running:
                async for position, payload, seconds in running:
                    call = calls[to_run[position]]
                    if isinstance(payload, ToolResult):
                        results[to_run[position]] = payload
                        yield ToolFinished(call=call, result=payload, duration_s=seconds)
                    else:
                        done, total, message = payload
                        yield ToolProgress(call=call, progress=done, total=total, message=message)
        finally:
            # Cancelled or not, every call gets a result, so the history stays well-formed.
            for call, result in zip(calls, results, strict=True):
                if result is None:
                    result = ToolResult(call_id=call.id, content="not finished: the turn was cancelled", is_error=True)
                session.append(Message.tool(result, call.name))

    async def _call_tool(self, call: ToolCall, progress=None, spec: ToolSpec | None = None) -> ToolResult:
        problem = check_call(call, spec if spec is not None else self.tools.spec(call.name))
        if problem is not None:
            return ToolResult(call_id=call.id, content=problem, is_error=True)
        return await self.tools.call(call, progress)
