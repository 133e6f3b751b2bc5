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
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field

from a2ia.client.base import LLMClient
from a2ia.config import DEFAULT_MAX_STEPS
from a2ia.errors import A2iaError, ConfigError, ToolsNotSupported
from a2ia.orchestrator.attachments import attach_resources
from a2ia.orchestrator.budget import ContextBudget
from a2ia.orchestrator.calls import call_key, find_repeat
from a2ia.orchestrator.choosing import Mode, budget_for, choose_protocol, react_for
from a2ia.orchestrator.compaction import compact_session, needs_compaction
from a2ia.orchestrator.context_files import SubfolderContext
from a2ia.orchestrator.endings import EMPTY_REPLY, Stop, answer_now, stop_for_errors, stop_for_repeat, stop_for_steps
from a2ia.orchestrator.events import (
    Event,
    Notice,
    ToolFinished,
    TurnDone,
    TurnFailed,
)
from a2ia.orchestrator.failures import internal_failure, save_notice, turn_failed
from a2ia.orchestrator.images import attach_images, find_images
from a2ia.orchestrator.protocols import NativeTools, ToolProtocol
from a2ia.orchestrator.repetition import RepetitionGuard
from a2ia.orchestrator.request import request_messages
from a2ia.orchestrator.running import Approver, Locate, Preview, run_calls
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, ImagePart, Message, TextDelta, ToolCall, ToolCallReady, ToolResult, ToolSpec, Usage

