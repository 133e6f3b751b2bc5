"""Elicitation: an MCP server asks the person for input. The form reading is tested on its own
(``tools/elicitation.py``); the whole path against ``@modelcontextprotocol/server-everything``,
whose ``trigger-elicitation-request`` (a form of every field kind) and ``trigger-url-elicitation``
are offered only to a client that declares elicitation; the TUI dialog under Textual's pilot."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_types import ElicitRequestFormParams

from a2ia.cli.elicit_lines import elicit_by_lines
from a2ia.tools.elicitation import Elicitation, check_form, elicitation_callback, form_fields, read_value
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ToolCall

from servers import EVERYTHING, installed

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Name", "description": "Your full name"},
        "check": {"type": "boolean", "title": "Agree"},
        "email": {"type": "string", "format": "email"},
        "integer": {"type": "integer", "minimum": 1, "maximum": 100, "default": 42},
        "friend": {"type": "string", "enum": ["Monica", "Joey"], "enumNames": ["Mon", "Jo"]},
        "hero": {"type": "string", "oneOf": [{"const": "hero-1", "title": "Superman"}, {"const": "hero-2", "title": "Wonder Woman"}]},
        "fish": {"type": "array", "items": {"anyOf": [{"const": "fish-1", "title": "Tuna"}, {"const": "fish-2", "title": "Trout"}]}},
    },
    "required": ["name"],
}


def test_a_form_is_read_field_by_field_and_checked_whole() -> None:
    fields = {f.name: f for f in form_fields(SCHEMA)}
    assert [f.kind for f in fields.values()] == ["string", "boolean", "string", "integer", "choice", "choice", "choices"]
    assert fields["name"].required and not fields["check"].required
    assert fields["name"].question == "Name (Your full name) [text; required]"
    assert fields["friend"].question == "friend [one of: Monica = Mon, Joey = Jo; optional]"
    assert read_value(fields["check"], "yes") is True and read_value(fields["integer"], "") == 42, "empty: the default"
    assert read_value(fields["hero"], "wonder woman") == "hero-2", "a choice by its label"
    assert read_value(fields["fish"], "Tuna, fish-2") == ["fish-1", "fish-2"]
    for field, typed, why in [("integer", "4.5", "not a whole number"), ("check", "maybe", "yes or no"), ("friend", "Ross", "not one of")]:
        with pytest.raises(ValueError, match=why):
            read_value(fields[field], typed)
    assert check_form(SCHEMA, {"name": "Ada", "integer": 7}) is None
    assert "101 is greater than the maximum of 100" in check_form(SCHEMA, {"name": "Ada", "integer": 101})
    assert "'name' is a required property" in check_form(SCHEMA, {"integer": 7})
    assert "is not a 'email'" in check_form(SCHEMA, {"name": "Ada", "email": "not an address"})


def test_a_schema_that_is_not_json_schema_is_refused() -> None:
    """Found by the fuzz suite: ``"required": null`` reached jsonschema and raised TypeError."""
    from a2ia.tools.elicitation import UnrenderableSchema

    with pytest.raises(UnrenderableSchema, match="not valid JSON Schema"):
        form_fields({"type": "object", "properties": {}, "required": None})
    assert check_form({"type": "object", "properties": {}, "required": None}, {}).startswith("the server's form is not valid JSON Schema")


async def test_a_form_a2ia_cannot_show_is_declined_and_said() -> None:
    said: list[str] = []

    async def never(request: Elicitation):
        raise AssertionError("not asked")

    nested = {"type": "object", "properties": {"address": {"type": "object", "properties": {"city": {"type": "string"}}}}}
    callback = elicitation_callback("srv", never, said.append)
    result = await callback(None, ElicitRequestFormParams(message="Where?", requested_schema=nested))
    assert result.action == "decline"
    assert said == ["the MCP server srv asked for input a2ia cannot show (field 'address' has a type a form cannot show ('object')); declined"]
    nobody = elicitation_callback("srv", None, said.append)
    assert (await nobody(None, ElicitRequestFormParams(message="Name?", requested_schema=SCHEMA))).action == "decline"
    assert said[-1] == "the MCP server srv asked for input (Name?); declined: no one to ask here"


async def test_a_form_asked_a_line_at_a_time() -> None:
    replies = iter(["y", "", "Ada", "maybe", "n", "", "500", "7", "", "", ""])  # name twice, check twice, integer twice
    said: list[str] = []

    async def ask(question: str) -> str | None:
        return next(replies)

    request = Elicitation("srv", "Who are you?", form_fields(SCHEMA), schema=SCHEMA)
    assert await elicit_by_lines(request, ask, said.append) == ("accept", {"name": "Ada", "check": False, "integer": 7})
    assert "  this one is required" in said and "  answer yes or no" in said
    assert "  500 is greater than the maximum of 100" in said, "a field's range is checked as it is typed"

    async def cancel(question: str) -> str | None:
        return None

    assert await elicit_by_lines(request, cancel, said.append) == ("cancel", None)


async def test_server_everything_form_and_url(tmp_path: Path) -> None:
    installed(EVERYTHING)
    asked: list[Elicitation] = []
    answers = [("accept", {"name": "Ada Lovelace", "integer": 7}), ("decline", None), ("accept", None)]

    async def elicit(request: Elicitation):
        asked.append(request)
        return answers.pop(0)

    async with ToolRegistry(log_dir=tmp_path, elicitation=lambda server: elicitation_callback(server, elicit, print)) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        assert {"trigger-elicitation-request", "trigger-url-elicitation"} <= set(status.tools), "declared: form and url"
        accepted = await registry.call(ToolCall(id="e1", name="trigger-elicitation-request", arguments={}))
        assert "- Name: Ada Lovelace" in accepted.content and "- Favorite Integer: 7" in accepted.content
        form = asked[0]
        assert form.server == "everything" and form.url is None
        assert {f.kind for f in form.fields} == {"string", "boolean", "integer", "number", "choice", "choices"}, "every kind it sends"
        declined = await registry.call(ToolCall(id="e2", name="trigger-elicitation-request", arguments={}))
        assert "declined" in declined.content
        opened = await registry.call(ToolCall(id="e3", name="trigger-url-elicitation", arguments={"url": "https://example.com/sign-in"}))
        assert asked[2].url == "https://example.com/sign-in" and not opened.is_error, opened.content

    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("everything", StdioServer(command=str(EVERYTHING), args=("stdio",)))
        assert "trigger-elicitation-request" not in status.tools, "not declared without a way to ask"


async def test_the_tui_dialog_checks_the_form() -> None:
    from textual.app import App
    from textual.widgets import Button, Input, Label

    from a2ia.cli.tui.elicitation import ElicitationScreen

    request = Elicitation("srv", "Who are you?", form_fields(SCHEMA), schema=SCHEMA)
    results: list = []

    class Host(App):
        CSS_PATH = str(ROOT / "a2ia" / "cli" / "tui" / "app.tcss")

        def on_mount(self) -> None:
            self.push_screen(ElicitationScreen(request), callback=results.append)

    async with Host().run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, ElicitationScreen)
        screen.query_one("#field-3", Input).value = "500"
        screen.query_one("#accept", Button).press()
        await pilot.pause()
        assert str(screen.query_one("#elicitation-error", Label).render()) == "Name is required"
        screen.query_one("#field-0", Input).value = "Ada"
        screen.query_one("#accept", Button).press()
        await pilot.pause()
        assert "500 is greater than the maximum of 100" in str(screen.query_one("#elicitation-error", Label).render())
        screen.query_one("#field-3", Input).value = "7"
        screen.query_one("#accept", Button).press()
        await pilot.pause()
        await pilot.pause()
    assert results == [("accept", {"name": "Ada", "integer": 7})]


async def test_in_the_tui_a_server_samples_and_asks_through_dialogs(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole app: a tool of server-everything asks for sampling, another for a form; each
    dialog is pushed from the server's task (not a worker) and answered; the turn goes on."""
    import json

    from pilot_support import type_in, wait_pilot
    from textual.widgets import Button, Input

    from a2ia.cli.tui.app import make_app
    from a2ia.cli.tui.elicitation import ElicitationScreen
    from a2ia.cli.tui.widgets import ApprovalScreen, AssistantMessage, ToolPanel
    from a2ia.config import load_settings

    installed(EVERYTHING)
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"everything": {"command": str(EVERYTHING), "args": ["stdio"]}}}))
    script = [[{"tool": "trigger-sampling-request", "arguments": {"prompt": "a colour", "maxTokens": 10}},
               {"tool": "trigger-elicitation-request", "arguments": {}}], "Blue.", "All done."]
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(script))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace), mcp_config=str(config), approval="yolo"))
    async with app.run_test(size=(110, 45)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        await type_in(pilot, "go")
        for _ in range(2):  # the two requests come in either order: the calls run together
            screen = await wait_pilot(pilot, lambda: isinstance(app.screen, (ApprovalScreen, ElicitationScreen)) and app.screen, "a dialog")
            if isinstance(screen, ApprovalScreen):
                assert screen.request.call.name == "sampling/createMessage" and screen.request.server == "everything"
                await pilot.press("y")
            else:
                screen.query_one("#field-0", Input).value = "Ada"
                screen.query_one("#accept", Button).press()
            await wait_pilot(pilot, lambda s=screen: app.screen is not s, "the dialog to close")
        await wait_pilot(pilot, lambda: app.query(AssistantMessage) and app.query(AssistantMessage).last().source == "All done.", "the answer")
        results = " ".join(str(p.result_view.render()) for p in app.query(ToolPanel))
        assert '"text": "Blue."' in results and "- Name: Ada" in results
