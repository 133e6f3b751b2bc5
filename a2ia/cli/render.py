"""Plain-text rendering of the orchestrator's ``Event`` stream.

The model's words go to stdout, so ``a2ia-cli -p … > answer.txt`` captures the answer alone;
tool activity, notices and errors go to stderr, where a person watching still sees them as
they happen. Notices and failures name settings in the front end's words (``wording``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

from a2ia.cli.wording import for_cli
from a2ia.orchestrator.events import (
    ApprovalNeeded,
    Event,
    Notice,
    ToolFinished,
    ToolProgress,
    ToolStarted,
    TurnDone,
    TurnFailed,
)
from a2ia.types import ReasoningDelta, TextDelta

MAX_SHOWN_ARGS = 200


def format_arguments(arguments: dict) -> str:
    text = json.dumps(arguments, ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN_ARGS else text[: MAX_SHOWN_ARGS - 1] + "…"


class PlainRenderer:
    def __init__(self, out: TextIO, err: TextIO, wording: Callable[[str], str] = for_cli) -> None:
        self.out = out
        self.err = err
        self.word = wording
        self._midline = False

    def _end_line(self) -> None:
        if self._midline:
            self.out.write("\n")
            self.out.flush()
            self._midline = False

    def _note(self, text: str) -> None:
        self._end_line()
        self.err.write(text + "\n")
        self.err.flush()

    def render_prompt(self, text: str) -> None:
        self._note(f"» {text}")

    def render_notice(self, text: str) -> None:
        self._note(f"note: {self.word(text)}")

    def render_output(self, text: str) -> None:
        """What a slash command answered."""
        if text:
            self._note(self.word(text))

    def render(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self._midline = not event.text.endswith("\n")
        elif isinstance(event, ReasoningDelta):
            self.err.write(event.text)
            self.err.flush()
        elif isinstance(event, ToolStarted):
            where = f" [{event.server}]" if event.server else ""
            self._note(f"⚙ {event.call.name}{where} {format_arguments(event.call.arguments)}")
        elif isinstance(event, ToolFinished):
            lines = event.result.content.splitlines() or [""]
            if event.result.is_error:
                self._note(f"  ✗ {lines[0]}")
            else:
                self._note(f"  ✓ {len(lines)} line{'s' if len(lines) != 1 else ''} ({event.duration_s:.2f} s)")
        elif isinstance(event, ApprovalNeeded):
            where = f" [{event.server}]" if event.server else ""
            if event.preview is not None:  # a file edit: what it changes, not its raw arguments
                self._note(f"? {event.call.name}{where} needs approval: {event.reason}\n"
                           + "\n".join(f"  {line}" for line in event.preview.splitlines()))
            else:
                self._note(f"? {event.call.name}{where} {format_arguments(event.call.arguments)} needs approval: {event.reason}")
        elif isinstance(event, ToolProgress):
            total = f"/{event.total:g}" if event.total else ""
            self._note(f"  … {event.progress:g}{total}" + (f" {event.message}" if event.message else ""))
        elif isinstance(event, Notice):
            self._note(f"{'warning' if event.level == 'warning' else 'note'}: {self.word(event.text)}")
        elif isinstance(event, TurnFailed):
            self._note(self.word(f"error: {event.message}" + (f"\n  hint: {event.hint}" if event.hint else "")))
        elif isinstance(event, TurnDone):
            self._end_line()


class JsonRenderer:
    """``--output json``: one JSON object per line on stdout, for every event (JSON Lines).

    Each object has ``kind`` (the event type) and that event's fields, named as in
    ``a2ia.types`` / ``a2ia.orchestrator.events``; the README lists them. A user turn read from a
    script is ``{"kind": "user", "text": …}``; a slash command's answer ``{"kind": "command", …}``.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def _line(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: written with ASCII escapes instead
                line = json.dumps(record, default=str)
        self.out.write(line + "\n")
        self.out.flush()

    def render(self, event: Event) -> None:
        # Python mode: pydantic's JSON mode raises on a lone surrogate; json.dumps copes.
        record = event.model_dump()
        if isinstance(event, (Notice, TurnFailed)):
            record = {k: for_cli(v) if isinstance(v, str) else v for k, v in record.items()}
        self._line(record)

    def render_prompt(self, text: str) -> None:
        self._line({"kind": "user", "text": text})

    def render_notice(self, text: str) -> None:
        self._line({"kind": "notice", "level": "info", "text": for_cli(text)})

    def render_output(self, text: str) -> None:
        self._line({"kind": "command", "text": for_cli(text)})