log = logging.getLogger(__name__)

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
        protocol: ToolProtocol | None = None,
        subfolders: SubfolderContext | None = None,
        preview: Preview | None = None,
        locate: Locate | None = None,
        vision: bool = False,
    ) -> None:
        """``protocol``: always this tool-calling protocol (an evaluation of one mode), instead
        of the one each session chooses under ``mode``."""
        if max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, got {max_steps}")
        self.client = client
        self.tools = tools
        self.system_prompt = system_prompt
        self.max_steps = max_steps
        self.options = options or ChatOptions()
        self._mode: Mode = mode
        self.fallback_window = fallback_window
        self.approval = approval or ApprovalPolicy()
        self.approver = approver
        self.grounding = grounding  # narrows path arguments to what exists (tools.grounding), per step
        self._fixed_protocol = protocol
        self.subfolders = subfolders  # subfolders' context files, given as the model works there
        self.preview = preview  # a file edit's diff, shown when the person is asked about it
        self.locate = locate  # where a file tool's path leads: what the checkpoints keep
        self.vision = vision  # the model sees images though its backend does not say (the vision setting)
        self._budget: ContextBudget | None = None  # the client's window: the same for every session

    # --- what front ends read and change ------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Tool calling from now on (``/react``): each session chooses its protocol again."""
        self._mode = mode

    def tool_mode(self, session: Session) -> str:
        """What the status bar shows: the protocol the session uses, or what it will choose."""
        protocol = session.state.protocol if session.state.protocol_for == self._mode else self._fixed_protocol
        if protocol is not None:
            return protocol.name
        return "react" if self._mode == "react" else "auto"

    def engine_changed(self, session: Session) -> None:
        """The client was switched (``/model``, ``/backend``): its window and tool calling are
        learnt again at the next turn; the conversation is the session's and goes on."""
        self._budget = None
        session.state.protocol = session.state.protocol_for = None

    @property
    def budget(self) -> ContextBudget | None:
        """The context budget, known once the first turn has asked the backend for its window."""
        return self._budget

    # --- choosing how tools are called --------------------------------------------------------------

    async def _budget_for_client(self) -> list[Notice]:
        if self._budget is not None:
            return []
        self._budget, notices = await budget_for(self.client, self.fallback_window)
        return notices

    async def _choose_protocol(self) -> tuple[ToolProtocol, list[Notice]]:
        if self._fixed_protocol is not None:
            return self._fixed_protocol, []
        return await choose_protocol(self.client, self._mode)

    def _request(self, session: Session) -> list[Message]:
        return request_messages(session, self.system_prompt, plan=self.approval.mode == "plan")

    async def compact(self, session: Session, focus: str = "") -> Notice:
        """``/compact [focus]``: summarise the earlier turns now."""
        await self._budget_for_client()  # its notice, if any, is said by the next turn
        assert self._budget is not None
        return await compact_session(self.client, self._budget, session, focus)

    async def run(self, session: Session, user_text: str, *, typed: bool = True) -> AsyncIterator[Event]:
        """One user turn. Ends with exactly one ``TurnDone`` or ``TurnFailed``.

        ``typed``: the person wrote ``user_text`` (its ``@<server>:<uri>`` mentions attach
        resources); an MCP prompt's text is not theirs."""
        try:
            text, notices = await attach_resources(self.tools, session.state, user_text) if typed else (user_text, [])
        except Exception:  # a bug in attaching must not lose the message: it goes as typed
            log.debug("internal error attaching resources", exc_info=True)
            text, notices = user_text, [Notice(level="warning", text="the resources this message names could not be attached")]
        images: tuple[ImagePart, ...] = ()
        if typed and find_images(user_text):
            sees = self.vision or (await self.client.capabilities()).vision
            images, seen = attach_images(user_text, self.locate, sees)
            notices = [*notices, *seen]
        for notice in notices:
            yield notice
        state = session.state
        state.turn += 1
        if state.pending_note:
            text, state.pending_note = f"{state.pending_note}\n\n{text}", ""
        session.append(Message.user(text, images))
        try:
            async with aclosing(self._steps(session)) as steps:
                async for event in steps:
                    if (notice := save_notice(session)) is not None:
                        yield notice
                    yield event
        except A2iaError as exc:
            if (notice := save_notice(session)) is not None:
                yield notice
            yield turn_failed(exc)
        except Exception as exc:  # a bug must not take the front end down with it
            log.debug("internal error in the agent loop", exc_info=True)
            if (notice := save_notice(session)) is not None:
                yield notice
            yield internal_failure(exc)

    def _may_switch(self, session: Session) -> bool:
        return self._mode == "auto" and self._fixed_protocol is None and isinstance(session.state.protocol, NativeTools)

    async def _switch_to_react(self, session: Session, reason: str) -> Notice:
        """The session goes on in ReAct (the backend cannot do tools natively after all)."""
        session.state.protocol = protocol = await react_for(self.client)
        return Notice(level="warning", text=f"{reason}; switching to {protocol.name} prompting")

    def _offered(self, session: Session, specs: list[ToolSpec]) -> tuple[list[ToolSpec], list[str]]:
        """The tools offered to the model, and those held back: with nobody to approve (a script),
        a tool that could only run after a person's yes is not offered at all."""
        if self.approval.mode == "plan":  # planning looks, it does not change: read-only tools only
            specs = [s for s in specs if s.annotations.read_only]
        if self.approver is not None:
            return specs, []
        offered = [s for s in specs if self.approval.may_run_unasked(s, session.state.grants)]
        return offered, [s.name for s in specs if s not in offered]

    async def _reply(self, session: Session, specs: list[ToolSpec], options: ChatOptions, out: _Reply,
                     final: bool = False) -> AsyncIterator[Event]:
        """One model reply, streamed; its text and calls are collected in ``out``.

        ``final``: the tools-off step (``endings``), asked to answer from what it has."""
        extra = (answer_now(),) if final else ()
        while True:
            assert self._budget is not None and session.state.protocol is not None  # set by _steps
            protocol = session.state.protocol
            request, notices = self._budget.fit([*self._request(session), *extra], specs, options, session.state.budget)
            for notice in notices:
                yield notice
            try:
                stream = (protocol.answer(self.client, request, specs, options) if final
                          else protocol.reply(self.client, request, specs, options))
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
                if out.text or out.calls or not self._may_switch(session):
                    raise
                yield await self._switch_to_react(session, exc.message.split(": ", 1)[0])

    async def _answer_without_tools(self, session: Session, specs: list[ToolSpec], options: ChatOptions,
                                    out: _Reply) -> AsyncIterator[Event]:
        final = options.model_copy(update={"tool_choice": "none", "json_schema": None})
        async with aclosing(self._reply(session, specs, final, out, final=True)) as reply:
            async for event in reply:
                yield event

    async def _steps(self, session: Session) -> AsyncIterator[Event]:
        state = session.state
        for notice in await self._budget_for_client():
            yield notice
        if state.protocol is None or state.protocol_for != self._mode:
            state.protocol, notices = await self._choose_protocol()
            state.protocol_for = self._mode
            for notice in notices:
                yield notice
        options = self.options
        specs, held_back = self._offered(session, self.tools.specs())
        if held_back and not state.told_held_back:
            state.told_held_back = True
            yield Notice(text=self.approval.held_back_notice(held_back))
        if needs_compaction(self._budget, self._request(session), self._budget.spec_tokens(specs)):
            before = session.state.summary
            notice = await compact_session(self.client, self._budget, session)
            if notice.level == "warning" or session.state.summary is not before:
                yield notice  # compacted, or could not be: not "nothing to compact yet"
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
            if not out.calls and not out.content.strip() and not out.usage and specs and self._may_switch(session):
                # Nothing at all, not even usage, when offered tools: a server whose tool handler
                # cannot stream (llama_cpp.server's chatml-function-calling). ReAct works there.
                yield await self._switch_to_react(session, "the server sent an empty reply when offered tools")
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
            async with aclosing(run_calls(session, out.calls, self.tools, self.approval, self.approver, self.subfolders, self.preview, self.locate)) as running:
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
