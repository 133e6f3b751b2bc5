"""Checkpoints and ``/undo``: what a2ia's own file tools changed, per turn, put back on request;
a file changed since (by hand, by a command) is left as it is and said so. Real files, the
orchestrator with the scripted client, and the CLI as a subprocess (the session's data dir)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.checkpoints import Checkpoints
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

pytestmark = pytest.mark.anyio


def call(name: str, **arguments) -> ToolCall:
    return ToolCall(id=f"{name}-{len(arguments)}-{sorted(arguments.items())!r:.20}", name=name, arguments=arguments)


async def test_undo_puts_back_each_turns_changes_newest_first(workspace: Path, tools, tmp_path: Path) -> None:
    (workspace / "notes.txt").write_text("one\n")
    session = Session()
    session.state.checkpoints = Checkpoints(tmp_path / "cp")
    turns = [
        [call("edit_file", path="notes.txt", old_text="one", new_text="two"), "edited"],
        [call("write_file", path="new.txt", content="fresh\n"), call("run_shell", command="echo hi > shell.txt"), "written"],
    ]
    for replies in turns:
        orchestrator = Orchestrator(ScriptedClient(replies), tools, approval=ApprovalPolicy(mode="yolo"), locate=Workspace(workspace).locate)
        [e async for e in orchestrator.run(session, "go")]
    assert (workspace / "notes.txt").read_text() == "two\n" and (workspace / "new.txt").exists()
    listing = session.state.checkpoints.listing()
    assert f"turn 1:\n  changed {workspace.resolve() / 'notes.txt'}  (edit_file)" in listing
    assert f"  created {workspace.resolve() / 'new.txt'}  (write_file)" in listing
    assert "  ran echo hi > shell.txt  (a shell command: its effects cannot be undone)" in listing

    again = Checkpoints(tmp_path / "cp")  # read back from the session's data dir (a resumed session)
    assert again.changes == [c for c in session.state.checkpoints.changes]
    assert again.undo() == [f"removed {workspace.resolve() / 'new.txt'} (a2ia's write_file had created it)"]
    assert not (workspace / "new.txt").exists() and (workspace / "shell.txt").exists(), "a command's effects stay"
    (workspace / "notes.txt").write_text("changed by hand\n")
    assert again.undo() == [f"not restored: {workspace.resolve() / 'notes.txt'} was changed after a2ia's edit_file (by hand or by a command); left as it is"]
    assert (workspace / "notes.txt").read_text() == "changed by hand\n"
    assert again.undo() == ["nothing to undo: a2ia's file tools changed nothing in this session"]


async def test_a_failed_or_refused_edit_keeps_nothing(workspace: Path, tools) -> None:
    (workspace / "notes.txt").write_text("one\n")
    session = Session()
    replies = [call("edit_file", path="notes.txt", old_text="missing", new_text="x"), call("edit_file", path="../out.txt", old_text="a", new_text="b"), "ok"]
    orchestrator = Orchestrator(ScriptedClient(replies), tools, approval=ApprovalPolicy(mode="yolo"), locate=Workspace(workspace).locate)
    [e async for e in orchestrator.run(session, "go")]
    assert session.state.checkpoints.changes == []


def test_undo_in_a_session_and_after_resume(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("one\n")
    edit = {"tool": "edit_file", "arguments": {"path": "notes.txt", "old_text": "one", "new_text": "two"}}
    env = {**os.environ, "A2IA_SCRIPT": json.dumps([edit, "edited", {"echo": True}])}
    argv = [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), "--approval", "yolo"]
    first = subprocess.run(argv, input="fix it\n/changes\n", capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "changed" in first.stderr and (workspace / "notes.txt").read_text() == "two\n"
    resumed = subprocess.run([*argv, "--resume", "latest"], input="/undo\nwhat now?\n", capture_output=True, text=True,
                             env={**env, "A2IA_SCRIPT": json.dumps([{"echo": True}])}, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"restored {workspace.resolve() / 'notes.txt'} (as before a2ia's edit_file)" in resumed.stderr
    assert (workspace / "notes.txt").read_text() == "one\n"
    assert resumed.stdout.startswith("[a2ia: the person undid file changes: restored"), "the model is told with the next message"


def test_a_damaged_index_skips_its_bad_lines(tmp_path: Path) -> None:
    folder = tmp_path / "cp"
    folder.mkdir()
    good = {"turn": 1, "tool": "write_file", "path": str(tmp_path / "x.txt"), "before": None, "after": "abc"}
    (folder / "index.jsonl").write_text(json.dumps(good) + "\n{\"turn\": 2, \"to\n[1, 2]\n")
    kept = Checkpoints(folder)
    assert [c.turn for c in kept.changes] == [1]
    assert kept.undo() == [f"not restored: {tmp_path / 'x.txt'} was changed after a2ia's write_file (by hand or by a command); left as it is"]
