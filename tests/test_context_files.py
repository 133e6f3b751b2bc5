"""Context files (``AGENTS.md``, ``A2IA.md``): found from the repository root down to the
workspace plus the user's own, read only in a trusted folder, capped, and shown by
``/context``; real files, the trust store, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.orchestrator.context_files import MAX_FILE_CHARS, MAX_TOTAL_CHARS, find_context_files
from a2ia.paths import config_dir, project_folders
from a2ia.trust.check import check_trust
from a2ia.trust.review import review_project


def repo(tmp_path: Path) -> Path:
    """``repo/`` (a git root) with ``AGENTS.md``, and the workspace ``repo/app`` with its own."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "AGENTS.md").write_text("Use tabs.\n")
    (tmp_path / "repo" / "app").mkdir()
    (tmp_path / "repo" / "app" / "A2IA.md").write_text("Run tests with make check.\n")
    (tmp_path / "AGENTS.md").write_text("Above the repository: never read.\n")
    return tmp_path / "repo" / "app"


def test_files_come_from_the_user_and_the_repository_root_down_to_the_workspace(tmp_path: Path) -> None:
    workspace = repo(tmp_path)
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "AGENTS.md").write_text("Answer in English.\n")
    assert project_folders(workspace) == [tmp_path / "repo", workspace]
    files, said = find_context_files(workspace, project=True)
    assert [(f.path, f.scope, f.text) for f in files] == [
        (config_dir() / "AGENTS.md", "user", "Answer in English.\n"),
        (tmp_path / "repo" / "AGENTS.md", "project", "Use tabs.\n"),
        (workspace / "A2IA.md", "project", "Run tests with make check.\n"),
    ], "the nearest last: it has the last word"
    assert said == []
    untrusted, _ = find_context_files(workspace, project=False)
    assert [f.scope for f in untrusted] == ["user"], "a folder's files wait for its trust"


def test_an_enormous_or_unreadable_file_is_cut_or_left_out_and_said(tmp_path: Path) -> None:
    workspace = tmp_path / "w"
    workspace.mkdir()
    (workspace / "AGENTS.md").write_text("x" * (MAX_FILE_CHARS + 5))
    (workspace / "A2IA.md").write_bytes(b"\xff\xfe not text")
    files, said = find_context_files(workspace, project=True)
    assert len(files) == 1 and files[0].cut and len(files[0].text) == MAX_FILE_CHARS
    assert f"is {MAX_FILE_CHARS + 5:,} characters; the model gets its first {MAX_FILE_CHARS:,}" in said[0]
    assert said[1] == f"context file {workspace / 'A2IA.md'} left out: it is not UTF-8 text"
    (workspace / "A2IA.md").unlink()
    (workspace / "A2IA.md").mkdir()
    assert "left out: Is a directory" in find_context_files(workspace, project=True)[1][-1]
    assert MAX_TOTAL_CHARS >= MAX_FILE_CHARS


def test_context_files_are_project_files_for_trust(tmp_path: Path) -> None:
    workspace = repo(tmp_path)
    check = check_trust(workspace)
    assert check.state == "untrusted" and check.file_names() == "../AGENTS.md, A2IA.md"
    lines = [line.render() for line in review_project(workspace)]
    assert "A2IA.md: instructions for the model (1 lines)  ⚠ the model gets them with every request" in lines
    assert "../AGENTS.md: instructions for the model (1 lines)  ⚠ the model gets them with every request" in lines
    assert "ignored ../AGENTS.md, A2IA.md (this folder is not trusted)" in (check.notice() or "")


def run(workspace: Path, *args: str, stdin: bytes = b"", script: list | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "A2IA_SCRIPT": json.dumps(script or [])}
    return subprocess.run([sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), *args],
                          input=stdin.decode(), capture_output=True, text=True, env=env, timeout=120)


