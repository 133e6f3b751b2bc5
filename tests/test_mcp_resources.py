"""MCP resources attached with ``@<server>:<uri>``, against real servers over stdio: an SDK
server of our own (``mcp_servers/resources_server.py``, protocol 2026-07-28: subscriptions
through ``subscriptions/listen``), ``@modelcontextprotocol/server-everything`` (2025-11-25:
``resources/subscribe`` and notifications) and a hand-written malformed one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from polling import until

from a2ia.client.scripted import ScriptedClient
from a2ia.errors import ServerRequestFailed
from a2ia.orchestrator.events import Notice, TurnDone
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import MAX_RESULT_CHARS, ToolRegistry
from a2ia.tools.resources import Mention, find_mentions
from a2ia.types import ToolCall

from servers import EVERYTHING, installed

pytestmark = pytest.mark.anyio
SERVERS = Path(__file__).parent / "mcp_servers"
NOTES = StdioServer(command=sys.executable, args=(str(SERVERS / "resources_server.py"),))
README = "The project keeps its notes here."


def notes_config(tmp_path: Path) -> Path:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"notes": {"command": sys.executable, "args": [str(SERVERS / "resources_server.py")]}}}))
    return config


def test_mentions_name_a_connected_server() -> None:
    servers = {"notes"}
    found = find_mentions("see @notes:notes://readme. and (@notes:notes://item/7), again @notes:notes://readme", servers)
    assert found == [Mention("notes", "notes://readme"), Mention("notes", "notes://item/7")], "punctuation ends it; once each"
    assert find_mentions("mail me@notes:8080 or @other:x://y", servers) == [], "an address, an unknown server: text"
    assert find_mentions("@notes:odd://name).", servers, {"odd://name)"}) == [Mention("notes", "odd://name)")], "a listed URI keeps its mark"
    assert find_mentions("@notes:", servers) == []


async def test_resources_and_templates_are_listed_and_read(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("notes", NOTES)
        assert status.state == "connected", status.error
        assert status.resources == ["notes://readme", "notes://big", "notes://logo", "notes://broken"]
        assert status.templates == ["notes://item/{item_id}"]
        assert registry.resource_servers() == ["notes"]
        readme = next(r for r in registry.resources() if r.uri == "notes://readme")
        assert (readme.mention, readme.description, readme.mime_type) == ("@notes:notes://readme", "The project's readme note.", "text/plain")
        assert await registry.read_resource("notes", "notes://readme") == README
        assert await registry.read_resource("notes", "notes://item/7") == "Item 7 is on the list.", "a template's URI"
        big = await registry.read_resource("notes", "notes://big")
        assert len(big) < MAX_RESULT_CHARS + 200 and "of the resource cut" in big
        assert big.startswith("line 000000") and big.rstrip().endswith("line 019999"), "head and tail kept"
        assert await registry.read_resource("notes", "notes://logo") == "[notes://logo: image/png data, 72 bytes; not shown to a text model]"
        with pytest.raises(ServerRequestFailed, match="@notes:notes://broken failed"):
            await registry.read_resource("notes", "notes://broken")
        with pytest.raises(ServerRequestFailed, match="Unknown resource"):
            await registry.read_resource("notes", "notes://nope")
        with pytest.raises(ServerRequestFailed, match="'elsewhere' is not connected"):
            await registry.read_resource("elsewhere", "x://y")


async def test_an_attached_resource_reaches_the_model_and_so_does_its_change(tmp_path: Path) -> None:
    """Turn 1 attaches the note (subscribed through ``subscriptions/listen``); a tool rewrites it;
    the next message carries its new content, said to be changed."""
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("notes", NOTES)
        client = ScriptedClient(["noted", "again", "third"])
        orchestrator, session = Orchestrator(client, registry), Session()
        events = [e async for e in orchestrator.run(session, "Summarise @notes:notes://readme, and @notes:notes://broken.")]
        assert isinstance(events[-1], TurnDone)
        notices = [e.text for e in events if isinstance(e, Notice)]
        assert "attached @notes:notes://readme (33 characters; its changes are followed)" in notices
        assert any(n.startswith("could not attach @notes:notes://broken:") for n in notices)
        sent = client.requests[0].messages[-1].content
        assert sent.startswith("Summarise @notes:notes://readme, and @notes:notes://broken.\n\n")
        assert f"[resource @notes:notes://readme]\n{README}\n[end of @notes:notes://readme]" in sent
        assert "[resource @notes:notes://broken could not be read:" in sent, "the model is told, too"
        assert session.messages[0].content == sent, "the session keeps what the model was given"

        await registry.call(ToolCall(id="e1", name="edit_readme", arguments={"text": "Rewritten."}))
        await until(lambda: registry.resource_version("notes", "notes://readme"), "the server's update")
        events = [e async for e in orchestrator.run(session, "And now?")]
        assert "@notes:notes://readme changed since it was attached; the model gets its new content" in [
            e.text for e in events if isinstance(e, Notice)]
        assert client.requests[1].messages[-1].content == (
            "And now?\n\n[resource @notes:notes://readme changed since it was attached; it now reads]\n"
            "Rewritten.\n[end of @notes:notes://readme]")
        events = [e async for e in orchestrator.run(session, "Once more")]
        assert client.requests[2].messages[-1].content == "Once more", "a change is given once"


async def test_a_prompts_text_attaches_nothing(tmp_path: Path) -> None:
    """An MCP prompt's text is the server's: its mentions do not read another server's data."""
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("notes", NOTES)
        client = ScriptedClient(["ok"])
        events = [e async for e in Orchestrator(client, registry).run(Session(), "see @notes:notes://readme", typed=False)]
        assert isinstance(events[-1], TurnDone)
        assert not [e.text for e in events if isinstance(e, Notice) and "attach" in e.text]
        assert client.requests[0].messages[-1].content == "see @notes:notes://readme"


