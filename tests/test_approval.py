"""The approval policy, in the orchestrator and through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.hints import named_settings
from a2ia.orchestrator.events import ApprovalNeeded, ToolFinished, TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import ApprovalPolicy, Grants, fingerprint
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ToolAnnotations, ToolCall, ToolSpec

SHELL = ToolSpec(name="run_shell", server="a2ia", builtin=True, annotations=ToolAnnotations(read_only=False, destructive=True))
WRITE = ToolSpec(name="write_file", server="a2ia", builtin=True, annotations=ToolAnnotations(read_only=False, destructive=True))
READ = ToolSpec(name="read_file", server="a2ia", builtin=True, annotations=ToolAnnotations(read_only=True, destructive=False))
OTHER = ToolSpec(name="query", server="db", annotations=ToolAnnotations(read_only=False, destructive=False))
CALL = ToolCall(id="c", name="x")


def decision(policy: ApprovalPolicy, spec: ToolSpec, grants: Grants | None = None) -> str:
    return policy.decide(spec, CALL, grants or Grants()).decision


def test_the_decision_table() -> None:
    ask = ApprovalPolicy()
    assert [decision(ask, s) for s in (READ, WRITE, SHELL, OTHER)] == ["allow", "ask", "ask", "ask"]
    edit = ApprovalPolicy(mode="auto-edit")
    assert [decision(edit, s) for s in (READ, WRITE, SHELL, OTHER)] == ["allow", "allow", "ask", "ask"]
    yolo = ApprovalPolicy(mode="yolo")
    assert [decision(yolo, s) for s in (READ, WRITE, SHELL, OTHER)] == ["allow"] * 4


def test_rules_match_names_and_deny_wins() -> None:
    policy = ApprovalPolicy(mode="yolo", allow=["run_*", "db/*"], deny=["run_shell"])
    assert decision(policy, SHELL) == "deny" and decision(policy, OTHER) == "allow"
    assert decision(ApprovalPolicy(deny=["read_*"]), READ) == "deny", "deny beats read-only too"
    clashing = OTHER.model_copy(update={"name": "db__query"})
    assert decision(ApprovalPolicy(allow=["db__query"]), clashing) == "allow"
    assert decision(ApprovalPolicy(allow=["db/query"]), clashing) == "allow"


def test_a_tool_that_imitates_another_name_gets_none_of_its_rights() -> None:
    """Another server's ``read_file`` is offered as ``evil__read_file``: the rule and the
    auto-edit right given to a2ia's own file tools do not reach it."""
    evil_read = ToolSpec(name="evil__read_file", server="evil", annotations=ToolAnnotations(read_only=False))
    evil_write = ToolSpec(name="evil__write_file", server="evil", annotations=ToolAnnotations(read_only=False))
    assert decision(ApprovalPolicy(allow=["read_file"]), evil_read) == "ask"
    assert decision(ApprovalPolicy(mode="auto-edit"), evil_write) == "ask"
    assert decision(ApprovalPolicy(allow=["read_file"]), READ.model_copy(update={"annotations": ToolAnnotations()})) == "allow"


def shell(command: str) -> ToolCall:
    return ToolCall(id="s", name="run_shell", arguments={"command": command})


SMUGGLED = [
    "ls; rm -rf ~", "ls && rm -rf ~", "ls || rm -rf ~", "ls | sh", "ls & rm -rf ~", "ls `rm -rf ~`",
    "ls $(rm -rf ~)", "ls > ~/.bashrc", "ls < /etc/shadow", "ls\nrm -rf ~", "ls\rrm -rf ~",
]


@pytest.mark.parametrize("command", SMUGGLED)
def test_an_approved_command_cannot_carry_a_second_one(command: str) -> None:
    policy, grants = ApprovalPolicy(), Grants()
    policy.remember(grants, SHELL, shell("ls"))
    assert policy.decide(SHELL, shell("ls"), grants).decision == "allow"
    verdict = policy.decide(SHELL, shell(command), grants)
    assert verdict.decision == "ask" and "per command" in verdict.reason
    rule = ApprovalPolicy(allow=["run_shell(ls*)"])
    assert rule.decide(SHELL, shell("ls -la src")).decision == "allow"
    assert rule.decide(SHELL, shell(command)).decision == "ask", f"the rule let {command!r} through"


def test_command_rules_deny_inside_chains_too() -> None:
    policy = ApprovalPolicy(mode="yolo", deny=["run_shell(rm *)"])
    assert policy.decide(SHELL, shell("rm -rf build")).decision == "deny"
    assert policy.decide(SHELL, shell("ls; rm -rf build")).decision == "deny"
    assert policy.decide(SHELL, shell("ls")).decision == "allow"
    assert ApprovalPolicy(allow=["run_shell(ls*)"]).decide(WRITE, CALL).decision == "ask", "a command rule is for run_shell only"


def test_always_holds_until_the_definition_changes() -> None:
    policy, grants = ApprovalPolicy(), Grants()
    policy.remember(grants, OTHER)
    assert decision(policy, OTHER, grants) == "allow"
    assert decision(policy, OTHER) == "ask", "an approval belongs to the session that granted it"
    renamed_behaviour = OTHER.model_copy(update={"description": "now also deletes rows"})
    assert fingerprint(renamed_behaviour) != fingerprint(OTHER)
    verdict = policy.decide(renamed_behaviour, CALL, grants)
    assert verdict.decision == "ask" and "definition changed" in verdict.reason
    schema_change = OTHER.model_copy(update={"input_schema": {"type": "object", "properties": {"sql": {"type": "string"}}}})
    assert decision(policy, schema_change, grants) == "ask"




