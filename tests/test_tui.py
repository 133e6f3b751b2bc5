"""The real Textual app under its test pilot, driven by the shipped ScriptedClient."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pilot_support import wait_pilot

from a2ia.cli.runtime import open_agent
from a2ia.cli.tui.app import make_app
from a2ia.cli.tui.widgets import ApprovalScreen, AssistantMessage, NoticeLine, StatusBar, ToolPanel, UserMessage
from a2ia.client.scripted import ScriptedClient
from a2ia.config import load_settings

pytestmark = pytest.mark.anyio


def settings_for(workspace: Path, monkeypatch: pytest.MonkeyPatch, *replies, **extra):
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(list(replies)))
    return load_settings(backend="scripted", workspace=str(workspace), **extra)


async def send(pilot, text: str) -> None:
    prompt = pilot.app.query_one("#prompt")
    prompt.text = text
    prompt.focus()
    await pilot.press("enter")


async def settle(pilot) -> None:
    """Until the turn has ended and the app has drawn what it left (no approval dialog open)."""
    app = pilot.app
    await wait_pilot(pilot, lambda: not any(w.group == "turn" and w.is_running for w in app.workers)
                     and not isinstance(app.screen, ApprovalScreen), "the turn to end")
    await pilot.pause()  # the messages the turn's end posted are handled


async def ready(pilot) -> None:
    await wait_pilot(pilot, lambda: pilot.app.agent is not None, "the agent to open")


async def approval_asked(pilot) -> ApprovalScreen:
    return await wait_pilot(pilot, lambda: isinstance(pilot.app.screen, ApprovalScreen) and pilot.app.screen, "the dialog")


async def quit_with(pilot, *keys: str) -> None:
    """Press ``keys``; the app must exit (its return code set)."""
    await pilot.press(*keys)
    await wait_pilot(pilot, lambda: pilot.app.return_code is not None, "the app to quit")


async def test_a_turn_with_a_tool_call_renders_every_part(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(workspace, monkeypatch, {"tool": "list_dir", "arguments": {"path": "."}}, "There is **src** and a README.")
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "What is here?")
        await settle(pilot)
        assert [str(m.render()) for m in app.query(UserMessage)] == ["What is here?"]
        (panel,) = app.query(ToolPanel)
        assert str(panel.title).startswith("✓ list_dir [a2ia] (") and "src/" in str(panel.result_view.render())
        (answer,) = app.query(AssistantMessage)
        assert answer.source == "There is **src** and a README."
        status = str(app.query_one(StatusBar).render())
        assert "scripted" in status and "tools: native" in status and "tok/s" in status


async def test_approval_dialog_allows_and_denies(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write = {"tool": "write_file", "arguments": {"path": "hello.txt", "content": "hi"}}
    settings = settings_for(workspace, monkeypatch, write, "written", {"tool": "run_shell", "arguments": {"command": "touch nope"}}, "ok",
                            approval="ask")
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "write it")
        assert (await approval_asked(pilot)).request.call.name == "write_file"
        await pilot.press("y")
        await settle(pilot)
        assert (workspace / "hello.txt").read_text() == "hi"
        await send(pilot, "shell")
        assert (await approval_asked(pilot)).request.call.name == "run_shell"
        await pilot.press("n")
        await settle(pilot)
        assert not (workspace / "nope").exists()
        panels = list(app.query(ToolPanel))
        assert str(panels[-1].title).startswith("✗ run_shell") and "did not allow" in str(panels[-1].result_view.render())


async def test_slash_commands_and_quit(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(settings_for(workspace, monkeypatch, "x"))
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "/help")
        await wait_pilot(pilot, lambda: any("/resume [ID|latest]" in str(n.render()) for n in app.query(NoticeLine)), "/help")
        await send(pilot, "/approval yolo")
        await wait_pilot(pilot, lambda: app.agent.orchestrator.approval.mode == "yolo", "the approval mode to change")
        prompt = app.query_one("#prompt")
        prompt.text = "/quit"
        prompt.focus()
        await quit_with(pilot, "enter")
    assert app.return_code == 0


async def test_escape_cancels_the_turn_and_the_app_stays(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Slow(ScriptedClient):
        async def _stream(self, messages, tools, options):
            async for event in super()._stream(messages, tools, options):
                await asyncio.sleep(0.2)
                yield event

    @asynccontextmanager
    async def opener(settings, approver, **kwargs):
        async with open_agent(settings, approver, **kwargs) as agent:
            agent.client = agent.orchestrator.client = Slow(["one two three four five six seven eight nine ten", "after"])
            yield agent

    app = make_app(settings_for(workspace, monkeypatch, "unused"), opener)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "long answer please")
        await wait_pilot(pilot, lambda: app.query(AssistantMessage) and app.query(AssistantMessage).last().source, "the answer to stream")
        await pilot.press("escape")
        await settle(pilot)
        assert any("cancelled" in str(n.render()) for n in app.query(NoticeLine))
        session = app.agent.session
        assert [m.role for m in session.messages] == ["user"], "the partial reply was not kept"
        await send(pilot, "again")
        await settle(pilot)
        assert app.query(AssistantMessage).last().source == "after"


async def test_ctrl_c_twice_quits(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(settings_for(workspace, monkeypatch, "x"))
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()  # the key is handled: a first Ctrl-C arms the quit, it does not quit
        assert app.is_running and app.return_code is None
        await quit_with(pilot, "ctrl+c")
    assert app.return_code == 0


async def test_a_backend_that_cannot_open_is_shown_and_the_app_stays(workspace: Path, tmp_path: Path) -> None:
    settings = load_settings(backend="llamacpp", model=str(tmp_path / "missing.gguf"), workspace=str(workspace))
    app = make_app(settings)
    async with app.run_test() as pilot:
        await wait_pilot(pilot, lambda: app.query(NoticeLine), "the error")
        shown = str(app.query(NoticeLine).first().render())
        assert "no model file at" in shown
        assert "with model in config.toml" in shown and "--model" not in shown, "the TUI names the setting, not a flag"
        assert app.is_running


async def test_text_that_looks_like_markup_is_shown_as_it_is(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person's, a tool's and a server's text may hold ``[/]`` or ``[bold]``: shown as typed, the app stays."""
    (workspace / "odd.txt").write_text("closing [/] and [bold]not bold[/bold]\n")
    app = make_app(settings_for(workspace, monkeypatch, {"tool": "read_file", "arguments": {"path": "odd.txt"}}, "Read it."))
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "what is [/] in odd.txt?")
        await settle(pilot)
        app.show_notice("error: the server said [/] [link=x]")
        await pilot.pause()
        assert [str(m.render()) for m in app.query(UserMessage)] == ["what is [/] in odd.txt?"]
        (panel,) = app.query(ToolPanel)
        assert "[a2ia]" in str(panel.title) and "closing [/] and [bold]not bold[/bold]" in str(panel.result_view.render())
        assert str(app.query(NoticeLine).last().render()) == "error: the server said [/] [link=x]"
        assert app.is_running
