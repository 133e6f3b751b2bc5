"""vLLM-specific behaviour against the real vLLM CPU server (``scripts/vllm-cpu/``)."""

from __future__ import annotations

import pytest

from a2ia.client.vllm import VLLMClient
from a2ia.errors import ToolsNotSupported
from a2ia.types import ChatOptions, Message, ToolSpec

from conftest import vllm_process

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
        assert reply.role == "assistant"
