"""Ctrl-C and Esc during generation and during a tool call, in every front end.

The model is a real server process (``sse_server.py``) reached through the real
``OpenAICompatClient``: ``slow …`` streams for 10 s, ``call run_shell {…}`` asks for a shell
command (``sleep``), whose process group must be gone after the cancel.

* TUI: the real Textual app under its pilot, Esc.
* REPL: the real CLI with ``--plain`` in a real terminal (tmux), Ctrl-C.
* One-shot ``-p``: the real CLI as a subprocess, SIGINT: exit 130, the session file valid.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from fault_support import a2ia_argv, history_problems, wait_for
from pilot_support import wait_pilot

from a2ia.cli.tui.app import make_app
from a2ia.cli.tui.widgets import AssistantMessage, NoticeLine, ToolPanel
from a2ia.config import load_settings
from a2ia.orchestrator.store import list_sessions, read_session

pytestmark = pytest.mark.faults
CANCELLED = "not finished: the turn was cancelled"


def sleep_call() -> str:
    """What to type for a tool call that runs 30 s and leaves its process id in ``pid.txt``."""
    return "call run_shell " + json.dumps({"command": "echo $$ > pid.txt; exec sleep 30"})


def assert_gone(pid_file: Path) -> None:
    pid = int(pid_file.read_text())

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie (killed, not yet reaped by whoever adopted it) is gone too
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
        except OSError:
            return False

    wait_for(gone, 10, f"the cancelled command's process {pid} to be stopped")


def assert_saved_session_valid(expected_roles: list[str]) -> list:
    (info,) = list_sessions()
    loaded = read_session(info.path)
    assert not loaded.warnings, loaded.warnings
    assert not history_problems(loaded.messages), history_problems(loaded.messages)
    assert [m.role for m in loaded.messages] == expected_roles
    return loaded.messages


# --- TUI: Esc ---------------------------------------------------------------------------------------


def turn_running(app) -> bool:
    return any(w.group == "turn" and w.is_running for w in app.workers)


async def send(pilot, text: str) -> None:
    prompt = pilot.app.query_one("#prompt")
    prompt.text = text
    prompt.focus()
    await pilot.press("enter")


@pytest.mark.anyio
async def test_escape_in_the_tui_during_generation_and_a_tool_call(model_server, workspace: Path) -> None:
    # sandbox off: the test reads the command's pid, which a sandbox's own PID namespace renumbers
    settings = load_settings(backend="openai", base_url=model_server.url, workspace=str(workspace), approval="yolo", sandbox="off")
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        await send(pilot, "hello")
        await wait_pilot(pilot, lambda: not turn_running(app) and app.query(AssistantMessage), "the first answer")

        await send(pilot, "slow story")  # generation
        await wait_pilot(pilot, lambda: "word1" in app.query(AssistantMessage).last().source, "the slow reply")
        await pilot.press("escape")
        await wait_pilot(pilot, lambda: not turn_running(app), "the cancel")

        await send(pilot, sleep_call())  # a tool call
        await wait_pilot(pilot, lambda: (workspace / "pid.txt").exists() and app.query(ToolPanel), "the command to start")
        await pilot.press("escape")
        await wait_pilot(pilot, lambda: not turn_running(app), "the cancel")
        assert_gone(workspace / "pid.txt")

        notices = [str(n.render()) for n in app.query(NoticeLine)]
        assert notices.count("cancelled") == 2, notices
        await send(pilot, "still there?")
        await wait_pilot(pilot, lambda: not turn_running(app) and app.query(AssistantMessage).last().source == "echo: still there?",
                         "the next answer")
        session = app.agent.session
        assert [m.content for m in session.messages if m.role != "tool"][:4] == ["hello", "echo: hello", "slow story", sleep_call()]
        assert not history_problems(session.messages)
        assert [m.content for m in session.messages if m.role == "tool"] == [CANCELLED]
        await send(pilot, "/quit")
        await wait_pilot(pilot, lambda: app.return_code is not None, "the app to quit")
    messages = assert_saved_session_valid(["user", "assistant", "user", "user", "assistant", "tool", "user", "assistant"])
    assert messages[-1].content == "echo: still there?"


@pytest.mark.anyio
async def test_ctrl_c_in_the_tui_cancels_the_turn_first(model_server, workspace: Path) -> None:
    """Ctrl-C during a turn stops the turn (as Esc does) and the app stays; a second one quits."""
    app = make_app(load_settings(backend="openai", base_url=model_server.url, workspace=str(workspace)))
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        await send(pilot, "slow story")
        await wait_pilot(pilot, lambda: app.query(AssistantMessage) and "word1" in app.query(AssistantMessage).last().source,
                         "the slow reply")
        await pilot.press("ctrl+c")
        await wait_pilot(pilot, lambda: not turn_running(app), "the cancel")
        assert app.is_running and any(str(n.render()) == "cancelled" for n in app.query(NoticeLine))
        await pilot.pause(2.1)  # past the quit window: the next Ctrl-C is a first one again
        await send(pilot, "still there?")
        await wait_pilot(pilot, lambda: not turn_running(app) and app.query(AssistantMessage).last().source == "echo: still there?",
                         "the next answer")
        assert [m.content for m in app.agent.session.messages] == ["slow story", "still there?", "echo: still there?"]
        await pilot.press("ctrl+c")
        await pilot.press("ctrl+c")
        await wait_pilot(pilot, lambda: app.return_code is not None, "the app to quit")
    assert app.return_code == 0
    assert_saved_session_valid(["user", "user", "assistant"])


# --- one-shot CLI: SIGINT ---------------------------------------------------------------------------


@pytest.mark.parametrize("during", ["generation", "tool"])
def test_sigint_to_the_one_shot_cli(during: str, model_server, workspace: Path, tmp_path: Path) -> None:
    prompt = "slow story" if during == "generation" else sleep_call()
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            a2ia_argv("--backend", "openai", "--base-url", model_server.url, "-C", str(workspace), "--yolo", "--sandbox", "off", "-p", prompt),
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            # A shell's background job ignores SIGINT and its children inherit that; give the
            # CLI the default a person's terminal gives it, however the tests were started.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            if during == "generation":
                wait_for(lambda: "word1" in out.read_text(), 30, "the slow reply")
            else:
                wait_for(lambda: (workspace / "pid.txt").exists(), 30, "the command to start")
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == 130, err.read_text()
    assert "interrupted" in err.read_text()
    if during == "tool":
        assert_gone(workspace / "pid.txt")
        messages = assert_saved_session_valid(["user", "assistant", "tool"])
        assert messages[-1].content == CANCELLED
    else:
        assert_saved_session_valid(["user"])


# --- REPL in a real terminal: Ctrl-C ----------------------------------------------------------------


def tmux(socket: str, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """tmux on a server of this test's own (``-L``): it starts with this test's environment."""
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=check)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux; .ci/run does)")
def test_ctrl_c_in_the_repl_during_generation_and_a_tool_call(
    model_server, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = f"a2ia-fault-{os.getpid()}"
    argv = a2ia_argv("--backend", "openai", "--base-url", model_server.url, "--plain", "--yolo", "--sandbox", "off", "-C", str(workspace))
    monkeypatch.setenv("TERM", "xterm-256color")  # the tmux server and the CLI inherit it
    tmux(socket, "new-session", "-d", "-s", "repl", "-x", "200", "-y", "50", shlex.join(argv), check=True)

    def screen() -> str:
        return tmux(socket, "capture-pane", "-p", "-J", "-S", "-200", "-t", "repl").stdout

    def type_line(text: str) -> None:
        tmux(socket, "send-keys", "-t", "repl", "-l", text, check=True)
        tmux(socket, "send-keys", "-t", "repl", "Enter", check=True)

    try:
        wait_for(lambda: "›" in screen(), 30, "the prompt")
        type_line("slow story")
        wait_for(lambda: "word1" in screen(), 20, "the slow reply")
        tmux(socket, "send-keys", "-t", "repl", "C-c", check=True)
        wait_for(lambda: screen().count("cancelled") == 1, 10, "'cancelled' after Ctrl-C")

        type_line(sleep_call())
        wait_for(lambda: (workspace / "pid.txt").exists(), 20, "the command to start")
        tmux(socket, "send-keys", "-t", "repl", "C-c", check=True)
        wait_for(lambda: screen().count("cancelled") == 2, 10, "'cancelled' after the second Ctrl-C")
        assert_gone(workspace / "pid.txt")

        type_line("still there?")
        wait_for(lambda: "echo: still there?" in screen(), 20, "the next answer")
        type_line("/quit")
        wait_for(lambda: tmux(socket, "has-session", "-t", "repl").returncode != 0, 20, "the REPL to quit")
    finally:
        tmux(socket, "kill-server")
    messages = assert_saved_session_valid(["user", "user", "assistant", "tool", "user", "assistant"])
    assert messages[3].content == CANCELLED and messages[-1].content == "echo: still there?"
