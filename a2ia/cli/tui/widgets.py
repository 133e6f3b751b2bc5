"""The TUI's widgets: the conversation's parts, the prompt, the status bar, the approval and trust dialogs."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Collapsible, Input, Label, Markdown, Static, TextArea

from a2ia.cli.completion import complete_line, completes
from a2ia.cli.trust_prompt import TrustQuestion
from a2ia.cli.tui.messages import Submitted
from a2ia.orchestrator.events import ApprovalNeeded
from a2ia.orchestrator.images import find_images
from a2ia.orchestrator.sampling import SAMPLING
from a2ia.tools.approval import Answer
from a2ia.types import ToolCall, ToolResult

MAX_SHOWN_RESULT = 4_000  # a tool's result is shown in full only up to this; the model gets all of it


class PlainText(Static):
    """Text shown as it is: what a person, a model, a tool or a server wrote is never read as
    Textual markup (``[/]`` in a tool's output raised ``MarkupError`` and took the app down,
    and ``[a2ia]`` vanished as an unknown style)."""

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, markup=False, **kwargs)


class UserMessage(PlainText):
    """What the person asked."""


class AssistantMessage(Markdown):
    """The model's answer, streamed as Markdown."""


class Reasoning(Collapsible):
    """The model's thinking, dimmed and collapsible."""

    def __init__(self) -> None:
        self.body = PlainText("", classes="reasoning-text")
        self.text = ""
        super().__init__(self.body, title="thinking", collapsed=False, classes="reasoning")

    def add(self, text: str) -> None:
        self.text += text
        self.body.update(self.text)


class ToolPanel(Collapsible):
    """One tool call: its tool, server and arguments, then its result or error and duration."""

    def __init__(self, call: ToolCall, server: str) -> None:
        self.call = call
        self.server = server
        arguments = json.dumps(call.arguments, indent=2, ensure_ascii=False)
        self.result_view = PlainText("…", classes="tool-result")
        super().__init__(
            PlainText(arguments, classes="tool-args"), self.result_view,
            title=Content(f"⚙ {call.name} [{server}] running…"), collapsed=True, classes="tool",
        )

    def progress(self, done: float, total: float | None, message: str | None) -> None:
        shown = f"{done:g}/{total:g}" if total else f"{done:g}"
        self.title = Content(f"⚙ {self.call.name} [{self.server}] {shown}{' ' + message if message else ''}")

    def finish(self, result: ToolResult, seconds: float) -> None:
        mark = "✗" if result.is_error else "✓"
        self.title = Content(f"{mark} {self.call.name} [{self.server}] ({seconds:.2f} s)")
        text = result.content if len(result.content) <= MAX_SHOWN_RESULT else result.content[:MAX_SHOWN_RESULT] + "\n… (shortened here)"
        self.result_view.update(text)
        self.add_class("error" if result.is_error else "ok")


class NoticeLine(PlainText):
    """A line the person should know about that is not part of the answer."""


class StatusBar(PlainText):
    """Backend, model, tool mode, sandbox, speed of the last reply, context used."""

    def show(self, backend: str, model: str, mode: str, tokens_per_s: float | None, context: str, sandbox: str = "") -> None:
        speed = f"{tokens_per_s:.1f} tok/s" if tokens_per_s else "– tok/s"
        confined = f" · {sandbox}" if sandbox else ""
        self.update(f" {backend} · {model} · tools: {mode}{confined} · {speed} · context {context}")


