"""The TUI's main screens as snapshots (``pytest-textual-snapshot``): an answer with its tool
panel, the approval dialog (a new file's first lines, an edit's coloured diff), an error. ``--snapshot-update`` writes them again after a change
to the look (review the SVGs in ``__snapshots__/`` before committing them).

The clocks the screens show (a call's duration, tokens per second) run on a steady fake clock,
no path of the test's own folder is shown, and the sandbox is off (the status bar would name
this machine's), so the same app draws the same screen on every machine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pilot_support import wait_pilot

from a2ia.cli.tui.app import make_app
from a2ia.cli.tui.widgets import ApprovalScreen, AssistantMessage, NoticeLine
from a2ia.config import load_settings

SIZE = (100, 30)


class SteadyClock:
    """``perf_counter`` that advances a quarter second each time it is read; the rest is ``time``'s."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.25
        return self.now

    def __getattr__(self, name: str):
        return getattr(time, name)


@pytest.fixture
def steady(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr("a2ia.orchestrator.calls.time", SteadyClock())
    monkeypatch.setattr("a2ia.cli.tui.app.time", SteadyClock())
    root = tmp_path / "project"
    root.mkdir()
    (root / "README.md").write_text("# Demo\n")
    (root / "src").mkdir()
    monkeypatch.chdir(root)
    return root


def app_for(root: Path, monkeypatch: pytest.MonkeyPatch, *replies, **settings):
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(list(replies)))
    # sandbox off: the status bar would say what this machine's sandbox is
    return make_app(load_settings(backend="scripted", workspace=str(root), save_sessions=False, sandbox="off", **settings))


async def typed(pilot, text: str) -> None:
    await wait_pilot(pilot, lambda: pilot.app.agent is not None, "the agent")
    prompt = pilot.app.query_one("#prompt")
    prompt.text = text
    prompt.focus()
    await pilot.press("enter")


def turn_over(app) -> bool:
    return not any(w.group == "turn" and w.is_running for w in app.workers)


def test_an_answer_with_its_tool_panel(snap_compare, steady: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_for(steady, monkeypatch, {"tool": "list_dir", "arguments": {"path": "."}}, "There is **src** and a README.")

    async def run_before(pilot) -> None:
        await typed(pilot, "What is here?")
        await wait_pilot(pilot, lambda: turn_over(app) and app.query(AssistantMessage), "the answer")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("call", [
    {"tool": "write_file", "arguments": {"path": "hello.txt", "content": "hi"}},
    {"tool": "edit_file", "arguments": {"path": "README.md", "old_text": "# Demo", "new_text": "# Demo\n\nA small demo."}},
], ids=["new-file", "edit-diff"])
def test_the_approval_dialog(snap_compare, steady: Path, monkeypatch: pytest.MonkeyPatch, call: dict) -> None:
    """A new file's first lines, an edit's coloured diff: what the call would change."""
    app = app_for(steady, monkeypatch, call, "done", approval="ask")

    async def run_before(pilot) -> None:
        await typed(pilot, "change it")
        await wait_pilot(pilot, lambda: isinstance(app.screen, ApprovalScreen), "the dialog")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_an_error_the_app_survives(snap_compare, steady: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(load_settings(backend="llamacpp", model="missing.gguf", workspace=str(steady), sandbox="off", save_sessions=False))

    async def run_before(pilot) -> None:
        await wait_pilot(pilot, lambda: app.query(NoticeLine), "the error")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
