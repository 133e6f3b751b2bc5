"""The builtin MCP server, reached through ToolRegistry over a real in-process MCP session."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.files import MAX_READ_CHARS
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

pytestmark = pytest.mark.anyio


async def call(registry: ToolRegistry, name: str, **arguments):
    return await registry.call(ToolCall(id="c1", name=name, arguments=arguments))


@pytest.fixture
async def registry(workspace: Path):
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        yield registry


async def test_specs_are_listed_with_their_annotations(registry: ToolRegistry) -> None:
    specs = {s.name: s for s in registry.specs()}
    assert set(specs) == {"list_dir", "read_file", "glob", "grep", "write_file", "edit_file", "run_shell", "fetch_url"}
    read_only = {n for n, s in specs.items() if s.annotations.read_only}
    destructive = {n for n, s in specs.items() if s.annotations.destructive}
    assert read_only == {"list_dir", "read_file", "glob", "grep", "fetch_url"}
    assert destructive == {"write_file", "edit_file", "run_shell"}
    assert {n for n, s in specs.items() if s.annotations.open_world} == {"run_shell", "fetch_url"}
    for spec in specs.values():
        assert spec.server == "a2ia"
        for prop in spec.input_schema["properties"].values():
            if prop.get("type") == "string":
                assert 0 < prop["maxLength"] <= 1_000_000, spec.name
    assert specs["read_file"].input_schema["required"] == ["path"]


async def test_list_dir_lists_folders_first(registry: ToolRegistry) -> None:
    result = await call(registry, "list_dir", path=".")
    assert not result.is_error
    assert result.call_id == "c1"
    assert result.content.splitlines() == ["src/", "README.md"]


async def test_read_file_reads_text(registry: ToolRegistry) -> None:
    result = await call(registry, "read_file", path="src/main.py")
    assert (result.is_error, result.content) == (False, "print('hello')\n")


async def test_escape_is_a_tool_error_not_an_exception(registry: ToolRegistry, workspace: Path) -> None:
    (workspace / "out").symlink_to(workspace.parent / "secret.txt")
    for path in ["../secret.txt", str(workspace.parent / "secret.txt"), "out"]:
        result = await call(registry, "read_file", path=path)
        assert result.is_error
        assert "outside the workspace root" in result.content
        assert "TOP SECRET" not in result.content
    listing = await call(registry, "list_dir", path="..")
    assert listing.is_error and "secret.txt" not in listing.content


async def test_failures_are_data(registry: ToolRegistry, workspace: Path) -> None:
    missing = await call(registry, "read_file", path="nope.txt")
    assert missing.is_error and "does not exist" in missing.content
    folder = await call(registry, "read_file", path="src")
    assert folder.is_error and "use list_dir" in folder.content
    a_file = await call(registry, "list_dir", path="README.md")
    assert a_file.is_error and "use read_file" in a_file.content
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    binary = await call(registry, "read_file", path="blob.bin")
    assert binary.is_error and "binary" in binary.content


async def test_bad_arguments_and_unknown_tool(registry: ToolRegistry) -> None:
    wrong_type = await call(registry, "read_file", path=5)
    assert wrong_type.is_error and "path" in wrong_type.content
    too_long = await call(registry, "read_file", path="a" * 300)
    assert too_long.is_error
    unknown = await call(registry, "delete_everything")
    assert unknown.is_error and "unknown tool 'delete_everything'" in unknown.content
    assert "list_dir" in unknown.content


async def test_big_file_is_truncated(registry: ToolRegistry, workspace: Path) -> None:
    (workspace / "big.txt").write_text("x" * (MAX_READ_CHARS * 2))
    result = await call(registry, "read_file", path="big.txt")
    assert not result.is_error
    assert f"(truncated at {MAX_READ_CHARS} characters" in result.content and "use offset and limit" in result.content
    assert len(result.content) < MAX_READ_CHARS + 100


async def test_empty_folder(registry: ToolRegistry, workspace: Path) -> None:
    (workspace / "empty").mkdir()
    result = await call(registry, "list_dir", path="empty")
    assert result.content == "(empty is empty)"


async def test_unusable_names_are_tool_errors(registry: ToolRegistry) -> None:
    for name in ("list_dir", "read_file"):
        result = await call(registry, name, path="n" * 256)
        assert result.is_error and "cannot use the path" in result.content and "File name too long" in result.content