async def test_server_everything_resources_and_its_subscription(tmp_path: Path) -> None:
    installed(EVERYTHING)
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        assert status.state == "connected", status.error
        assert "demo://resource/static/document/architecture.md" in status.resources
        assert "demo://resource/dynamic/text/{resourceId}" in status.templates
        assert (await registry.read_resource("everything", "demo://resource/dynamic/text/3")).startswith("Resource 3: This is a plaintext")
        blob = await registry.read_resource("everything", "demo://resource/dynamic/blob/3")
        assert blob.startswith("Resource 3: This is a base64 blob"), "a text type sent as base64 is read as text"
        uri = "demo://resource/static/document/architecture.md"
        assert "# Everything Server" in await registry.read_resource("everything", uri)
        assert await registry.subscribe("everything", uri), "resources/subscribe (protocol 2025-11-25)"
        await registry.call(ToolCall(id="t1", name="toggle-subscriber-updates", arguments={}))
        await until(lambda: registry.resource_version("everything", uri), "notifications/resources/updated")


async def test_a_malformed_server_gets_a_clear_error_and_a_bounded_listing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = StdioServer(command=sys.executable, args=(str(SERVERS / "malformed_server.py"),))
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("bad", bad)
        assert status.state == "connected" and status.tools == ["ping"]
        assert len(status.resources) == 50, "a list that pages for ever is read 50 pages deep"
        assert status.templates == [] and "could not list the templates of MCP server bad" in caplog.text
        with pytest.raises(ServerRequestFailed, match=r"the server's answer is malformed \(contents: Input should be a valid list\)"):
            await registry.read_resource("bad", "loop://page/0")


def run_cli(workspace: Path, tmp_path: Path, *args: str, stdin: bytes = b"", script: list | None = None):
    env = {**os.environ, "A2IA_SCRIPT": json.dumps(script or [])}
    return subprocess.run(
        [sys.executable, "-m", "a2ia.cli", *args, "--mcp-config", str(notes_config(tmp_path)), "-C", str(workspace)],
        input=stdin, capture_output=True, env=env, timeout=120,
    )


def test_mcp_list_and_resources_command_show_them(workspace: Path, tmp_path: Path) -> None:
    listed = run_cli(workspace, tmp_path, "mcp", "list")
    assert listed.returncode == 0, listed.stderr.decode()
    out = listed.stdout.decode()
    assert "    resource @notes:notes://readme\n" in out and "    template @notes:notes://item/{item_id}\n" in out
    session = run_cli(workspace, tmp_path, "--backend", "scripted", stdin=b"/resources\nwhat is @notes:notes://readme?\n",
                      script=[{"echo": True}])
    assert session.returncode == 0, session.stderr.decode()
    err = session.stderr.decode()
    assert "@notes:notes://readme  readme — The project's readme note.\n" in err
    assert "@notes:notes://item/{item_id}  (template) item — One item by its id.\n" in err
    assert "attached @notes:notes://readme (33 characters" in err
    assert f"[resource @notes:notes://readme]\n{README}" in session.stdout.decode(), "the model got it (the echo)"


async def test_tab_completes_a_mention(tmp_path: Path) -> None:
    from a2ia.cli.completion import complete_line

    class Holder:
        def __init__(self, tools: ToolRegistry) -> None:
            self.tools = tools

    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("notes", NOTES)
        agent = Holder(registry)
        assert await complete_line(agent, "look at @no") == ("@no", ["@notes:"])
        assert await complete_line(agent, "look at @notes:notes://r") == ("@notes:notes://r", ["@notes:notes://readme"])
        assert (await complete_line(agent, "@notes:notes://i"))[1] == ["@notes:notes://item/"], "a template's fixed start"
        assert await complete_line(agent, "@notes:notes://readme ") == ("", []), "past the word: nothing"


async def test_a_mention_in_the_tui_completes_and_attaches(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilot_support import type_in, wait_pilot

    from a2ia.cli.tui.app import make_app
    from a2ia.cli.tui.widgets import AssistantMessage, NoticeLine
    from a2ia.config import load_settings

    monkeypatch.setenv("A2IA_SCRIPT", json.dumps([{"echo": True}]))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace), mcp_config=str(notes_config(tmp_path))))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        prompt = await type_in(pilot, "what is @no", "tab")
        assert prompt.text == "what is @notes:", "a server's name goes on: no space"
        await pilot.press(*"notes://r", "tab")
        assert prompt.text == "what is @notes:notes://readme "
        await pilot.press("enter")
        await wait_pilot(pilot, lambda: app.query(AssistantMessage) and app.query(AssistantMessage).last().source, "the answer")
        assert README in app.query(AssistantMessage).last().source
        assert any(str(n.render()).startswith("attached @notes:notes://readme") for n in app.query(NoticeLine))


def test_a_blob_that_is_not_base64_text_is_described() -> None:
    """Found by the fuzz suite: a "text/plain" blob with a non-ASCII character raised ValueError."""
    from mcp_types import ReadResourceResult

    from a2ia.tools.resources import contents_text

    result = ReadResourceResult.model_validate({"contents": [
        {"uri": "a://1", "blob": "é", "mimeType": "text/plain"},
        {"uri": "a://2", "blob": "aGk=", "mimeType": "text/plain"},
        {"uri": "a://3", "blob": "/w==", "mimeType": "text/plain"},  # one byte, 0xff: not UTF-8
    ]})
    assert contents_text(result).splitlines() == [
        "[a://1: text/plain data that is not valid base64; not shown]", "hi",
        "[a://3: text/plain data, 1 bytes; not shown to a text model]"]
