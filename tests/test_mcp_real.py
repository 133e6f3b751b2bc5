"""a2ia as an MCP client of real third-party servers, over real stdio and streamable HTTP.

The servers are installed by the test setup (``scripts/mcp_test_servers.sh``, which
``scripts/test.sh`` runs): ``mcp-server-time`` and ``mcp-server-git`` from PyPI in their own
venv, ``@modelcontextprotocol/server-everything`` from npm. Nothing is installed at test time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.tools.mcp_config import HttpServer, StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ToolCall

from servers import EVERYTHING, PY_SERVERS, free_port, installed, server_process

pytestmark = pytest.mark.anyio


async def call(registry: ToolRegistry, name: str, **arguments):
    return await registry.call(ToolCall(id="c", name=name, arguments=arguments))


async def test_mcp_server_time_over_stdio(tmp_path: Path) -> None:
    command = installed(PY_SERVERS / "mcp-server-time")
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("time", StdioServer(command=str(command), args=("--local-timezone", "UTC")))
        assert status.state == "connected", status.error
        assert {"get_current_time", "convert_time"} <= set(status.tools)
        result = await call(registry, "get_current_time", timezone="Europe/Paris")
    assert not result.is_error
    assert json.loads(result.content)["timezone"] == "Europe/Paris"


async def test_mcp_server_git_over_stdio(tmp_path: Path) -> None:
    command = installed(PY_SERVERS / "mcp-server-git")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "hello.txt").write_text("hi\n")
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("git", StdioServer(command=str(command), args=("--repository", str(repo))))
        assert status.state == "connected", status.error
        result = await call(registry, "git_status", repo_path=str(repo))
    assert not result.is_error and "hello.txt" in result.content


@pytest.fixture(scope="module")
def everything() -> Path:
    return installed(EVERYTHING)


async def test_server_everything_content_kinds_and_progress(everything: Path, tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(everything), args=("stdio",)))
        assert status.state == "connected", status.error
        assert "is 5" in (await call(registry, "get-sum", a=2, b=3)).content
        image = await call(registry, "get-tiny-image")
        assert "[image image/png" in image.content and "not shown to a text model" in image.content
        reference = await call(registry, "get-resource-reference", resourceType="Text", resourceId=1)
        assert "[resource " in reference.content
        links = await call(registry, "get-resource-links", count=2)
        assert links.content.count("[resource link ") == 2
        structured = await call(registry, "get-structured-content", location="Chicago")
        assert "Chicago" in structured.content or "temperature" in structured.content
        seen = []

        async def progress(done, total, message):
            seen.append(done)

        result = await registry.call(ToolCall(id="p", name="trigger-long-running-operation", arguments={"duration": 0.4, "steps": 2}), progress)
        assert not result.is_error and seen == [1, 2]
        specs = {s.name: s for s in registry.specs()}
        assert not specs["get-sum"].annotations.read_only, "an untrusted server's readOnlyHint is not believed"
        trusted = await registry.add_server("trusted", StdioServer(command=str(everything), args=("stdio",), trust=True))
        assert trusted.state == "connected", trusted.error
        specs = {s.name: s for s in registry.specs() if s.server == "trusted"}
        assert specs["trusted__get-sum"].annotations.read_only
        assert not specs["trusted__gzip-file-as-resource"].annotations.read_only


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    script = Path(__file__).parent / "mcp_servers" / "http_server.py"
    log = tmp_path_factory.mktemp("mcp-http") / "server.log"
    argv = [sys.executable, str(script), str(port)]
    # Any HTTP answer on the endpoint means the server is up (a bare GET gets 4xx from MCP).
    with server_process(argv, ready_url=f"http://127.0.0.1:{port}/", log=log, timeout_s=60, ready_statuses=range(200, 500)):
        yield f"http://127.0.0.1:{port}/mcp"


async def test_streamable_http_server_with_headers(http_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES_TOKEN", "t0ken")
    from a2ia.tools.mcp_config import parse_server

    config = parse_server("notes", {"url": http_server, "headers": {"Authorization": "Bearer ${NOTES_TOKEN}"}}, "test", {"NOTES_TOKEN": "t0ken"})
    assert isinstance(config, HttpServer)
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("notes", config)
        assert status.state == "connected" and status.kind == "http", status.error
        assert (await call(registry, "shout", text="hi")).content == "HI"
        assert (await call(registry, "whoami")).content == "auth=Bearer t0ken"


async def test_http_server_that_is_not_there(tmp_path: Path) -> None:
    async with ToolRegistry(connect_timeout_s=5, log_dir=tmp_path) as registry:
        status = await registry.add_server("gone", HttpServer(url=f"http://127.0.0.1:{free_port()}/mcp"))
    assert status.state == "failed" and status.error
