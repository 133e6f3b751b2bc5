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
from dataclasses import dataclass, field
from typing import Literal

from a2ia.client.base import LLMClient
from a2ia.errors import A2iaError, ConfigError, ToolsNotSupported
from a2ia.orchestrator.budget import ContextBudget
from a2ia.orchestrator.calls import call_key, check_call, find_repeat, run_concurrently
from a2ia.orchestrator.endings import EMPTY_REPLY, Stop, answer_now, stop_for_errors, stop_for_repeat, stop_for_steps
from a2ia.orchestrator.events import (
    ApprovalNeeded,
    Event,
    Notice,
    ToolFinished,
    ToolProgress,
    ToolStarted,
    TurnDone,
    TurnFailed,
)
from a2ia.orchestrator.failures import failure_hint, failure_reason, save_notice
from a2ia.orchestrator.protocols import NativeTools, ReActTools, ToolProtocol
from a2ia.orchestrator.repetition import RepetitionGuard
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import Answer, ApprovalPolicy
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, Message, TextDelta, ToolCall, ToolCallReady, ToolResult, ToolSpec, Usage

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


MAX_FAILING_STEPS = 3


@dataclass
class _Reply:
    text: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    usage: bool = False  # the server said how many tokens it used (an empty stream says nothing)

    @property
    def content(self) -> str:
        return "".join(self.text)


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
        grounding: Callable[[list[ToolSpec]], list[ToolSpec]] | None = None,
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
        self.grounding = grounding  # narrows path arguments to what exists (tools.grounding), per step
        self.protocol: ToolProtocol | None = None
        self.budget: ContextBudget | None = None
        self._told_held_back = False

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
                    if (notice := save_notice(session)) is not None:
                        yield notice
                    yield event
        except A2iaError as exc:
            if (notice := save_notice(session)) is not None:
                yield notice
            yield TurnFailed(reason=failure_reason(exc), message=exc.message, hint=failure_hint(exc))
        except Exception as exc:  # a bug must not take the front end down with it
            log.debug("internal error in the agent loop", exc_info=True)
            if (notice := save_notice(session)) is not None:
                yield notice
            yield TurnFailed(
                reason="internal",
                message=f"internal error: {type(exc).__name__}: {exc}",
                hint="run again with --debug for the traceback, and please report it",
            )

    def _may_switch(self) -> bool:
        return self.mode == "auto" and isinstance(self.protocol, NativeTools)

    async def _switch_to_react(self, reason: str) -> Notice:
        """The session goes on in ReAct (the backend cannot do tools natively after all)."""
        caps = await self.client.capabilities()
        self.protocol = ReActTools(constrained=caps.constrained_decoding)
        return Notice(level="warning", text=f"{reason}; switching to {self.protocol.name} prompting")

    def _offered(self, specs: list[ToolSpec]) -> tuple[list[ToolSpec], list[str]]:
        """The tools offered to the model, and those held back: with nobody to approve (a script),
        a tool that could only run after a person's yes is not offered at all."""
        if self.approver is not None:
            return specs, []
        offered = [s for s in specs if self.approval.may_run_unasked(s)]
        return offered, [s.name for s in specs if s not in offered]

    async def _reply(self, session: Session, specs: list[ToolSpec], options: ChatOptions, out: _Reply,
                     final: bool = False) -> AsyncIterator[Event]:
        """One model reply, streamed; its text and calls are collected in ``out``.

        ``final``: the tools-off step (``endings``), asked to answer from what it has."""
        extra = (answer_now(),) if final else ()
        while True:
            request, notices = self.budget.fit([*self._request(session), *extra], specs, options)
            for notice in notices:
                yield notice
            try:
                stream = (self.protocol.answer(self.client, request, specs, options) if final
                          else self.protocol.reply(self.client, request, specs, options))
                guard = RepetitionGuard()
                async with aclosing(stream) as reply:
                    async for event in reply:
                        if isinstance(event, TextDelta):
                            if (cut := guard.feed(event.text)) is not None:
                                shown = len(guard.text) - len(event.text)
                                if cut > shown:  # what of the kept text this delta still brings
                                    yield TextDelta(text=guard.text[shown:cut])
                                out.text = [guard.text[:cut]]  # the generation stops as the stream closes
                                yield Notice(level="warning", text="the reply kept repeating itself; it was cut there")
                                return
                            out.text.append(event.text)
                        elif isinstance(event, ToolCallReady):
                            if final:
                                continue  # no tools were offered: a call now is not run, nor shown
                            out.calls.append(event.call)
                        elif isinstance(event, Usage):
                            out.usage = True
                        yield event
                return
            except ToolsNotSupported as exc:
                if out.text or out.calls or not self._may_switch():
                    raise
                yield await self._switch_to_react(exc.message.split(": ", 1)[0])

    async def _answer_without_tools(self, session: Session, specs: list[ToolSpec], options: ChatOptions,
                                    out: _Reply) -> AsyncIterator[Event]:
        final = options.model_copy(update={"tool_choice": "none", "json_schema": None})
        async with aclosing(self._reply(session, specs, final, out, final=True)) as reply:
            async for event in reply:
                yield event

    async def _steps(self, session: Session) -> AsyncIterator[Event]:
        if self.protocol is None:
            self.protocol, notices = await self._choose_protocol()
            for notice in notices:
                yield notice
        options = self.options
        specs, held_back = self._offered(self.tools.specs())
        if held_back and not self._told_held_back:
            self._told_held_back = True
            yield Notice(text=self.approval.held_back_notice(held_back))
        history: list[frozenset[tuple[str, str]]] = []  # each step's calls, for find_repeat
        failing_steps = 0  # steps in a row whose every call failed
        stop: Stop | None = None
        step = 0
        offered = specs
        for step in range(1, self.max_steps + 1):
            specs = self.grounding(offered) if self.grounding else offered
            out = _Reply()
            async with aclosing(self._reply(session, specs, options, out)) as reply:
                async for event in reply:
                    yield event
            if not out.calls and not out.content.strip() and not out.usage and specs and self._may_switch():
                # Nothing at all, not even usage, when offered tools: a server whose tool handler
                # cannot stream (llama_cpp.server's chatml-function-calling). ReAct works there.
                yield await self._switch_to_react("the server sent an empty reply when offered tools")
                out = _Reply()
                async with aclosing(self._reply(session, specs, options, out)) as reply:
                    async for event in reply:
                        yield event
            if not out.calls and not out.content.strip():
                # An empty reply is never a silent success: once more, without tools.
                yield Notice(level="warning", text="the model sent an empty reply; asking it again without tools")
                out = _Reply()
                async with aclosing(self._answer_without_tools(session, specs, options, out)) as reply:
                    async for event in reply:
                        yield event
                if not out.content.strip():
                    yield TurnFailed(reason="empty_reply", message="the model sent an empty reply twice", hint=EMPTY_REPLY)
                    return
            session.append(Message(role="assistant", content=out.content, tool_calls=tuple(out.calls)))
            if not out.calls:
                yield TurnDone(steps=step)
                return
            if (repeat := find_repeat(history, out.calls)) is not None:
                stop = stop_for_repeat(*repeat)
                for call in out.calls:  # every call gets a result, so the history stays well-formed
                    session.append(Message.tool(ToolResult(call_id=call.id, content=stop.tool_result, is_error=True), call.name))
                break
            history.append(frozenset(call_key(c) for c in out.calls))
            results: list[ToolFinished] = []
            async with aclosing(self._run_calls(session, out.calls)) as running:
                async for event in running:
                    yield event
                    if isinstance(event, TurnFailed):
                        return
                    if isinstance(event, ToolFinished):
                        results.append(event)
            failing_steps = failing_steps + 1 if results and all(r.result.is_error for r in results) else 0
            if failing_steps >= MAX_FAILING_STEPS:
                stop = stop_for_errors(failing_steps)
                break
            # A forced tool choice applies to the first step only; forcing it again would loop.
            if options.tool_choice != "auto":
                options = options.model_copy(update={"tool_choice": "auto"})
        else:
            stop = stop_for_steps(self.max_steps)
        # Tools stopped: one more step without them, so the turn still ends in an answer.
        yield Notice(level="warning", text=f"{stop.message}; the model answers from what it has, without tools")
        out = _Reply()
        async with aclosing(self._answer_without_tools(session, specs, options, out)) as reply:
            async for event in reply:
                yield event
        if out.content.strip():
            session.append(Message(role="assistant", content=out.content))
            yield TurnDone(steps=step + 1)
            return
        yield TurnFailed(reason=stop.reason, message=stop.message, hint=stop.hint)

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