def test_the_model_gets_them_only_in_a_trusted_folder_and_context_shows_them(tmp_path: Path) -> None:
    workspace = repo(tmp_path)
    untrusted = run(workspace, stdin=b"/context\nwhat do you know?\n", script=[{"echo": "system"}])
    assert untrusted.returncode == 0, untrusted.stderr
    assert "ignored ../AGENTS.md, A2IA.md (this folder is not trusted)" in untrusted.stderr
    assert "no context files" in untrusted.stderr and "Use tabs." not in untrusted.stdout
    trusted = run(workspace, "--trust", stdin=b"/context\nwhat do you know?\n", script=[{"echo": "system"}])
    assert trusted.returncode == 0, trusted.stderr
    assert f"    {tmp_path / 'repo' / 'AGENTS.md'} (project): " in trusted.stderr
    assert f"    {workspace / 'A2IA.md'} (project): " in trusted.stderr
    for part in ("context window:", "system prompt", "tool definitions", "conversation", "free"):
        assert part in trusted.stderr
    prompt = trusted.stdout
    assert f"Instructions from {tmp_path / 'repo' / 'AGENTS.md'} (project):\nUse tabs." in prompt
    assert prompt.index("Use tabs.") < prompt.index("Run tests with make check."), "the repository root first"


@pytest.mark.anyio
async def test_a_subfolders_file_comes_with_the_first_tool_result_there(workspace: Path, tools) -> None:
    from a2ia.client.scripted import ScriptedClient
    from a2ia.orchestrator.context_files import SubfolderContext
    from a2ia.orchestrator.events import ToolFinished
    from a2ia.orchestrator.loop import Orchestrator
    from a2ia.orchestrator.session import Session
    from a2ia.types import ToolCall

    (workspace / "lib" / "core").mkdir(parents=True)
    (workspace / "lib" / "AGENTS.md").write_text("In lib/, keep functions pure.\n")
    (workspace / "lib" / "core" / "a.txt").write_text("alpha\n")
    reads = [ToolCall(id=f"c{i}", name="read_file", arguments={"path": "lib/core/a.txt", "offset": i + 1}) for i in range(2)]
    orchestrator = Orchestrator(ScriptedClient([reads[0], reads[1], "done"]), tools, subfolders=SubfolderContext(workspace.resolve()))
    events = [e async for e in orchestrator.run(Session(), "read it twice")]
    first, second = [e.result.content for e in events if isinstance(e, ToolFinished)]
    assert first.endswith("[instructions from lib/AGENTS.md, for work in lib/]\nIn lib/, keep functions pure.")
    assert "instructions from" not in second, "once a session"


def test_init_in_a_script_shows_the_draft_and_writes_nothing(workspace: Path) -> None:
    (workspace / "Makefile").write_text("check:\n\tpytest\n")
    result = run(workspace, stdin=b"/init\n", script=["```markdown\n# Demo\n\nRun `make check`.\n```"])
    assert result.returncode == 0, result.stderr
    assert "# Demo\n\nRun `make check`.\n" in result.stderr and "```" not in result.stderr, "the fence taken off"
    assert "not written: no one to ask here" in result.stderr and not (workspace / "AGENTS.md").exists()


@pytest.mark.anyio
async def test_init_in_the_repl_writes_what_the_person_approved(workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from a2ia.cli.repl import run_repl
    from a2ia.config import load_settings

    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(["# Demo\n\nRun the tests.", {"echo": "system"}]))
    settings = load_settings(backend="scripted", workspace=str(workspace))
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("/init\ryes\rwhat do you know?\r/init\r")
        pipe.close()
        assert await run_repl(settings) == 0
    out, err = capsys.readouterr()
    out += err
    assert (workspace / "AGENTS.md").read_text() == "# Demo\n\nRun the tests.\n"
    assert f"wrote {workspace.resolve() / 'AGENTS.md'} (3 lines); the model gets it from now on" in out
    assert "Instructions from" in out and "Run the tests." in out, "in the system prompt at once"
    assert "already exists" in out
    assert check_trust(workspace).state == "trusted", "a folder with no project files stays applied with the approved one"
