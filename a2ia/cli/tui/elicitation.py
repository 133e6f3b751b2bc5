"""The dialog for an MCP server's request for input: a form (an input per field, checked on
Accept against the server's schema) or a URL to open; Accept, Decline, or Escape to cancel."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from a2ia.tools.elicitation import Action, Elicitation, read_value

Answer = tuple[Action, "dict[str, Any] | None"]


class ElicitationScreen(ModalScreen[Answer]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, request: Elicitation) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        request = self.request
        with VerticalScroll(id="elicitation"):
            yield Label(f"The MCP server {request.server} asks:", id="elicitation-title", markup=False)
            yield Label(request.message, markup=False)
            if request.url is not None:
                yield Label(f"Open this page to go on: {request.url}", id="elicitation-url", markup=False)
            for index, field in enumerate(request.fields):
                yield Label(field.question, classes="dim", markup=False)
                shown = "" if field.default is None else str(field.default) if not isinstance(field.default, list) else ", ".join(field.default)
                yield Input(value=shown, id=f"field-{index}")
            yield Label("", id="elicitation-error", markup=False)
            with Horizontal():
                yield Button("Done" if request.url is not None else "Accept", id="accept", variant="primary")
                yield Button("Decline", id="decline", variant="error")

    def on_mount(self) -> None:
        inputs = self.query(Input)
        (inputs.first() if inputs else self.query_one("#accept", Button)).focus()

    def _values(self) -> dict[str, Any] | str:
        """The form's values, or what is wrong with them."""
        values: dict[str, Any] = {}
        for index, field in enumerate(self.request.fields):
            text = self.query_one(f"#field-{index}", Input).value
            try:
                value = read_value(field, text)
            except ValueError as exc:
                return f"{field.title}: {exc}"
            if value is None and field.required:
                return f"{field.title} is required"
            if value is not None and (problem := self.request.check_field(field.name, value)) is not None:
                return f"{field.title}: {problem}"
            if value is not None:
                values[field.name] = value
        problem = self.request.check(values)
        return problem if problem is not None else values

    @on(Button.Pressed, "#accept")
    @on(Input.Submitted)
    def _accept(self) -> None:
        if self.request.url is not None:
            self.dismiss(("accept", None))
            return
        values = self._values()
        if isinstance(values, str):
            self.query_one("#elicitation-error", Label).update(values)
            return
        self.dismiss(("accept", values))

    @on(Button.Pressed, "#decline")
    def _decline(self) -> None:
        self.dismiss(("decline", None))

    def action_cancel(self) -> None:
        self.dismiss(("cancel", None))
