"""The prompt_toolkit line REPL, fed through a pipe input, and under a real terminal (tmux)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from a2ia.cli.repl import history_file, run_repl
from a2ia.config import load_settings

pytestmark = pytest.mark.anyio


async def typed(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys, script: list, keys: str, **more_settings
) -> tuple[int, str, str]:
    """The REPL on the scripted backend (approval ``ask``), fed ``keys``: its exit code, stdout, stderr."""
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(script))
    settings = load_settings(backend="scripted", workspace=str(workspace), approval="ask", **more_settings)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        pipe.close()
        code = await run_repl(settings)
    out, err = capsys.readouterr()
    return code, out, err


async def test_turns_commands_history_and_inline_approval(workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    write = {"tool": "write_file", "arguments": {"path": "note.txt", "content": "hi"}}
    code, out, err = await typed(workspace, monkeypatch, capsys, ["Hello there.", write, "Written."], "hi\r/tools\rwrite a note\ry\r")
    assert code == 0
    assert out == "Hello there.\nWritten.\n"
    assert "a2ia · scripted · scripted" in err and "read_file [a2ia] (read-only)" in err
    assert "? write_file [a2ia] needs approval" in err and "  new file note.txt (1 lines)\n  +hi" in err, "the diff, plain"
    assert (workspace / "note.txt").read_text() == "hi"
    assert "+hi" in history_file().read_text() and "+/tools" in history_file().read_text()


async def test_a_hint_names_the_setting_as_the_repl_changes_it(workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The step limit's hint in the REPL names the config key; a script (test_cli) names the flag."""
    calls = [{"tool": "list_dir", "arguments": {"path": p}} for p in (".", "src", "..")]
    code, _, err = await typed(workspace, monkeypatch, capsys, calls, "loop\r", max_steps=2)
    assert code == 0, "the REPL goes on after a failed turn"
    assert "stopped after 2 steps" in err
    assert "raise the limit with max_steps in config.toml" in err and "--max-steps" not in err


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux; .ci/run does)")
@pytest.mark.parametrize("front_end", ["--plain", "--backend=scripted"], ids=["repl", "tui"])
def test_the_real_cli_in_a_terminal(workspace: Path, front_end: str) -> None:
    """`a2ia-cli` on a real terminal (tmux), REPL and TUI: type a question, read the answer on screen."""
    import os

    env = {**os.environ, "A2IA_SCRIPT": json.dumps(["The answer is 42."]), "TERM": "xterm-256color"}
    session = f"a2ia-test-{os.getpid()}-{front_end.strip('-')[:5]}"
    command = f"{sys.executable} -m a2ia.cli --backend scripted {front_end} -C {workspace}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command], env=env, check=True)
    try:
        screen = ""
        for _ in range(100):
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if "›" in screen or "scripted ·" in screen:
                break
            time.sleep(0.1)
        subprocess.run(["tmux", "send-keys", "-t", session, "what is it?", "Enter"], check=True)
        for _ in range(100):
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if "The answer is 42." in screen:
                break
            time.sleep(0.1)
        assert "The answer is 42." in screen, screen
        subprocess.run(["tmux", "send-keys", "-t", session, "/quit", "Enter"], check=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


async def test_clear_starts_a_session_that_asks_again(workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """"Always" is for the session it was given in: after /clear the next write asks again."""
    writes = [{"tool": "write_file", "arguments": {"path": f"n{i}.txt", "content": "x"}} for i in (1, 2, 3)]
    script = [writes[0], "one", writes[1], "two", writes[2], "three"]
    code, out, err = await typed(workspace, monkeypatch, capsys, script, "write one\ra\rwrite two\r/clear\rwrite three\ry\r")
    assert code == 0 and out == "one\ntwo\nthree\n"
    lines = err.splitlines()
    asked = [lines[i + 1] for i, line in enumerate(lines) if "needs approval" in line]  # the line after: what it writes
    assert [("n1.txt" in a, "n3.txt" in a) for a in asked] == [(True, False), (False, True)], asked
    assert all((workspace / f"n{i}.txt").exists() for i in (1, 2, 3))
