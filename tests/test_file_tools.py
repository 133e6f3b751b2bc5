"""The file tools' behaviour: ranges, writes, exact edits, glob, grep."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.tools import files
from a2ia.tools.files import ToolFailure
from a2ia.tools.workspace import Workspace


@pytest.fixture
def ws(workspace: Path) -> Workspace:
    (workspace / "src" / "util.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
    (workspace / "docs").mkdir()
    (workspace / "docs" / "guide.md").write_text("# Guide\nUse add() to add.\n")
    (workspace / ".git").mkdir()
    (workspace / ".git" / "config").write_text("add = secret\n")
    return Workspace(workspace)


def test_read_ranges(ws: Workspace) -> None:
    assert files.read_file(ws, "src/util.py", offset=2, limit=1) == "[lines 2-2 of 6]\n    return a + b\n"
    assert files.read_file(ws, "src/util.py", offset=5).startswith("[lines 5-6 of 6]\ndef sub")
    with pytest.raises(ToolFailure, match="past the end"):
        files.read_file(ws, "src/util.py", offset=99)
    with pytest.raises(ToolFailure, match="counted from 1"):
        files.read_file(ws, "src/util.py", offset=0)


def test_write_creates_folders_and_reports(ws: Workspace, workspace: Path) -> None:
    assert files.write_file(ws, "new/deep/file.txt", "hello") == "created new/deep/file.txt (5 bytes)"
    assert files.write_file(ws, "new/deep/file.txt", "bye") == "overwrote new/deep/file.txt (3 bytes)"
    assert (workspace / "new" / "deep" / "file.txt").read_text() == "bye"
    with pytest.raises(ToolFailure, match="is a folder"):
        files.write_file(ws, "src", "x")


def test_edit_exact_and_refuses_missing_or_ambiguous(ws: Workspace, workspace: Path) -> None:
    assert files.edit_file(ws, "src/util.py", "return a - b", "return a - b  # minus") == "replaced 1 occurrence in src/util.py"
    assert "# minus" in (workspace / "src" / "util.py").read_text()
    with pytest.raises(ToolFailure, match="was not found"):
        files.edit_file(ws, "src/util.py", "return a * b", "x")
    with pytest.raises(ToolFailure, match="matches 2 places"):
        files.edit_file(ws, "src/util.py", "(a, b):", "(x, y):")
    assert files.edit_file(ws, "src/util.py", "(a, b):", "(x, y):", replace_all=True) == "replaced 2 occurrences in src/util.py"
    with pytest.raises(ToolFailure, match="old_text is empty"):
        files.edit_file(ws, "src/util.py", "", "x")
    with pytest.raises(ToolFailure, match="does not exist"):
        files.edit_file(ws, "nope.py", "a", "b")


def test_glob(ws: Workspace) -> None:
    assert files.glob(ws, "**/*.py").splitlines() == ["src/main.py", "src/util.py"]
    assert files.glob(ws, "*.md") == "README.md"
    assert files.glob(ws, "*.md", path="docs") == "docs/guide.md"
    assert "no files match" in files.glob(ws, "**/*.rs")
    assert ".git/config" not in files.glob(ws, "**/*")
    for bad in ("../*", "/etc/*", "src/../../*"):
        with pytest.raises(ToolFailure, match="stay inside"):
            files.glob(ws, bad)


def test_grep(ws: Workspace) -> None:
    lines = files.grep(ws, r"def \w+").splitlines()
    assert lines == ["src/util.py:1: def add(a, b):", "src/util.py:5: def sub(a, b):"]
    assert files.grep(ws, "ADD", ignore_case=True, glob_pattern="*.md") == "docs/guide.md:2: Use add() to add."
    assert files.grep(ws, "print", path="src/main.py") == "src/main.py:1: print('hello')"
    assert "secret" not in files.grep(ws, "add"), ".git is skipped"
    with pytest.raises(ToolFailure, match="not a valid regular expression"):
        files.grep(ws, "(")


def test_grep_caps_its_matches(ws: Workspace, workspace: Path) -> None:
    (workspace / "many.txt").write_text("hit\n" * 1000)
    out = files.grep(ws, "hit")
    assert out.count("\n") == files.MAX_GREP_MATCHES and out.endswith("narrow the pattern or the path)")