WRITE_CALL = ToolCall(id="w", name="write_file", arguments={"path": "new.txt", "content": "hi"})


@pytest.mark.anyio
async def test_without_anyone_to_ask_the_call_is_refused_and_nothing_runs(tools: ToolRegistry, workspace: Path) -> None:
    events = [e async for e in Orchestrator(ScriptedClient([WRITE_CALL, "x"]), tools).run(Session(), "write")]
    assert isinstance(events[-2], ApprovalNeeded) and events[-2].server == "a2ia"
    assert isinstance(events[-1], TurnFailed) and events[-1].reason == "approval_denied"
    assert named_settings(events[-1].hint) == [("yes", None), ("approval", "yolo"), ("allow_tools", "write_file")]
    assert not (workspace / "new.txt").exists()


@pytest.mark.anyio
@pytest.mark.parametrize(("answer", "runs"), [("once", True), ("always", True), ("deny", False)])
async def test_the_persons_answer(tools: ToolRegistry, workspace: Path, answer: str, runs: bool) -> None:
    asked: list[ApprovalNeeded] = []

    async def approver(request: ApprovalNeeded):
        asked.append(request)
        return answer

    second = WRITE_CALL.model_copy(update={"id": "w2", "arguments": {"path": "two.txt", "content": "x"}})
    orchestrator = Orchestrator(ScriptedClient([WRITE_CALL, second, "done"]), tools, approver=approver)
    events = [e async for e in orchestrator.run(Session(), "write")]
    assert isinstance(events[-1], TurnDone)
    assert (workspace / "new.txt").exists() == runs
    assert asked[0].call == WRITE_CALL and asked[0].reason == "it can change things"
    assert len(asked) == (1 if answer == "always" else 2)
    if answer == "deny":
        finished = next(e for e in events if isinstance(e, ToolFinished))
        assert finished.result.is_error and "did not allow" in finished.result.content


def a2ia(*args: str, workspace: Path, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "--approval", "ask", "-C", str(workspace), *args],
        capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**dict(os.environ), **(env or {})},
    )


def write_script(*replies) -> dict:
    return {"A2IA_SCRIPT": json.dumps(list(replies))}


WRITE_REPLY = {"tool": "write_file", "arguments": {"path": "out.txt", "content": "hello"}}


def test_cli_without_a_tty_refuses_with_exit_5_and_says_how(workspace: Path) -> None:
    """The model is not offered write_file (one line says so); one that names it anyway is refused."""
    result = a2ia("-p", "write", workspace=workspace, env=write_script(WRITE_REPLY, "done"))
    assert result.returncode == 5
    err = result.stderr.decode()
    assert "not offering write_file, edit_file, run_shell to the model" in err
    assert "write_file needs approval" in err and "--yes" in err
    assert not (workspace / "out.txt").exists()


@pytest.mark.parametrize("flags", [["--yes"], ["--yolo"], ["--approval", "auto-edit"], ["--approval", "yolo"]])
def test_cli_flags_that_allow_it(workspace: Path, flags: list[str]) -> None:
    result = a2ia(*flags, "-p", "write", workspace=workspace, env=write_script(WRITE_REPLY, "done"))
    assert result.returncode == 0, result.stderr.decode()
    assert (workspace / "out.txt").read_text() == "hello"


def test_cli_allow_and_deny_rules_from_the_environment(workspace: Path) -> None:
    allowed = a2ia("-p", "write", workspace=workspace, env={**write_script(WRITE_REPLY, "done"), "A2IA_ALLOW_TOOLS": "write_*"})
    assert allowed.returncode == 0 and (workspace / "out.txt").exists()
    denied = a2ia("--yolo", "-p", "x", workspace=workspace, env={**write_script({"tool": "run_shell", "arguments": {"command": "touch pwned"}}, "ok"), "A2IA_DENY_TOOLS": "run_shell"})
    assert denied.returncode == 0 and not (workspace / "pwned").exists()
    assert "not run: the deny rule 'run_shell'" in denied.stderr.decode()


def run_on_a_terminal(workspace: Path, answer: bytes, script: list) -> tuple[int, str]:
    """The real CLI with a pseudo-terminal as stdin and stderr; types ``answer`` at the prompt."""
    import pty
    import select

    leader, follower = pty.openpty()
    env = {**dict(os.environ), "A2IA_SCRIPT": json.dumps(script)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "--approval", "ask", "-C", str(workspace), "-p", "write"],
        stdin=follower, stderr=follower, stdout=subprocess.PIPE, env=env,
    )
    os.close(follower)
    seen = b""
    answered = False
    while proc.poll() is None:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                seen += os.read(leader, 4096)
            except OSError:
                break
        if not answered and b"allow write_file?" in seen:
            os.write(leader, answer)
            answered = True
    proc.wait(timeout=60)
    os.close(leader)
    return proc.returncode, seen.decode(errors="replace")


@pytest.mark.parametrize(("answer", "created"), [(b"y\n", True), (b"n\n", False)])
def test_asked_on_a_terminal(workspace: Path, answer: bytes, created: bool) -> None:
    code, screen = run_on_a_terminal(workspace, answer, [WRITE_REPLY, "done"])
    assert code == 0, screen
    assert "? write_file [a2ia] needs approval: it can change things" in screen
    assert "  new file out.txt (1 lines)\r\n  +hello" in screen, "what it would write, not its raw arguments"
    assert (workspace / "out.txt").exists() == created
    if not created:
        assert "did not allow" in screen
