"""Long and wide: a 1,000-turn session, 200 tools over 10 MCP servers, 16 one-shot runs at once.

Nothing here asserts a timing (those are in ``benchmarks/bench_long_wide.py`` and
RELIABILITY.md): it asserts that everything completes, nothing is lost, and memory stays
bounded. Real parts: the orchestrator and the builtin MCP server; 10 real stdio MCP server
processes; 16 real CLI processes against one real ``llama_cpp.server``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, read_session, sessions_dir
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

pytestmark = [pytest.mark.faults, pytest.mark.anyio]
MANY_TOOLS = Path(__file__).parent.parent / "mcp_servers" / "many_tools.py"
A2IA_CLI = str(Path(sys.executable).with_name("a2ia-cli"))


def script(turns: int):
    for turn in range(1, turns + 1):
        if turn % 10 == 0:
            yield ToolCall(id=f"c{turn}", name="list_dir", arguments={"path": "."})
        yield f"Answer {turn}: " + "lorem ipsum dolor sit amet " * 8


async def test_a_thousand_turns_complete_saved_with_bounded_memory(workspace: Path) -> None:
    replies = script(1000)
    client = ScriptedClient(lambda _request: next(replies))
    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools)
        session = Session()
        session.file = SessionFile.create(session.id, {"backend": "scripted"})
        tracemalloc.start()
        try:
            for turn in range(1, 1001):
                async for _ in orchestrator.run(session, f"Question {turn}"):
                    pass
                client.requests.clear()  # the test double's own record, not a2ia's
                if turn == 500:
                    at_500 = tracemalloc.get_traced_memory()[0]
            at_1000 = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        session.close()
    assert len(session.messages) == 1000 * 2 + 100 * 2  # user + answer; 100 calls and their results
    saved = read_session(sessions_dir() / f"{session.id}.jsonl")
    assert saved.messages == session.messages and not saved.warnings
    per_turn = (at_1000 - at_500) / 500
    assert per_turn < 20_000, f"memory grows {per_turn:.0f} bytes a turn (the messages themselves are ~700)"


async def _never_asked(request):
    raise AssertionError(f"the allow rule covers {request.call.name}; nothing should be asked")


async def test_two_hundred_tools_over_ten_servers(workspace: Path, tmp_path: Path) -> None:
    servers = {f"s{i}": StdioServer(command=sys.executable, args=(str(MANY_TOOLS), f"s{i}", "20")) for i in range(10)}
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_servers({"a2ia": make_builtin_server(Workspace(workspace)), **servers})
        assert all(s.state == "connected" for s in registry.statuses()), registry.statuses()
        specs = registry.specs()
        assert len(specs) == 208 and len({s.name for s in specs}) == 208
        client = ScriptedClient([ToolCall(id="x", name="s9_tool_19", arguments={"text": "hi", "times": 2}), "done"])
        policy = ApprovalPolicy(allow=["s9/*"])  # another server's tool: it would ask first
        orchestrator = Orchestrator(client, registry, approval=policy, approver=_never_asked)  # someone to ask: all 208 offered
        events = [e async for e in orchestrator.run(Session(), "use the last tool")]
        assert len(client.requests[0].tools) == 208
    results = [e.result for e in events if type(e).__name__ == "ToolFinished"]
    assert [r.content for r in results] == ["s9.19: hi hi"]


def test_sixteen_one_shot_runs_at_once_against_one_server(openai_server: str, workspace: Path) -> None:
    argv = [A2IA_CLI, "--backend", "openai", "--base-url", openai_server, "-C", str(workspace),
            "--max-steps", "2", "-p", "Say hello."]
    # Replies of at most 64 tokens: the point is 16 processes at once, not how long the 135M model
    # talks once it is switched to ReAct (this server sends nothing when offered tools).
    env = {**os.environ, "A2IA_MAX_TOKENS": "64"}
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(16)]
    outcomes = [(p.communicate(timeout=600)[1], p.returncode) for p in procs]
    for err, code in outcomes:
        assert code in (0, 4), err  # 4: the 135M model used its steps on tools; the run still completed
        assert "Traceback" not in err and "internal error" not in err
    saved = list(sessions_dir().glob("*.jsonl"))
    assert len(saved) == 16 and all(read_session(p).messages for p in saved)
