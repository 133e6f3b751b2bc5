"""vLLM-specific behaviour against the real vLLM CPU server (``scripts/vllm-cpu/``)."""

from __future__ import annotations

import pytest

from a2ia.client.vllm import VLLMClient
from a2ia.errors import ToolsNotSupported
from a2ia.types import ChatOptions, Message, ToolSpec

from servers import vllm_process

pytestmark = pytest.mark.anyio
TOOL = ToolSpec(name="list_dir", input_schema={"type": "object", "properties": {"path": {"type": "string", "maxLength": 32}}})


@pytest.fixture(scope="module")
def vllm_without_tools(tmp_path_factory: pytest.TempPathFactory):
    with vllm_process(tmp_path_factory, "vllm-no-tools", env={"VLLM_NO_TOOLS": "1"}) as url:
        yield url


async def test_server_without_tool_support_raises_tools_not_supported(vllm_without_tools: str) -> None:
    async with VLLMClient(vllm_without_tools) as client:
        caps = await client.capabilities()
        assert caps.model_id == "smollm2" and caps.context_length and caps.context_length > 0
        assert await client.healthy()
        with pytest.raises(ToolsNotSupported) as info:
            await client.chat([Message.user("list files")], [TOOL])
        assert info.value.status == 400
        assert "enable-auto-tool-choice" in info.value.body
        assert "--enable-auto-tool-choice" in info.value.hint
        # Without tools the same server answers.
        reply = await client.chat([Message.user("Say hi.")], options=ChatOptions(max_tokens=4, temperature=0))
        assert reply.content.strip() and not reply.tool_calls


async def test_structured_output_follows_the_schema(vllm_server: str) -> None:
    import json

    import jsonschema

    from a2ia.orchestrator import react

    schema = react.reply_schema([TOOL])
    async with VLLMClient(vllm_server) as client:
        reply = await client.chat([Message.user("List the files.")], options=ChatOptions(temperature=0, max_tokens=300, json_schema=schema))
    jsonschema.validate(json.loads(reply.content), schema)


async def test_tools_rejected_by_the_real_server_switches_to_constrained_react(vllm_without_tools: str, workspace) -> None:
    from a2ia.orchestrator.events import Notice, TurnDone
    from a2ia.orchestrator.loop import Orchestrator
    from a2ia.orchestrator.session import Session
    from a2ia.tools.builtin import make_builtin_server
    from a2ia.tools.registry import ToolRegistry
    from a2ia.tools.workspace import Workspace

    async with VLLMClient(vllm_without_tools) as client, ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, registry, max_steps=2, options=ChatOptions(temperature=0, max_tokens=200))
        events = [e async for e in orchestrator.run(Session(), "What files are in this folder?")]
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert any("switching to react-constrained prompting" in n for n in notices), notices
    assert isinstance(events[-1], TurnDone), "every turn ends in an answer"


async def test_a_named_call_names_only_what_the_grounded_schema_admits(vllm_server: str) -> None:
    """Strict tools carry the decoding schema: the server itself keeps the path to what exists."""
    entries = ["docs/plan-2026.md", "src/zeta.py"]
    grounded = {"type": "object", "properties": {"path": {"type": "string", "enum": entries}}, "required": ["path"], "additionalProperties": False}
    spec = TOOL.model_copy(update={"decoding_schema": grounded})
    async with VLLMClient(vllm_server) as client:
        reply = await client.chat([Message.user("List the files in the folder 'stuff'.")], [spec], ChatOptions(tool_choice="list_dir", temperature=0, max_tokens=64))
    (call,) = reply.tool_calls
    assert call.name == "list_dir" and call.arguments["path"] in entries, call.arguments
