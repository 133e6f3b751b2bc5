"""Diffs before edits: what ``edit_file`` and ``write_file`` would change, computed by the
code the tools run, shown when the person is asked (plain in a script or the REPL, coloured
in the TUI: ``test_tui_snapshots.py``), and in ``--output json``'s ``approval_needed``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from a2ia.tools.edit_preview import edit_preview
from a2ia.tools.workspace import Workspace


def test_an_edit_is_a_unified_diff_and_a_new_file_its_first_lines(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("one\ntwo\nthree\n")
    space = Workspace(workspace)
    edit = edit_preview(space, "edit_file", {"path": "notes.txt", "old_text": "two", "new_text": "TWO"})
    assert edit == "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three"
    over = edit_preview(space, "write_file", {"path": "notes.txt", "content": "one\n"})
    assert over.splitlines()[-2:] == ["-two", "-three"]
    new = edit_preview(space, "write_file", {"path": "new.py", "content": "\n".join(f"x = {i}" for i in range(25))})
    assert new.splitlines()[:2] == ["new file new.py (25 lines)", "+x = 0"] and new.endswith("… 5 more lines")
    assert edit_preview(space, "write_file", {"path": "notes.txt", "content": "one\ntwo\nthree\n"}) == "notes.txt: no change"


def test_a_call_that_would_fail_has_no_preview(workspace: Path) -> None:
    space = Workspace(workspace)
    (workspace / "notes.txt").write_text("one\n")
    for tool, arguments in [
        ("edit_file", {"path": "notes.txt", "old_text": "missing", "new_text": "x"}),
        ("edit_file", {"path": "../outside.txt", "old_text": "a", "new_text": "b"}),
        ("write_file", {"path": "/etc/passwd", "content": "x"}),
        ("write_file", {"path": "a.txt"}),
        ("write_file", {"path": 5, "content": "x"}),
        ("read_file", {"path": "notes.txt"}),
    ]:
        assert edit_preview(space, tool, arguments) is None, (tool, arguments)


def run(workspace: Path, *args: str, script: list) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "A2IA_SCRIPT": json.dumps(script)}
    return subprocess.run([sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), "--approval", "ask", *args],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_the_person_asked_sees_the_diff_not_the_arguments(workspace: Path) -> None:
    (workspace / "notes.txt").write_text("one\ntwo\n")
    edit = {"tool": "edit_file", "arguments": {"path": "notes.txt", "old_text": "two", "new_text": "2"}}
    plain = run(workspace, "-p", "fix it", script=[edit, "ok"])
    assert plain.returncode == 5, plain.stderr
    assert "? edit_file [a2ia] needs approval: it can change things\n  --- a/notes.txt\n  +++ b/notes.txt" in plain.stderr
    assert "  -two\n  +2" in plain.stderr and "old_text" not in plain.stderr
    events = [json.loads(line) for line in run(workspace, "-p", "fix it", "--output", "json", script=[edit, "ok"]).stdout.splitlines()]
    asked = next(e for e in events if e.get("kind") == "approval_needed")
    assert asked["preview"].endswith("-two\n+2") and asked["call"]["arguments"]["new_text"] == "2", "both, for a program"
