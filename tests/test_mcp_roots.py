"""The folders a2ia works in: the workspace root and those added (``--add-dir``, ``/add-dir``),
reached by the file tools and given to MCP servers as roots. Against
``@modelcontextprotocol/server-everything``, which offers ``get-roots-list`` only to a client
that declares roots, asks for them at connect and again on ``roots/list_changed``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import OutsideWorkspace, Workspace
from a2ia.types import ToolCall

from servers import EVERYTHING, installed

pytestmark = pytest.mark.anyio


def test_an_added_folder_is_reached_and_shown_whole(tmp_path: Path) -> None:
    root, extra, elsewhere = tmp_path / "root", tmp_path / "extra", tmp_path / "elsewhere"
    for folder in (root, extra, elsewhere):
        folder.mkdir()
    workspace = Workspace(root, (extra,))
    assert workspace.roots == (root.resolve(), extra.resolve())
    note = workspace.resolve(str(extra / "note.txt"))
    assert workspace.relative(note) == (extra.resolve() / "note.txt").as_posix(), "shown whole"
    assert workspace.relative(workspace.resolve("a/b.txt")) == "a/b.txt", "relative to the root, as before"
    with pytest.raises(OutsideWorkspace, match=r"outside the workspace root .* and the added folders"):
        workspace.resolve(str(elsewhere / "x"))
    (root / "sub").mkdir()
    assert workspace.add(root / "sub") is False and workspace.add(extra) is False, "already inside one"
    with pytest.raises(NotADirectoryError):
        workspace.add(tmp_path / "missing")


async def test_server_everything_gets_the_roots_and_their_change(tmp_path: Path) -> None:
    installed(EVERYTHING)
    root, extra = tmp_path / "root", tmp_path / "extra"
    root.mkdir()
    extra.mkdir()
    workspace = Workspace(root)
    async with ToolRegistry(log_dir=tmp_path, roots=lambda: workspace.roots) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        assert "get-roots-list" in status.tools, "registered for a client that declares roots"

        async def roots_listed() -> str:
            return (await registry.call(ToolCall(id="r", name="get-roots-list", arguments={}))).content

        listed = await roots_listed()
        assert root.resolve().as_uri() in listed and extra.resolve().as_uri() not in listed
        workspace.add(extra)
        assert await registry.roots_changed() == ["everything"]
        found = ""
        for _ in range(100):  # the server asks again once told; each call reads what it has now
            if extra.resolve().as_uri() in (found := await roots_listed()):
                break
        assert extra.resolve().as_uri() in found, found


async def test_without_roots_none_are_declared(tmp_path: Path) -> None:
    installed(EVERYTHING)
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        assert status.state == "connected" and "get-roots-list" not in status.tools


def run_cli(workspace: Path, *args: str, stdin: bytes = b"", script: list | None = None):
    env = {**os.environ, "A2IA_SCRIPT": json.dumps(script or [])}
    return subprocess.run([sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), *args],
                          input=stdin, capture_output=True, env=env, timeout=120)


def test_add_dir_reaches_a_folder_outside_the_workspace(workspace: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("a note from elsewhere\n")
    read = {"tool": "read_file", "arguments": {"path": str(extra / "note.txt")}}
    refused = run_cli(workspace, "-p", "read it", script=[read, "done"])
    assert refused.returncode == 0 and "outside the workspace root" in refused.stderr.decode()
    reached = run_cli(workspace, "--add-dir", str(extra), "-p", "read it", script=[read, "done"])
    assert reached.returncode == 0, reached.stderr.decode()
    assert "✓ 1 line" in reached.stderr.decode() and "outside the workspace" not in reached.stderr.decode(), "read"
    missing = run_cli(workspace, "--add-dir", str(tmp_path / "nope"), "-p", "hi")
    assert missing.returncode == 2
    assert "the folder to add is not a directory" in missing.stderr.decode() and "--add-dir" in missing.stderr.decode()


def test_the_add_dir_command_in_a_script(workspace: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("a note from elsewhere\n")
    lines = f"/add-dir {extra}\n/add-dir {extra}\n/add-dir\nread it\n".encode()
    read = {"tool": "read_file", "arguments": {"path": str(extra / "note.txt")}}
    result = run_cli(workspace, stdin=lines, script=[read, "done"])
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert f"added {extra.resolve()}: the file tools reach it, and MCP servers get it as a root" in err
    assert f"{extra} is already inside a folder a2ia works in" in err
    assert f"the folders a2ia works in: {workspace.resolve()}, {extra.resolve()}" in err
    assert "✓ 1 line" in err and "outside the workspace" not in err, "read"
