"""The everyday commands in the front ends: in the TUI under its pilot (an edit's diff dialog,
``/changes``, ``/undo``, ``/context``, ``/plan`` and ``/go``), and the REPL on a pseudo-terminal
(``terminal.PtySession``): the diff before an edit, then ``/undo``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pilot_support import type_in, wait_pilot

from a2ia.cli.tui.app import make_app
from a2ia.cli.tui.widgets import ApprovalScreen, AssistantMessage, NoticeLine
from a2ia.config import load_settings

EDIT = {"tool": "edit_file", "arguments": {"path": "notes.txt", "old_text": "one", "new_text": "two"}}


def notices(app) -> str:
    return "\n".join(str(n.render()) for n in app.query(NoticeLine))


@pytest.mark.anyio
async def test_the_tui_shows_the_diff_then_changes_undo_context_and_plan(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "notes.txt").write_text("one\n")
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps([EDIT, "edited", "1. Nothing to change."]))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace), approval="ask", sandbox="off"))
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        await type_in(pilot, "fix the note")
        dialog = await wait_pilot(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.screen, "the dialog")
        assert dialog.request.preview.splitlines()[-2:] == ["-one", "+two"]
        await pilot.press("y")
        await wait_pilot(pilot, lambda: (workspace / "notes.txt").read_text() == "two\n", "the edit")
        for command, shown in [("/changes", "(edit_file)"), ("/undo", "restored"), ("/context", "tool definitions"),
                               ("/plan", "plan mode: only read-only tools")]:
            await type_in(pilot, command)
            await wait_pilot(pilot, lambda s=shown: s in notices(app), command)
        assert (workspace / "notes.txt").read_text() == "one\n"
        assert app.agent.orchestrator.approval.mode == "plan"
        await type_in(pilot, "/go")
        await wait_pilot(pilot, lambda: "approval mode: ask; carrying out the plan" in notices(app), "/go")
        await wait_pilot(pilot, lambda: app.query(AssistantMessage).last().source == "1. Nothing to change.", "the turn /go ran")


def test_the_repl_on_a_terminal_shows_the_diff_and_undoes(workspace: Path) -> None:
    from terminal import PtySession

    (workspace / "notes.txt").write_text("one\n")
    env = {**os.environ, "A2IA_SCRIPT": json.dumps([EDIT, "edited"])}
    session = PtySession(["--backend", "scripted", "--plain", "--approval", "ask", "--sandbox", "off", "-C", str(workspace)], env)
    try:
        session.expect("›")
        session.send("fix the note\r")
        session.expect("allow edit_file?")
        shown = session.text()
        assert "--- a/notes.txt" in shown and "-one" in shown and "+two" in shown, shown
        session.send("y\r")
        session.expect("edited")
        session.send("/undo\r")
        session.expect("restored")
        assert (workspace / "notes.txt").read_text() == "one\n"
        session.send("/quit\r")
    finally:
        code = session.close()
    assert code == 0, session.text()
