"""The line REPL (``--plain``, or a terminal that cannot host the full-screen interface).

prompt_toolkit reads each line, with persistent history and completion of slash commands;
answers stream as plain text; approvals are asked inline. Ctrl-C during a turn cancels the
turn (the REPL stays); Ctrl-C at the prompt clears the line; Ctrl-D or ``/quit`` leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.history import FileHistory, InMemoryHistory

from a2ia.cli.commands import is_command, run_command
from a2ia.cli.completion import complete_line
from a2ia.cli.elicit_lines import elicit_by_lines
from a2ia.cli.progress import PullDisplay
from a2ia.cli.render import PlainRenderer
from a2ia.cli.runtime import Agent, open_agent
from a2ia.cli.trust_prompt import TrustQuestion
from a2ia.cli.wording import for_interactive
from a2ia.config import Settings
from a2ia.orchestrator.events import ApprovalNeeded
from a2ia.orchestrator.store import sessions_dir
from a2ia.tools.approval import Answer
from a2ia.tools.elicitation import Elicitation


def history_file() -> Path:
    return sessions_dir().parent / "repl_history"


def _history() -> FileHistory | InMemoryHistory:
    path = history_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()


async def ask_trust(prompt: PromptSession[str], question: TrustQuestion, renderer: PlainRenderer) -> Settings | None:
    """The trust question inline: the settings to run with if trusted, else None (not now)."""
    renderer.render_output(question.text())
    while True:
        reply = (await prompt.prompt_async("trust this folder? [t] trust, [n] not now: ")).strip().lower()
        if reply in ("t", "trust", "y", "yes"):
            settings, warning = question.accept()
            if warning:
                renderer.render_notice(warning)
            return settings
        if reply in ("n", "no", "not now", ""):
            return None


class SlashCompleter(Completer):
    """Slash commands and MCP prompts by name, a prompt's arguments from its server, and
    ``@<server>:<uri>`` resources (``completion.py``)."""

    def __init__(self, agent: Callable[[], Agent | None]) -> None:
        self.agent = agent

    def get_completions(self, document, complete_event):  # the async form below is the one used
        return iter(())

    async def get_completions_async(self, document, complete_event):
        typed, matches = await complete_line(self.agent(), document.text_before_cursor.lstrip())
        for match in matches:
            yield Completion(match, start_position=-len(typed))


async def run_repl(settings: Settings, question: TrustQuestion | None = None) -> int:
    opened: list[Agent] = []  # the agent, once open: its servers' prompts complete too
    prompt: PromptSession[str] = PromptSession(
        history=_history(),
        completer=SlashCompleter(lambda: opened[0] if opened else None),
        complete_while_typing=True,
    )
    renderer = PlainRenderer(sys.stdout, sys.stderr, wording=for_interactive)

    async def ask_line(question: str) -> str | None:
        """A prompt's missing argument, asked on the same line editor (Ctrl-C or Ctrl-D: none)."""
        try:
            return (await prompt.prompt_async(f"  {question}: ")).strip() or None
        except (EOFError, KeyboardInterrupt):
            return None

    async def approver(request: ApprovalNeeded) -> Answer:
        while True:
            reply = (await prompt.prompt_async(f"allow {request.call.name}? [y] once, [a] always, [n] no: ")).strip().lower()
            if reply in ("y", "a", "n", ""):
                return {"y": "once", "a": "always"}.get(reply, "deny")  # type: ignore[return-value]

    if question is not None:
        try:
            settings = await ask_trust(prompt, question, renderer) or settings
        except (EOFError, KeyboardInterrupt):
            return 0
    async def ask_field(question: str) -> str | None:
        """One line of an MCP server's form, as typed (empty: the default; Ctrl-C or Ctrl-D: cancel)."""
        try:
            return await prompt.prompt_async(f"{question}: ")
        except (EOFError, KeyboardInterrupt):
            return None

    async def elicit(request: Elicitation):
        return await elicit_by_lines(request, ask_field, renderer.render_notice)

    async with open_agent(settings, approver, on_status=renderer.render_notice, on_pull=PullDisplay(), elicit=elicit) as agent:
        opened.append(agent)
        caps = await agent.client.capabilities()
        renderer.render_output(f"a2ia · {agent.settings.backend} · {caps.model_id} · /help for commands, Ctrl-D to leave")
        for notice in agent.notices:
            renderer.render(notice)
        while True:
            try:
                line = await prompt.prompt_async("› ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                return 0
            if not line.strip():
                continue
            if is_command(line):
                outcome = await run_command(line, agent, settings, ask=ask_line)
                renderer.render_output(outcome.text)
                if outcome.quit:
                    return 0
                if outcome.turn is None:
                    continue
                await _turn(agent, outcome.turn, renderer, typed=outcome.typed)
                continue
            await _turn(agent, line, renderer)


async def _turn(agent, line: str, renderer: PlainRenderer, typed: bool = True) -> None:
    """One turn; Ctrl-C cancels it (the partial reply is not kept, earlier messages are)."""

    async def consume() -> None:
        async for event in agent.orchestrator.run(agent.session, line, typed=typed):
            renderer.render(event)

    task = asyncio.ensure_future(consume())
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        renderer.render_notice("cancelled")
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
