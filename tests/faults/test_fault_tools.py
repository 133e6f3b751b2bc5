"""Faults of the tools, through the real Orchestrator and the real ToolRegistry.

* A stdio MCP server that dies mid-call: its own ``crash`` tool (``os._exit``), and a SIGKILL
  from outside while its ``hang`` tool runs (``tests/mcp_servers/flaky_server.py``, a real
  process over real stdio). The registry restarts it once; the next turn's ``echo`` works.
* A tool that hangs past the call timeout (``hang`` with a 0.5 s timeout).
* A builtin ``run_shell`` command that prints 10 MB, and a stdio MCP tool that answers 10 MB
  (``flood_server.py``): the model sees head and tail, memory and the session file stay small.

The model is the shipped ``ScriptedClient``: these faults are in the tools, and a script makes
the model ask for exactly the failing call.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from fault_support import assert_kept, final, flaky, saved_session, turn

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.events import ToolFinished, TurnDone
from a2ia.orchestrator.loop import Orchestrator
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import MAX_RESULT_CHARS, ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

pytestmark = [pytest.mark.faults, pytest.mark.anyio]
YOLO = ApprovalPolicy(mode="yolo")


def finished(events: list) -> list[ToolFinished]:
    return [e for e in events if isinstance(e, ToolFinished)]


def call(name: str, call_id: str, **arguments) -> ToolCall:
    return ToolCall(id=call_id, name=name, arguments=arguments)


@pytest.mark.parametrize("how", ["crash", "sigkill"])
async def test_an_mcp_server_killed_mid_call_is_restarted(how: str, tmp_path: Path) -> None:
    """``crash``: the server exits inside the call; ``sigkill``: killed from outside during ``hang``."""
    client = ScriptedClient([
        call("echo", "c0", text="before"), "the server answered",
        call("crash" if how == "crash" else "hang", "c1"), "that call failed",
        call("echo", "c2", text="after"), "it is back",
    ])
    session, path = saved_session(tmp_path)
    async with ToolRegistry(log_dir=tmp_path, call_timeout_s=20) as tools:
        await tools.add_server("flaky", flaky())
        orchestrator = Orchestrator(client, tools, approval=YOLO)
        first = await turn(orchestrator, session, "say before")
        (before,) = finished(first)
        pid = int(before.result.content.rsplit("pid ", 1)[1].rstrip(")"))
        completed = list(session.messages)

        killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)) if how == "sigkill" else None
        started = time.monotonic()

        def kill_when_started(event) -> None:
            if killer is not None and event.kind == "tool_started":
                killer.start()

        crashed = await turn(orchestrator, session, "break it", kill_when_started)
        assert time.monotonic() - started < 10, "the dead server was noticed at once, not at the call timeout"
        (dead,) = finished(crashed)
        assert dead.result.is_error
        assert "the MCP server 'flaky' stopped during this call" in dead.result.content
        assert "being restarted" in dead.result.content
        assert isinstance(final(crashed), TurnDone), "the model read the error and answered"

        after = await turn(orchestrator, session, "say after")
        (echo,) = finished(after)
        assert not echo.result.is_error and echo.result.content.startswith("after (pid")
        assert f"(pid {pid})" not in echo.result.content, "a new process answered"
        assert isinstance(final(after), TurnDone)
        assert tools.status("flaky").state == "connected"
    assert [m.content for m in session.messages if m.role == "assistant"] == [
        "", "the server answered", "", "that call failed", "", "it is back",
    ]
    assert_kept(session, path, completed)


async def test_a_tool_that_hangs_past_its_timeout(tmp_path: Path) -> None:
    client = ScriptedClient([call("hang", "c0"), "it timed out", call("echo", "c1", text="still"), "still here"])
    session, path = saved_session(tmp_path)
    async with ToolRegistry(log_dir=tmp_path, call_timeout_s=0.5) as tools:
        await tools.add_server("flaky", flaky())
        orchestrator = Orchestrator(client, tools, approval=YOLO)
        started = time.monotonic()
        hung = await turn(orchestrator, session, "wait forever")
        assert time.monotonic() - started < 5
        (timeout,) = finished(hung)
        assert timeout.result.is_error and timeout.result.content == "hang did not answer within 0.5 s"
        assert isinstance(final(hung), TurnDone)
        completed = list(session.messages)
        after = await turn(orchestrator, session, "echo")
        (echo,) = finished(after)
        assert not echo.result.is_error and echo.result.content.startswith("still (pid")
        assert isinstance(final(after), TurnDone)
    assert_kept(session, path, completed)


FLOOD = "python3 -c \"import sys; sys.stdout.write('HEAD' + 'x' * 10_000_000 + 'TAIL')\""


async def test_a_tool_that_prints_10_mb(workspace: Path, tmp_path: Path) -> None:
    client = ScriptedClient([call("run_shell", "c0", command=FLOOD), "that was long", call("run_shell", "c1", command="echo small"), "ok"])
    session, path = saved_session(tmp_path)
    async with ToolRegistry(log_dir=tmp_path) as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools, approval=YOLO)
        tracemalloc.start()
        try:
            flood = await turn(orchestrator, session, "print a lot")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        (result,) = finished(flood)
        text = result.result.content
        assert not result.result.is_error and 1_000 < len(text) <= 33_000, len(text)
        assert text.startswith("HEAD") and text.endswith("TAIL"), "head and tail are kept"
        cut = int(text.split("[… ", 1)[1].split(" characters", 1)[0])
        assert 9_960_000 < cut <= 10_000_008 - 30_000, f"the cut says how much was left out ({cut})"
        assert peak < 8_000_000, f"the 10 MB output was held in memory (peak {peak:,} bytes)"
        seen = client.requests[1].messages[-1]
        assert seen.role == "tool" and seen.content == text, "the model sees the capped text"
        assert isinstance(final(flood), TurnDone)
        completed = list(session.messages)
        after = await turn(orchestrator, session, "print a little")
        assert finished(after)[0].result.content.strip() == "small" and isinstance(final(after), TurnDone)
    assert path.stat().st_size < 80_000, f"the session file grew to {path.stat().st_size:,} bytes"
    assert_kept(session, path, completed)


async def test_an_mcp_tool_that_answers_10_mb(tmp_path: Path) -> None:
    """A stdio server's tool answers 10 MB: the registry keeps head and tail, as run_shell does."""
    flood_server = StdioServer(command=sys.executable, args=(str(Path(__file__).parent / "flood_server.py"),))
    client = ScriptedClient([call("flood", "c0"), "that was long", call("flood", "c1", megabytes=0), "short"])
    session, path = saved_session(tmp_path)
    async with ToolRegistry(log_dir=tmp_path) as tools:
        await tools.add_server("flood", flood_server)
        orchestrator = Orchestrator(client, tools, approval=YOLO)
        flood = await turn(orchestrator, session, "flood me")
        (result,) = finished(flood)
        text = result.result.content
        assert len(text) <= MAX_RESULT_CHARS + 100 and text.startswith("HEAD") and text.endswith("TAIL")
        assert "characters of the tool's answer cut" in text
        assert isinstance(final(flood), TurnDone)
        completed = list(session.messages)
        after = await turn(orchestrator, session, "a little")
        assert finished(after)[0].result.content == "HEADTAIL" and isinstance(final(after), TurnDone)
    assert path.stat().st_size < 2 * MAX_RESULT_CHARS, f"the session file grew to {path.stat().st_size:,} bytes"
    assert_kept(session, path, completed)


async def test_a_server_killed_with_two_calls_in_flight_is_restarted_once(tmp_path: Path) -> None:
    """Both calls in flight lose the server; that is one death, so it is restarted (not given up on)."""
    client = ScriptedClient([
        [call("hang", "c0"), call("crash", "c1")], "both failed",
        call("echo", "c2", text="after"), "it is back",
    ])
    session, path = saved_session(tmp_path)
    async with ToolRegistry(log_dir=tmp_path, call_timeout_s=20) as tools:
        await tools.add_server("flaky", flaky())
        orchestrator = Orchestrator(client, tools, approval=YOLO)
        crashed = await turn(orchestrator, session, "break it twice")
        results = [f.result for f in finished(crashed)]
        assert len(results) == 2 and all(r.is_error and "stopped during this call" in r.content for r in results), results
        assert isinstance(final(crashed), TurnDone)
        completed = list(session.messages)
        after = await turn(orchestrator, session, "say after")
        (echo,) = finished(after)
        assert not echo.result.is_error and echo.result.content.startswith("after (pid"), echo.result.content
    assert_kept(session, path, completed)
