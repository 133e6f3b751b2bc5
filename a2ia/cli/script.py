"""Non-interactive sessions: ``-p`` one-shot and turns read from stdin, rendered as plain text."""

from __future__ import annotations

import sys

import anyio
import click

from a2ia.cli.commands import is_command, run_command
from a2ia.cli.elicit_lines import elicit_by_lines
from a2ia.cli.progress import PullDisplay
from a2ia.cli.render import JsonRenderer, PlainRenderer
from a2ia.cli.runtime import open_agent
from a2ia.config import Settings
from a2ia.orchestrator.events import ApprovalNeeded, Notice, TurnFailed
from a2ia.orchestrator.loop import Approver
from a2ia.outcomes import EXIT_OK, FATAL, exit_code_for
from a2ia.tools.approval import Answer
from a2ia.tools.elicitation import Elicitation


def script_turns(text: str) -> list[str]:
    """Each non-blank line of a script is one user turn."""
    return [line.strip() for line in text.splitlines() if line.strip()]


async def approve_always(_request: ApprovalNeeded) -> Answer:
    """``--yes``: every call that would be asked about is allowed, for this run."""
    return "once"


async def ask_on_terminal(request: ApprovalNeeded) -> Answer:
    """Ask on the terminal: y (once), a (always, for this tool in this session), n (no)."""

    def ask() -> Answer:
        reply = click.prompt(
            f"  allow {request.call.name}? [y] once, [a] always for this tool, [n] no",
            type=click.Choice(["y", "a", "n"]), default="n", show_choices=False, err=True,
        )
        return {"y": "once", "a": "always", "n": "deny"}[reply]

    return await anyio.to_thread.run_sync(ask)


async def elicit_on_terminal(request: Elicitation):
    """An MCP server's request for input, asked a field per line on the terminal."""

    async def ask(question: str) -> str | None:
        try:
            return await anyio.to_thread.run_sync(lambda: click.prompt(question, default="", show_default=False, err=True))
        except click.Abort:
            return None

    return await elicit_by_lines(request, ask, lambda text: click.echo(text, err=True))


def choose_approver(settings: Settings) -> Approver | None:
    if settings.yes:
        return approve_always
    if sys.stdin.isatty() and sys.stderr.isatty():
        return ask_on_terminal
    return None  # nobody to ask: calls that need approval are refused, with the flag that allows them


async def run_turns(settings: Settings, turns: list[str], *, echo: bool, output: str = "text") -> int:
    """Run ``turns`` in one session; the exit code is that of the first failed turn."""
    renderer = JsonRenderer(sys.stdout) if output == "json" else PlainRenderer(sys.stdout, sys.stderr)
    code = EXIT_OK
    def on_status(text: str) -> None:
        renderer.render(Notice(text=text))

    elicit = elicit_on_terminal if sys.stdin.isatty() and sys.stderr.isatty() else None  # else declined
    async with open_agent(settings, choose_approver(settings), on_status, PullDisplay(), elicit=elicit) as agent:
        for notice in agent.notices:
            renderer.render(notice)
        for turn in turns:
            if echo or output == "json":
                renderer.render_prompt(turn)
            typed = True
            if is_command(turn):
                outcome = await run_command(turn, agent, settings)
                renderer.render_output(outcome.text)
                if outcome.quit:
                    break
                if outcome.turn is None:
                    continue
                turn, typed = outcome.turn, outcome.typed
            failure = None
            async for event in agent.orchestrator.run(agent.session, turn, typed=typed):
                renderer.render(event)
                if isinstance(event, TurnFailed):
                    failure = event.reason
            if failure is not None:
                code = code or exit_code_for(failure)
                if failure in FATAL:
                    break
    return code
