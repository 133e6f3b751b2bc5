"""MCP prompts as slash commands, against real servers over stdio: an SDK server of our own
(``mcp_servers/prompts_server.py``: arguments, mixed roles, an embedded resource, an image, a
failure) and ``@modelcontextprotocol/server-everything``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.errors import ConfigError, ServerRequestFailed
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.prompts import ArgumentAt, PromptArgument, ServerPrompt, bind_arguments
from a2ia.tools.registry import ToolRegistry

from servers import EVERYTHING, installed

pytestmark = pytest.mark.anyio
PROMPTS_SERVER = Path(__file__).parent / "mcp_servers" / "prompts_server.py"
KIT = StdioServer(command=sys.executable, args=(str(PROMPTS_SERVER),))
REVIEW = ServerPrompt("kit", "review", "", (PromptArgument("path", "", True), PromptArgument("focus", "", False)))


def kit_config(tmp_path: Path) -> Path:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"kit": {"command": sys.executable, "args": [str(PROMPTS_SERVER)]}}}))
    return config


def test_arguments_by_position_or_by_name() -> None:
    assert bind_arguments(REVIEW, "a.py") == {"path": "a.py"}
    assert bind_arguments(REVIEW, "a.py errors") == {"path": "a.py", "focus": "errors"}
    assert bind_arguments(REVIEW, "focus='the error paths' path=a.py") == {"path": "a.py", "focus": "the error paths"}
    one = ServerPrompt("kit", "explain", "", (PromptArgument("text", "", True),))
    assert bind_arguments(one, "  what's this \"thing\"?") == {"text": "what's this \"thing\"?"}, "the rest of the line, as typed"
    with pytest.raises(ConfigError, match="needs path") as missing:
        bind_arguments(REVIEW, "focus=x")
    assert missing.value.hint == "/kit:review <path> [focus]"
    with pytest.raises(ConfigError, match="got more"):
        bind_arguments(REVIEW, "a b c")
    with pytest.raises(ConfigError, match="cannot read the arguments"):
        bind_arguments(REVIEW, "'unclosed")


async def test_a_servers_prompts_are_listed_and_got_with_their_messages(tmp_path: Path) -> None:
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("kit", KIT)
        assert status.state == "connected", status.error
        assert status.prompts == ["/kit:hello", "/kit:review <path> [focus]", "/kit:follow_up <topic>", "/kit:broken"]
        prompts = {p.name: p for p in registry.prompts()}
        assert prompts["review"].description == "Review one file, optionally with a focus."
        review = await registry.get_prompt(prompts["review"], {"path": "a.py", "focus": "errors"})
        assert [(m.role, m.content) for m in review] == [("user", "Review a.py, looking at errors.")]
        follow = await registry.get_prompt(prompts["follow_up"], {"topic": "graphs"})
        assert [m.role for m in follow] == ["user", "assistant", "user", "user"]
        assert follow[2].content == "[resource file:///notes.txt]\nnotes on it"
        assert follow[3].content.startswith("[image image/png")
        with pytest.raises(ServerRequestFailed, match="/kit:broken failed"):
            await registry.get_prompt(prompts["broken"], {})
        await registry.disconnect("kit")
        assert registry.prompts() == [], "a disconnected server's prompts are gone"
        with pytest.raises(ServerRequestFailed, match="not connected"):
            await registry.get_prompt(prompts["review"], {"path": "a.py"})


def run_cli(workspace: Path, tmp_path: Path, *args: str, stdin: bytes = b"", script: list | None = None):
    config = kit_config(tmp_path)
    env = {**os.environ, "A2IA_SCRIPT": json.dumps(script or [])}
    return subprocess.run(
        [sys.executable, "-m", "a2ia.cli", *args, "--mcp-config", str(config), "-C", str(workspace)],
        input=stdin, capture_output=True, env=env, timeout=120,
    )


def test_a_prompt_runs_as_the_persons_turn_in_a_script(workspace: Path, tmp_path: Path) -> None:
    lines = "/help\n/kit:review a.py focus=errors\n/kit:review\n/kit:nope\n/kit:follow_up graphs\n/kit:broken\n"
    result = run_cli(workspace, tmp_path, "--backend", "scripted", stdin=lines.encode(), script=[{"echo": True}] * 2)
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, err
    assert out.splitlines()[0] == "Review a.py, looking at errors.", "the model was asked the prompt's text"
    assert "[resource file:///notes.txt]" in out and "[image image/png" in out, "the person's last messages, joined"
    assert re.search(r"^/kit:review <path> \[focus\] +Review one file, optionally with a focus\.$", err, re.M), "/help lists them"
    assert err.count("leave (also /exit)") == 1
    assert "/kit:review needs path\n  usage: /kit:review <path> [focus]" in err
    assert "unknown command /kit:nope" in err and "/kit:broken failed" in err


def test_mcp_list_shows_the_prompts(workspace: Path, tmp_path: Path) -> None:
    result = run_cli(workspace, tmp_path, "mcp", "list")
    assert result.returncode == 0, result.stderr.decode()
    assert "    prompt /kit:review <path> [focus]" in result.stdout.decode()


async def test_server_everything_prompts(tmp_path: Path) -> None:
    installed(EVERYTHING)
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        assert status.state == "connected", status.error
        prompts = {p.name: p for p in registry.prompts()}
        assert {"simple-prompt", "args-prompt"} <= set(prompts)
        args = prompts["args-prompt"]
        assert args.usage == "/everything:args-prompt <city> [state]"
        messages = await registry.get_prompt(args, bind_arguments(args, "Paris 'Île-de-France'"))
    assert [(m.role, m.content) for m in messages] == [("user", "What's weather in Paris, Île-de-France?")]


async def test_a_prompt_in_the_tui(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typed in the TUI, the prompt's text is the person's message and the model answers it."""
    from pilot_support import wait_pilot

    from a2ia.cli.completion import command_names
    from a2ia.cli.tui.app import make_app
    from a2ia.cli.tui.widgets import AssistantMessage, UserMessage
    from a2ia.config import load_settings

    monkeypatch.setenv("A2IA_SCRIPT", json.dumps([{"echo": True}]))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace), mcp_config=str(kit_config(tmp_path))))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        assert "/kit:review" in command_names(app.agent), "Tab completes it"
        prompt = app.query_one("#prompt")
        prompt.text = "/kit:review a.py"
        prompt.focus()
        await pilot.press("enter")
        await wait_pilot(pilot, lambda: app.query(AssistantMessage) and app.query(AssistantMessage).last().source, "the answer")
        assert [str(m.render()) for m in app.query(UserMessage)] == ["Review a.py."]
        assert app.query(AssistantMessage).last().source == "Review a.py."



