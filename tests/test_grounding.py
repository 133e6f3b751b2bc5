"""Grounded path arguments: the scan of the workspace, the narrowed schemas, and the real model
decoding under them (it can only name what exists)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from a2ia.client.llamacpp import LlamaCppClient
from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.protocols import ReActTools
from a2ia.orchestrator.session import Session
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.grounding import ground, scan
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ChatOptions, Message, ToolCall, ToolCallReady, ToolSpec

GREEDY = ChatOptions(temperature=0.0, seed=0, max_tokens=64)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "a.txt").write_text("apples\n")
    (root / "notes.txt").write_text("Buy milk.\n")
    (root / "src" / "main.py").write_text("print(1)\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "build").mkdir()
    (root / "build" / "out.bin").write_text("x")
    (root / "debug.log").write_text("x")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    os.symlink(tmp_path, root / "outside")
    return root


def test_the_scan_lists_what_a_person_would_see(project: Path) -> None:
    entries = scan(project)
    assert entries.files == (".gitignore", "a.txt", "notes.txt", "src/main.py")
    assert entries.folders == (".", "src"), "ignored, VCS and symlinked folders are left out"
    assert scan(project, limit=3) is None, "past the bound, nothing is grounded"


def test_only_a2ias_own_path_arguments_are_narrowed(project: Path) -> None:
    own = ToolSpec(name="read_file", builtin=True, input_schema={"type": "object", "properties": {"path": {"type": "string"}}})
    foreign = own.model_copy(update={"builtin": False, "server": "other"})
    writer = ToolSpec(name="write_file", builtin=True, input_schema={"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}})
    grounded_own, grounded_foreign, grounded_writer = ground([own, foreign, writer], project)
    assert grounded_own.decoding_schema["properties"]["path"]["enum"] == [".gitignore", "a.txt", "notes.txt", "src/main.py"]
    assert grounded_own.input_schema == own.input_schema, "calls are still checked against the real schema"
    assert grounded_foreign.decoding_schema is None
    pattern = grounded_writer.decoding_schema["properties"]["path"]["pattern"]
    import re

    assert re.match(pattern, "src/new.py") and re.match(pattern, "new.txt")
    assert not re.match(pattern, "nowhere/new.py") and not re.match(pattern, "../x")


@pytest.mark.anyio
async def test_each_step_sees_the_files_earlier_steps_made(project: Path) -> None:
    client = ScriptedClient([ToolCall(id="w", name="write_file", arguments={"path": "made.txt", "content": "x"}), "done"])
    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(project)))
        orchestrator = Orchestrator(client, tools, approver=_yes, grounding=functools.partial(ground, root=project))
        _ = [e async for e in orchestrator.run(Session(), "make a file")]
    enums = [next(s for s in r.tools if s.name == "read_file").decoding_schema["properties"]["path"]["enum"] for r in client.requests]
    assert "made.txt" not in enums[0] and "made.txt" in enums[1]


async def _yes(_request) -> str:
    return "once"


@pytest.mark.anyio
@pytest.mark.model
@pytest.mark.parametrize("mode", ["native", "react-constrained"])
async def test_the_real_model_can_only_name_paths_that_exist(smollm2: Path, project: Path, mode: str) -> None:
    """SmolLM2 invented ``path/to/folder/of/workspace/file.txt`` for this question before."""
    async with LlamaCppClient(smollm2, n_ctx=4096, seed=0) as client, ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(project)))
        specs = ground(tools.specs(), project)
        messages = [Message.system("You work in a folder."), Message.user("What is in a.txt?")]
        named: list[str] = []
        for choice in ("read_file", "list_dir", "write_file"):
            options = GREEDY.model_copy(update={"tool_choice": choice})
            if mode == "native":
                events = [e async for e in client.stream(messages, specs, options)]
            else:
                events = [e async for e in ReActTools(constrained=True).reply(client, messages, specs, options)]
            call = next(e.call for e in events if isinstance(e, ToolCallReady))
            assert call.name == choice
            named.append(call.arguments["path"])
    read, listed, written = named
    assert (project / read).is_file() and (project / listed).is_dir(), named
    assert (project / written).parent.is_dir() and not written.startswith(".."), named
