"""The Textual TUI: the default front end on a terminal.

The app owns no agent logic. One long-lived worker opens the agent (client, MCP servers,
session) and holds it until the app closes; each turn runs in an exclusive worker that
renders the orchestrator's ``Event`` stream. Esc or Ctrl-C cancels the running turn (the app
stays); Ctrl-C twice quits. ``make_app`` is the one factory for the CLI and the tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown
from textual.worker import WorkerCancelled

from a2ia.cli.commands import COMMANDS, is_command, run_command
from a2ia.cli.runtime import Agent, open_agent
from a2ia.cli.trust_prompt import TrustQuestion
from a2ia.cli.tui.elicitation import Answer as ElicitationAnswer
from a2ia.cli.tui.elicitation import ElicitationScreen
from a2ia.cli.tui.messages import AgentFailed, AgentReady, Submitted
from a2ia.cli.tui.widgets import (
    ApprovalScreen,
    ArgumentScreen,
    AssistantMessage,
    NoticeLine,
    PromptArea,
    Reasoning,
    StatusBar,
    ToolPanel,
    TrustScreen,
    UserMessage,
)
from a2ia.cli.wording import for_interactive
from a2ia.config import Settings
from a2ia.errors import A2iaError
from a2ia.orchestrator.events import (
    ApprovalNeeded,
    Notice,
    ToolFinished,
    ToolProgress,
    ToolStarted,
    TurnDone,
    TurnFailed,
)
from a2ia.tools.approval import Answer
from a2ia.tools.elicitation import Elicitation
from a2ia.types import ReasoningDelta, TextDelta, Usage

AgentOpener = Callable[..., AbstractAsyncContextManager[Agent]]  # (settings, approver, *, on_status)
QUIT_WINDOW_S = 2.0


class A2iaApp(App[int]):
    TITLE = "a2ia"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("escape", "cancel_turn", "Cancel turn"),
        Binding("ctrl+c", "quit_twice", "Quit", priority=True),
    ]

    def __init__(self, settings: Settings, opener: AgentOpener = open_agent, trust: TrustQuestion | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.opener = opener
        self.trust = trust
        self.agent: Agent | None = None
        self._release_agent = asyncio.Event()
        self._quit_pressed_at = 0.0
        self._model = "…"
        self._context_length: int | None = None
        self._speed: float | None = None
        self._context_used = "–"

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="conversation")
        yield PromptArea()
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(StatusBar).update(" opening the model and tools…")
        self.query_one(PromptArea).focus()
        self.hold_agent()

    # --- the agent's life -------------------------------------------------------------------

    @work(group="agent")
    async def hold_agent(self) -> None:
        if self.trust is not None and await self.push_screen_wait(TrustScreen(self.trust)):
            self.settings, warning = self.trust.accept()
            if warning:
                self.show_notice(warning)
        try:
            async with self.opener(self.settings, self.approve, on_status=self.show_notice, elicit=self.elicit) as agent:
                self.agent = agent
                agent.tools.watch_resources(self.resource_changed)
                caps = await agent.client.capabilities()
                self.post_message(AgentReady(agent.settings.backend, caps.model_id, caps.context_length))
                for notice in agent.notices:
                    self.show_notice(notice.text)
                await self._release_agent.wait()
        except A2iaError as exc:
            self.post_message(AgentFailed(exc.text_with_hint()))

    def on_agent_ready(self, message: AgentReady) -> None:
        self._model, self._context_length = message.model, message.context_length
        self.refresh_status()

    def on_agent_failed(self, message: AgentFailed) -> None:
        self.show_notice(f"error: {message.text}")
        self.query_one(StatusBar).update(" not connected — see the message above; Ctrl-C twice to quit")

    async def action_quit_twice(self) -> None:
        now = time.monotonic()
        if now - self._quit_pressed_at < QUIT_WINDOW_S:
            await self.shutdown()
            return
        self._quit_pressed_at = now
        self.action_cancel_turn()  # like Esc, the first Ctrl-C stops a running turn, not the app
        self.notify("press Ctrl-C again to quit", timeout=QUIT_WINDOW_S)

    async def shutdown(self, code: int = 0) -> None:
        self.workers.cancel_group(self, "turn")
        self._release_agent.set()
        self.exit(code)

    # --- input -------------------------------------------------------------------------------

    @on(Submitted)
    async def submitted(self, message: Submitted) -> None:
        if self.agent is None:
            self.show_notice("the model is not ready yet")
            return
        if is_command(message.text):
            self.run_slash_command(message.text)
            return
        self.run_turn(message.text)

    @work(group="command", exclusive=True)
    async def run_slash_command(self, text: str) -> None:
        """A worker: a prompt's missing argument is asked in a dialog, awaited here."""
        assert self.agent is not None
        outcome = await run_command(text, self.agent, self.settings, ask=self.ask_argument)
        if outcome.text:
            await self.conversation.mount(NoticeLine(outcome.text, classes="command-output"))
            self.conversation.scroll_end(animate=False)
        self.refresh_status()
        if outcome.quit:
            await self.shutdown()
        elif outcome.turn is not None:
            self.run_turn(outcome.turn, typed=outcome.typed)

    def resource_changed(self, server: str, uri: str) -> None:
        """A subscribed resource changed: said at once; the model gets it with the next message."""
        if self.agent is not None and any(m.server == server and m.uri == uri for m in self.agent.session.state.attached):
            self.show_notice(f"@{server}:{uri} changed; the model gets its new content with your next message")

    async def elicit(self, request: Elicitation) -> ElicitationAnswer:
        """An MCP server's request for input: the form dialog, awaited on the server's task."""
        answer: asyncio.Future[ElicitationAnswer] = asyncio.get_running_loop().create_future()
        self.push_screen(ElicitationScreen(request), callback=lambda got: answer.done() or answer.set_result(got or ("cancel", None)))
        return await answer

    async def ask_argument(self, question: str) -> str | None:
        return await self.push_screen_wait(ArgumentScreen(question))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for command in COMMANDS.values():
            if command.name != "/exit":
                yield SystemCommand(command.usage, command.help, lambda c=command: self.post_message(Submitted(c.name)))
        for prompt in self.agent.tools.prompts() if self.agent is not None else ():
            yield SystemCommand(prompt.usage, prompt.description, lambda p=prompt: self.post_message(Submitted(p.command)))

    def action_cancel_turn(self) -> None:
        cancelled = [w for w in self.workers if w.group == "turn" and w.is_running]
        for worker in cancelled:
            worker.cancel()
        if cancelled:
            self.show_notice("cancelled")

    # --- one turn ------------------------------------------------------------------------------

    @property
    def conversation(self) -> VerticalScroll:
        return self.query_one("#conversation", VerticalScroll)

    def show_notice(self, text: str) -> None:
        """Every notice and error the app shows; settings in hints are named as the TUI changes them."""
        self.conversation.mount(NoticeLine(for_interactive(text)))
        self.conversation.scroll_end(animate=False)

    async def approve(self, request: ApprovalNeeded) -> Answer:
        """The approver: the dialog, awaited by a turn's worker or by an MCP server's sampling
        request (which comes on the server's task, not a worker)."""
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self.push_screen(ApprovalScreen(request), callback=lambda choice: answer.done() or answer.set_result(choice or "deny"))
        return await answer

    @work(exclusive=True, group="turn")
    async def run_turn(self, text: str, typed: bool = True) -> None:
        """``typed``: the person wrote ``text`` (an MCP prompt's is the server's: no attachments)."""
        assert self.agent is not None
        conversation = self.conversation
        conversation.anchor()
        await conversation.mount(UserMessage(text))
        answer: AssistantMessage | None = None
        stream = None
        reasoning: Reasoning | None = None
        panels: dict[str, ToolPanel] = {}
        first_token = 0.0
        try:
            async for event in self.agent.orchestrator.run(self.agent.session, text, typed=typed):
                if isinstance(event, TextDelta):
                    if stream is None:
                        answer = AssistantMessage()
                        await conversation.mount(answer)
                        stream = Markdown.get_stream(answer)
                        first_token = time.perf_counter()
                    await stream.write(event.text)
                elif isinstance(event, ReasoningDelta):
                    if reasoning is None:
                        reasoning = Reasoning()
                        await conversation.mount(reasoning)
                    reasoning.add(event.text)
                elif isinstance(event, ToolStarted):
                    stream, answer = await self._close_stream(stream), None
                    panels[event.call.id] = ToolPanel(event.call, event.server)
                    await conversation.mount(panels[event.call.id])
                elif isinstance(event, ToolProgress) and event.call.id in panels:
                    panels[event.call.id].progress(event.progress, event.total, event.message)
                elif isinstance(event, ToolFinished) and event.call.id in panels:
                    panels[event.call.id].finish(event.result, event.duration_s)
                elif isinstance(event, Usage):
                    self._note_usage(event, first_token)
                elif isinstance(event, Notice):
                    self.show_notice(event.text)
                elif isinstance(event, TurnFailed):
                    self.show_notice(f"error: {event.message}" + (f" — {event.hint}" if event.hint else ""))
                elif isinstance(event, TurnDone) and reasoning is not None:
                    reasoning.collapsed = True
        except (asyncio.CancelledError, WorkerCancelled):
            raise
        finally:
            await self._close_stream(stream)
            self.refresh_status()

    @staticmethod
    async def _close_stream(stream) -> None:
        if stream is not None:
            await stream.stop()
        return None

    def _note_usage(self, usage: Usage, first_token: float) -> None:
        if first_token and usage.completion_tokens:
            elapsed = time.perf_counter() - first_token
            self._speed = usage.completion_tokens / elapsed if elapsed > 0 else None
        if usage.prompt_tokens:
            total = usage.prompt_tokens + usage.completion_tokens
            self._context_used = f"{total:,}/{self._context_length:,}" if self._context_length else f"{total:,}"

    def refresh_status(self) -> None:
        mode = "native"
        if self.agent is not None:
            mode = self.agent.orchestrator.tool_mode(self.agent.session)
        sandbox = self.agent.sandbox_label if self.agent is not None else ""
        self.query_one(StatusBar).show(self.settings.backend, self._model, mode, self._speed, self._context_used, sandbox)


def make_app(settings: Settings, opener: AgentOpener = open_agent, trust: TrustQuestion | None = None) -> A2iaApp:
    """The one factory: the CLI and the tests build the app the same way."""
    return A2iaApp(settings, opener, trust)


def run_tui(settings: Settings, trust: TrustQuestion | None = None) -> int:
    return make_app(settings, trust=trust).run() or 0
