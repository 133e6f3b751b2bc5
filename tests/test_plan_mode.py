"""Plan mode: only read-only tools are offered (and only they run), the model is told to answer
with a plan, and ``/go`` goes back to the mode before and carries the plan out. The
orchestrator with the scripted client, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.events import ToolFinished
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.request import PLAN_INSTRUCTION
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import ApprovalPolicy
from a2ia.types import ToolCall


@pytest.mark.anyio
async def test_plan_mode_offers_and_runs_read_only_tools_only(workspace: Path, tools) -> None:
    write = ToolCall(id="w", name="write_file", arguments={"path": "x.txt", "content": "x"})
    client = ScriptedClient([write, "1. Write x.txt."])
    policy = ApprovalPolicy(mode="auto")
    policy.set_mode("plan")
    events = [e async for e in Orchestrator(client, tools, system_prompt="sys", approval=policy).run(Session(), "plan it")]
    offered = {t.name for t in client.requests[0].tools}
    assert offered and offered <= {"list_dir", "read_file", "glob", "grep", "fetch_url"}
    assert client.requests[0].messages[0].content == f"sys\n\n{PLAN_INSTRUCTION}"
    refused = next(e for e in events if isinstance(e, ToolFinished))
    assert refused.result.is_error and "plan mode: only read-only tools run" in refused.result.content
    assert not (workspace / "x.txt").exists()
    assert policy.leave_plan() == "auto" and policy.mode == "auto", "/go goes back to the mode before"


def test_plan_then_go_in_a_script(workspace: Path) -> None:
    write = {"tool": "write_file", "arguments": {"path": "hello.txt", "content": "hi\n"}}
    env = {**os.environ, "A2IA_SCRIPT": json.dumps([{"echo": "system"}, write, "written"])}
    result = subprocess.run(
        [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), "--approval", "yolo"],
        input="/plan what would you change?\n/go\n/go\n", capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "You are in plan mode" in result.stdout, "the plan turn was told"
    assert "approval mode: yolo; carrying out the plan" in result.stderr and "not in plan mode" in result.stderr
    assert (workspace / "hello.txt").read_text() == "hi\n", "carried out after /go"
