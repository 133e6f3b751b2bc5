"""Sampling: an MCP server asks a2ia's model for a completion. Against
``@modelcontextprotocol/server-everything``, whose ``trigger-sampling-request`` tool (offered
only to a client that declares sampling) sends ``sampling/createMessage`` and answers what it
got back. The model is the scripted client, through the same streaming path as real ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.events import ApprovalNeeded, Notice
from a2ia.orchestrator.sampling import SAMPLING, Sampler
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ToolCall

from servers import EVERYTHING, installed

pytestmark = pytest.mark.anyio
SERVER = StdioServer(command=str(EVERYTHING), args=("stdio",))


@pytest.fixture(autouse=True)
def _everything() -> None:
    installed(EVERYTHING)


def trigger(max_tokens: int = 50) -> ToolCall:
    return ToolCall(id="s", name="trigger-sampling-request", arguments={"prompt": "name a colour", "maxTokens": max_tokens})


async def test_an_approved_request_is_answered_by_the_model_within_its_own_limit(tmp_path: Path) -> None:
    asked: list[ApprovalNeeded] = []
    shown: list[Notice] = []

    async def approver(request: ApprovalNeeded) -> str:
        asked.append(request)
        return "once"

    client = ScriptedClient(["Blue.", "Green."])
    sampler = Sampler(client, approver, max_tokens=64, show=shown.append)
    async with ToolRegistry(log_dir=tmp_path, sampling=sampler.callback) as registry:
        status = await registry.add_server("everything", SERVER)
        assert "trigger-sampling-request" in status.tools, "offered to a client that declares sampling"
        result = await registry.call(trigger(max_tokens=10**9))
        assert not result.is_error, result.content
        answer = json.loads(result.content.split("\n", 1)[1])
        assert answer["content"] == {"type": "text", "text": "Blue."} and answer["model"] == "scripted"
        assert answer["role"] == "assistant" and answer["stopReason"] == "endTurn"
        sent = client.requests[0]
        assert sent.options.max_tokens == 64, "its own limit, whatever the server asks"
        assert sent.tools == () and [m.role for m in sent.messages] == ["system", "user"]
        assert sent.messages[0].content == "You are a helpful test server."
        assert sent.messages[1].content == "Resource trigger-sampling-request context: name a colour"
        request = asked[0]
        assert (request.call.name, request.server) == (SAMPLING, "everything")
        assert request.call.arguments["max_tokens"] == "up to 1,000,000,000 tokens, given at most 64"
        assert any("asks the model for a completion" in n.text for n in shown), "said before the question"
        assert any(n.text == "sampling reply to everything (5 characters): Blue." for n in shown), "the reply, as it goes back"


async def test_denied_asked_always_and_configured(tmp_path: Path) -> None:
    answers = ["deny", "always"]
    asked: list[ApprovalNeeded] = []

    async def approver(request: ApprovalNeeded) -> str:
        asked.append(request)
        return answers.pop(0)

    client = ScriptedClient(["one", "two"])
    async with ToolRegistry(log_dir=tmp_path, sampling=Sampler(client, approver).callback) as registry:
        await registry.add_server("everything", SERVER)
        denied = await registry.call(trigger())
        assert denied.is_error and "declined" in denied.content and client.requests == [], "the model was not asked"
        assert not (await registry.call(trigger())).is_error
        assert not (await registry.call(trigger())).is_error, "always: not asked again"
        assert len(asked) == 2 and len(client.requests) == 2

    shown: list[Notice] = []
    nobody = Sampler(ScriptedClient(["x"]), None, show=shown.append)
    async with ToolRegistry(log_dir=tmp_path, sampling=nobody.callback) as registry:
        await registry.add_server("everything", SERVER)
        result = await registry.call(trigger())
        assert result.is_error and "declined" in result.content
        assert any('"sampling": true in its config allows it' in n.text for n in shown)

    configured = Sampler(client := ScriptedClient(["yes"]), None, allowed=frozenset({"everything"}))
    async with ToolRegistry(log_dir=tmp_path, sampling=configured.callback) as registry:
        await registry.add_server("everything", SERVER)
        assert not (await registry.call(trigger())).is_error and len(client.requests) == 1


async def test_without_a_sampler_none_is_declared(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("everything", SERVER)
        assert status.state == "connected" and "trigger-sampling-request" not in status.tools


def test_a_script_samples_for_a_server_configured_to(workspace: Path, tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"everything": {"command": str(EVERYTHING), "args": ["stdio"], "sampling": True}}}))
    script = [{"tool": "trigger-sampling-request", "arguments": {"prompt": "hi", "maxTokens": 20}}, "Red.", "done"]
    result = subprocess.run(
        [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), "--mcp-config", str(config), "--yes", "-p", "go"],
        capture_output=True, timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "A2IA_SCRIPT": json.dumps(script)},
    )
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "sampling reply to everything (4 characters): Red." in err
