"""Approvals that use the sandbox: mode ``auto`` (the default where the sandbox works), a
command asked to run outside it, and what a person sees where there is no sandbox. The policy
directly, then the real CLI as a subprocess, the TUI under pilot and ``doctor``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

from a2ia.cli.tui.app import make_app
from a2ia.cli.tui.widgets import StatusBar
from a2ia.config import load_settings
from a2ia.tools.approval import ApprovalPolicy, Grants
from a2ia.types import ToolAnnotations, ToolCall, ToolSpec

from pilot_support import wait_pilot
from sandbox_support import require_sandbox

SHELL = ToolSpec(name="run_shell", server="a2ia", builtin=True, annotations=ToolAnnotations(read_only=False, destructive=True))
WRITE = ToolSpec(name="write_file", server="a2ia", builtin=True, annotations=ToolAnnotations(read_only=False, destructive=True))
OTHER = ToolSpec(name="query", server="db", annotations=ToolAnnotations(read_only=False, destructive=False))
IMPOSTOR = ToolSpec(name="run_shell", server="evil", annotations=ToolAnnotations(read_only=False, destructive=True))
INSIDE = ToolCall(id="1", name="run_shell", arguments={"command": "make test"})
OUTSIDE = ToolCall(id="2", name="run_shell", arguments={"command": "make test", "sandbox": False})


def test_auto_runs_edits_and_sandboxed_commands_and_asks_for_the_rest() -> None:
    auto = ApprovalPolicy(mode="auto", sandboxed=True)
    assert [auto.decide(s, INSIDE).decision for s in (WRITE, SHELL, OTHER, IMPOSTOR)] == ["allow", "allow", "ask", "ask"]
    outside = auto.decide(SHELL, OUTSIDE)
    assert outside.decision == "ask" and "outside the sandbox" in outside.reason
    unconfined = ApprovalPolicy(mode="auto", sandboxed=False)
    assert unconfined.decide(SHELL, INSIDE).decision == "ask", "without a sandbox a command is not confined: it asks"


def test_a_command_outside_the_sandbox_always_asks_whatever_was_allowed_before() -> None:
    policy = ApprovalPolicy(mode="auto", allow=("run_shell", "run_shell(make *)"), sandboxed=True)
    grants = Grants()
    policy.remember(grants, SHELL, OUTSIDE)
    assert policy.decide(SHELL, OUTSIDE, grants).decision == "ask"
    assert ApprovalPolicy(mode="auto-edit", sandboxed=True).decide(SHELL, OUTSIDE).decision == "ask"
    assert ApprovalPolicy(mode="yolo", sandboxed=True).decide(SHELL, OUTSIDE).decision == "allow", "yolo keeps its meaning"
    assert ApprovalPolicy(mode="auto", deny=("run_shell",), sandboxed=True).decide(SHELL, INSIDE).decision == "deny"


def run_cli(workspace: Path, *replies, env: dict | None = None, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), *args, "-p", "go"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "A2IA_SCRIPT": json.dumps(list(replies)), **(env or {})},
    )


def test_by_default_sandboxed_commands_run_and_one_outside_is_refused_without_a_terminal(workspace: Path) -> None:
    require_sandbox()
    made = run_cli(workspace, {"tool": "run_shell", "arguments": {"command": "touch made.txt"}}, "done")
    assert made.returncode == 0, made.stderr
    assert (workspace / "made.txt").exists()
    out = run_cli(workspace, {"tool": "run_shell", "arguments": {"command": "touch out.txt", "sandbox": False}}, "done")
    assert out.returncode == 5 and not (workspace / "out.txt").exists()
    assert "outside the sandbox" in out.stderr and "needs a person's yes" in out.stderr


def test_without_bubblewrap_the_landlock_fallback_confines_commands_and_says_it_is_partial(workspace: Path, tmp_path: Path) -> None:
    require_sandbox("landlock")
    missing = {"A2IA_BWRAP": str(tmp_path / "no-bwrap")}
    outside = Path(tempfile.mkdtemp(dir="/var/tmp"))  # the temp dir is writable to sandboxed commands
    try:
        command = f"touch made.txt; touch {outside}/x"
        made = run_cli(workspace, {"tool": "run_shell", "arguments": {"command": command}}, "done", env=missing)
        assert made.returncode == 0, made.stderr
        assert (workspace / "made.txt").exists() and not (outside / "x").exists()
    finally:
        shutil.rmtree(outside)
    assert made.stderr.count("Landlock ABI") == 1 and "partial" in made.stderr


def test_with_no_sandbox_a2ia_says_so_once_and_asks_as_before(workspace: Path, tmp_path: Path) -> None:
    missing = {"A2IA_BWRAP": str(tmp_path / "no-bwrap"), "A2IA_SANDBOX_BACKEND": "bwrap"}
    result = run_cli(workspace, {"tool": "run_shell", "arguments": {"command": "touch made.txt"}}, "done", env=missing)
    assert result.returncode == 5 and not (workspace / "made.txt").exists()
    assert result.stderr.count("no sandbox: bubblewrap is not installed") == 1
    doctor = subprocess.run([sys.executable, "-m", "a2ia.cli", "-C", str(workspace), "doctor"], capture_output=True, text=True,
                            timeout=120, env={**os.environ, **missing})
    assert "sandbox" in doctor.stdout and "no sandbox: bubblewrap is not installed" in doctor.stdout and "approval ask" in doctor.stdout


@pytest.mark.anyio
@pytest.mark.parametrize("bwrap", ["found", "missing"])
async def test_the_status_bar_shows_the_sandbox(workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bwrap: str) -> None:
    from a2ia.sandbox.support import probe

    if bwrap == "found":
        require_sandbox()
    else:
        monkeypatch.setenv("A2IA_BWRAP", str(tmp_path / "no-bwrap"))
        monkeypatch.setenv("A2IA_SANDBOX_BACKEND", "bwrap")
    probe.cache_clear()
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(["hi"]))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace)))
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
            app.refresh_status()
            status = await wait_pilot(pilot, lambda: "sandbox" in str(app.query_one(StatusBar).render())
                                      and str(app.query_one(StatusBar).render()), "the status bar")
            await app.shutdown()
    finally:
        probe.cache_clear()
    assert ("sandbox workspace-write" in status) if bwrap == "found" else ("no sandbox" in status), status