class PromptArea(TextArea):
    """The input: Enter sends, Ctrl+J adds a line, Up/Down walk the history, Tab completes commands,
    an MCP prompt's arguments (from its server) and ``@<server>:<uri>`` resources."""

    BINDINGS = [Binding("ctrl+j", "newline", "New line", show=False)]

    def __init__(self) -> None:
        super().__init__(id="prompt", soft_wrap=True, show_line_numbers=False)
        self.sent: list[str] = []
        self._sent_position = 0

    def action_newline(self) -> None:
        self.insert("\n")

    async def _on_paste(self, event: events.Paste) -> None:
        """A pasted path to an image file becomes its ``@`` mention: the image is attached."""
        pasted = event.text.strip().strip("'\"")
        workspace = getattr(getattr(self.app, "agent", None), "workspace", None)
        found = workspace.locate(pasted) if workspace is not None and find_images(f"@{pasted}") == [pasted] else None
        if found is not None and found.is_file():
            event.prevent_default()
            event.stop()
            self.insert(f"@{pasted} ")
            return
        await super()._on_paste(event)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            text = self.text.strip()
            if text:
                self.sent.append(text)
                self._sent_position = len(self.sent)
                self.text = ""
                self.post_message(Submitted(text))
            return
        if event.key == "tab" and completes(self.text):
            event.prevent_default()
            event.stop()
            typed, matches = await complete_line(getattr(self.app, "agent", None), self.text.lstrip())
            if len(matches) == 1:
                ends_word = not matches[0].endswith((":", "/"))  # a server's name or a template goes on
                self.text = self.text[: len(self.text) - len(typed)] + matches[0] + (" " if ends_word else "")
                self.move_cursor(self.document.end)
            elif matches:
                self.notify("  ".join(matches[:30]), title="completions")
            return
        if event.key in ("up", "down") and self.sent and "\n" not in self.text:
            event.prevent_default()
            event.stop()
            step = -1 if event.key == "up" else 1
            self._sent_position = max(0, min(len(self.sent), self._sent_position + step))
            self.text = self.sent[self._sent_position] if self._sent_position < len(self.sent) else ""
            self.move_cursor(self.document.end)
            return
        await super()._on_key(event)


class ApprovalScreen(ModalScreen[Answer]):
    """Ask the person about one call: allow once, always for this tool, or deny."""

    BINDINGS = [
        Binding("y", "answer('once')", "Allow once"),
        Binding("a", "answer('always')", "Always"),
        Binding("n,escape", "answer('deny')", "Deny"),
    ]

    def __init__(self, request: ApprovalNeeded) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        call = self.request.call
        with Vertical(id="approval"):
            yield Label(f"Allow {call.name} [{self.request.server}]?", id="approval-title", markup=False)
            yield Label(f"why it asks: {self.request.reason}", classes="dim", markup=False)
            if self.request.preview is not None:  # a file edit: its diff, coloured
                yield Static(Syntax(self.request.preview, "diff", theme="ansi_dark", word_wrap=True), id="approval-args")
            else:
                yield PlainText(json.dumps(call.arguments, indent=2, ensure_ascii=False), id="approval-args")
            with Horizontal():
                yield Button("Allow once (y)", id="once", variant="primary")
                always = "Always for this server (a)" if call.name == SAMPLING else "Always for this tool (a)"
                yield Button(always, id="always")
                yield Button("Deny (n)", id="deny", variant="error")

    def action_answer(self, answer: Answer) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)  # type: ignore[arg-type]


class TrustScreen(ModalScreen[bool]):
    """Before a folder's own files take effect: what they would do, then trust / not now."""

    BINDINGS = [Binding("t", "answer(True)", "Trust"), Binding("n,escape", "answer(False)", "Not now")]

    def __init__(self, question: TrustQuestion) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="trust"):
            yield Label(self.question.title(), id="trust-title", markup=False)
            yield Static("\n".join(self.question.body()), id="trust-lines", markup=False)
            yield Label("Trust it only if you know where it comes from. Not now: a2ia starts without these files.", classes="dim")
            with Horizontal():
                yield Button("Trust this folder (t)", id="trust-yes", variant="warning")
                yield Button("Not now (n)", id="trust-no", variant="primary")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "trust-yes")


class ArgumentScreen(ModalScreen["str | None"]):
    """Ask for one value (an MCP prompt's required argument): Enter gives it, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="argument"):
            yield Label(self.question, markup=False)
            yield Input(id="argument-value")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
