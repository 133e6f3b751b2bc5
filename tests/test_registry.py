"""ToolRegistry with real MCP servers over real stdio, streamable HTTP and in-process.

``mcp_servers/flaky_server.py`` is a real stdio MCP server (the ``mcp`` SDK) whose tools
crash the process, hang, report progress or change the tool list.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import anyio
import pytest

from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.mcp_config import BrokenServer, StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

pytestmark = pytest.mark.anyio
FLAKY = str(Path(__file__).parent / "mcp_servers" / "flaky_server.py")


def flaky(name: str = "flaky", *extra: str, **fields) -> StdioServer:
    return StdioServer(command=sys.executable, args=(FLAKY, "--name", name, *extra), **fields)


async def call(registry: ToolRegistry, name: str, **arguments):
    return await registry.call(ToolCall(id="c", name=name, arguments=arguments))


async def test_servers_connect_concurrently_and_failures_are_reported(tmp_path: Path, workspace: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        with anyio.fail_after(20):  # a hang guard, not a measure
            await registry.add_servers({
                "a2ia": make_builtin_server(Workspace(workspace)),
                "flaky": flaky(),
                "missing": StdioServer(command="/nonexistent/mcp-server"),
                "stuck": flaky("stuck", "--hang-at-start", timeout_s=3),
                "broken": BrokenServer(error="mcp.json: server 'broken' uses unset environment variable(s) TOKEN"),
            })
        status = {s.name: s for s in registry.statuses()}
    assert status["a2ia"].state == "connected" and status["a2ia"].kind == "builtin"
    assert status["flaky"].state == "connected" and "echo" in status["flaky"].tools
    assert status["missing"].state == "failed" and "/nonexistent/mcp-server" in status["missing"].error
    assert status["stuck"].state == "failed" and "did not answer within 3 s" in status["stuck"].error
    assert status["broken"].state == "failed" and "TOKEN" in status["broken"].error


async def test_names_are_prefixed_only_when_they_clash(tmp_path: Path, workspace: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_servers({"one": flaky("one"), "two": flaky("two"), "a2ia": make_builtin_server(Workspace(workspace))})
        names = {s.name for s in registry.specs()}
        assert {"one__echo", "two__echo", "read_file", "list_dir"} <= names and "echo" not in names
        one = await call(registry, "one__echo", text="hi")
        two = await call(registry, "two__echo", text="hi")
    assert one.content.startswith("hi (pid") and two.content.startswith("hi (pid") and one.content != two.content


async def test_include_and_exclude_tools(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_servers({
            "only": flaky("only", include_tools=("echo", "hang")),
            "but": flaky("but", exclude_tools=("crash",)),
        })
        names = {s.name for s in registry.specs()}
    assert "only__echo" in names and "hang" not in names and "only__hang" in names
    assert "crash" not in names and "but__crash" not in names and "slow_count" in names


async def test_a_call_that_never_answers_times_out(tmp_path: Path) -> None:
    async with ToolRegistry(call_timeout_s=0.5, log_dir=tmp_path) as registry:
        await registry.add_server("flaky", flaky())
        started = time.perf_counter()
        result = await call(registry, "hang")
        assert time.perf_counter() - started < 3
        assert result.is_error and "did not answer within 0.5 s" in result.content
        assert not (await call(registry, "echo", text="still here")).is_error


async def test_a_server_that_dies_mid_call_is_restarted_once(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("flaky", flaky())
        before = (await call(registry, "echo", text="a")).content
        crashed = await call(registry, "crash")
        assert crashed.is_error and "stopped during this call" in crashed.content and "restarted" in crashed.content
        after = await call(registry, "echo", text="a")
        assert not after.is_error and after.content != before, "a new process answers"
        again = await call(registry, "crash")
        assert again.is_error and "not restarted a second time" in again.content
        gone = await call(registry, "echo", text="a")
        assert gone.is_error


async def test_progress_notifications_reach_the_caller(tmp_path: Path) -> None:
    seen = []

    async def progress(done, total, message):
        seen.append((done, total, message))

    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("flaky", flaky())
        result = await registry.call(ToolCall(id="c", name="slow_count", arguments={"steps": 3}), progress)
    assert result.content == "counted 3"
    assert seen == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


async def test_tools_list_changed_refreshes_the_list(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("flaky", flaky())
        assert registry.spec("grown") is None
        await call(registry, "grow")
        with anyio.fail_after(5):
            while registry.spec("grown") is None:
                await anyio.sleep(0.05)
        assert (await call(registry, "grown")).content == "I grew"


async def test_stdio_servers_get_a_minimal_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2IA_TEST_SECRET", "hunter2")
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("flaky", flaky(env={"CONFIGURED": "yes"}))
        result = await call(registry, "secret_env")
    assert result.content == "SECRET=<unset> CONFIGURED=yes"


def pid_of(echoed: str) -> int:
    return int(echoed.rsplit("pid ", 1)[1].rstrip(")"))


async def test_one_server_is_disconnected_and_connected_again(tmp_path: Path, workspace: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_servers({"flaky": flaky(), "a2ia": make_builtin_server(Workspace(workspace))})
        first = pid_of((await call(registry, "echo", text="a")).content)
        with pytest.raises(ValueError, match="already connected"):
            await registry.add_server("flaky", flaky())

        status = await registry.disconnect("flaky")
        assert status.state == "stopped" and status.error is None
        assert registry.spec("echo") is None and registry.spec("list_dir") is not None, "only that server's tools go"
        gone = await call(registry, "echo", text="a")
        assert gone.is_error and "unknown tool 'echo'" in gone.content
        with anyio.fail_after(5):  # the SDK has closed its stdin: the process ends
            while True:
                try:
                    os.kill(first, 0)
                except ProcessLookupError:
                    break
                await anyio.sleep(0.05)

        again = await registry.add_server("flaky", flaky())
        assert again.state == "connected" and "echo" in again.tools
        assert pid_of((await call(registry, "echo", text="a")).content) != first


async def test_a_second_death_leaves_the_server_failed_with_the_reason(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("flaky", flaky())
        await call(registry, "crash")
        assert registry.status("flaky").state == "restarting"
        with anyio.fail_after(10):
            while registry.status("flaky").state != "connected":
                await anyio.sleep(0.05)
        await call(registry, "crash")
        status = registry.status("flaky")
        assert status.state == "failed" and "a second time" in (status.error or "")
        assert registry.spec("echo") is None, "a failed server's tools are not offered"


def test_the_supervisor_refuses_a_change_its_table_does_not_hold() -> None:
    from a2ia.tools.supervisor import TRANSITIONS, InvalidTransition, ServerSupervisor

    supervisor = ServerSupervisor("s", flaky(), timeout_s=1, transport=lambda: None, spawn=lambda task: None, on_change=lambda: None)
    assert supervisor.state == "connecting"
    with pytest.raises(InvalidTransition, match="connecting → stopped"):
        supervisor._enter("stopped")
    reachable, frontier = {"connecting"}, ["connecting"]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(TRANSITIONS), "every state can be reached from connecting"
    assert not TRANSITIONS["stopped"], "stopped is final"