async def test_a_missing_argument_is_asked_for_in_the_tui(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pilot_support import wait_pilot

    from a2ia.cli.tui.app import make_app
    from a2ia.cli.tui.widgets import ArgumentScreen, AssistantMessage, NoticeLine
    from a2ia.config import load_settings

    monkeypatch.setenv("A2IA_SCRIPT", json.dumps([{"echo": True}]))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace), mcp_config=str(kit_config(tmp_path))))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        for keys in (["escape"], [*"b.py", "enter"]):
            prompt = app.query_one("#prompt")
            prompt.text = "/kit:review"
            prompt.focus()
            await pilot.press("enter")
            dialog = await wait_pilot(pilot, lambda: isinstance(app.screen, ArgumentScreen) and app.screen, "the question")
            assert dialog.question == "/kit:review path"
            await pilot.press(*keys)
        await wait_pilot(pilot, lambda: app.query(AssistantMessage) and app.query(AssistantMessage).last().source, "the answer")
        assert app.query(AssistantMessage).last().source == "Review b.py."
        assert any(str(n.render()) == "/kit:review: cancelled" for n in app.query(NoticeLine)), "Escape cancelled the first"


async def test_a_missing_argument_is_asked_for_in_the_repl(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from a2ia.cli.repl import run_repl
    from a2ia.config import load_settings

    monkeypatch.setenv("A2IA_SCRIPT", json.dumps([{"echo": True}]))
    settings = load_settings(backend="scripted", workspace=str(workspace), mcp_config=str(kit_config(tmp_path)))
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("/kit:review\rb.py\r")
        pipe.close()
        assert await run_repl(settings) == 0
    out, _ = capsys.readouterr()
    assert out == "Review b.py.\n"


def test_where_a_half_typed_line_is() -> None:
    from a2ia.tools.prompts import argument_at

    assert argument_at(REVIEW, "") == ArgumentAt("path", "", {})
    assert argument_at(REVIEW, "src/m") == ArgumentAt("path", "src/m", {})
    assert argument_at(REVIEW, "a.py er") == ArgumentAt("focus", "er", {"path": "a.py"})
    assert argument_at(REVIEW, "focus=er") == ArgumentAt("focus", "er", {})
    assert argument_at(REVIEW, "focus=errors a") == ArgumentAt("path", "a", {"focus": "errors"})
    assert argument_at(REVIEW, "a.py errors ") is None, "past the last argument"


class Holder:
    """What completion reads of an agent: its tools."""

    def __init__(self, tools: ToolRegistry) -> None:
        self.tools = tools


async def test_arguments_complete_from_the_server(tmp_path: Path) -> None:
    """server-everything completes its completable-prompt; our SDK server offers no completions."""
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from a2ia.cli.completion import complete_line
    from a2ia.cli.repl import SlashCompleter

    installed(EVERYTHING)
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        await registry.add_server("kit", KIT)
        agent = Holder(registry)
        assert await complete_line(agent, "/everything:completable-prompt Eng") == ("Eng", ["Engineering"])
        assert await complete_line(agent, "/everything:completable-prompt Engineering ") == ("", ["Alice", "Bob", "Charlie"])
        assert await complete_line(agent, "/everything:completable-prompt department=Sales name=E") == ("E", ["Eve"])
        assert await complete_line(agent, "/kit:review a") == ("a", []), "no completions capability: nothing offered"
        assert (await complete_line(agent, "/kit:re"))[1] == ["/kit:review"]
        completer = SlashCompleter(lambda: agent)
        offered = [c async for c in completer.get_completions_async(Document("/everything:completable-prompt Mar"), CompleteEvent())]
    assert [(c.text, c.start_position) for c in offered] == [("Marketing", -3)]


async def test_a_malformed_prompt_list_leaves_the_servers_tools(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A server whose prompts/list does not parse: no prompts from it, its tools work, and a2ia goes on."""
    from a2ia.types import ToolCall

    bad = StdioServer(command=sys.executable, args=(str(Path(__file__).parent / "mcp_servers" / "malformed_server.py"),))
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("bad", bad)
        assert status.state == "connected", status.error
        assert status.prompts == [] and registry.prompts() == []
        result = await registry.call(ToolCall(id="c", name="ping"))
    assert not result.is_error and result.content == "pong"
    assert "could not list the prompts of MCP server bad" in caplog.text, "the listing was refused, and said so"
