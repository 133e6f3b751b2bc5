"""A conversation: the ordered messages of one session, saved as they happen.

Messages are appended only when complete (the user's text, a whole assistant reply, a tool
result), so what a session holds is always a consistent history. With a ``SessionFile`` each
one is also written and flushed at once (see ``store``). If saving fails (a full disk, a
removed folder), the conversation goes on in memory, saving stops (a file with a hole in it
would resume wrong), and ``take_save_error`` reports it once so the person is told. A write
cut short (the disk filled mid-line) is taken back to the last whole line, so the file reads
clean and a resumed session appends after a whole line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from a2ia.orchestrator.budget import BudgetNotices
from a2ia.orchestrator.checkpoints import Checkpoints
from a2ia.orchestrator.compaction import Summary
from a2ia.orchestrator.store import SessionFile, drop_partial_line, new_session_id
from a2ia.tools.approval import Grants
from a2ia.tools.resources import Mention
from a2ia.types import Message

if TYPE_CHECKING:
    from a2ia.orchestrator.protocols import ToolProtocol


@dataclass
class SessionState:
    """What a conversation decides as it goes. A new session (``/clear``, ``/resume``) starts
    without any of it: the tool-calling protocol is chosen again, approvals are asked again."""

    protocol: ToolProtocol | None = None  # chosen on the first turn; ReAct if the backend refused tools
    protocol_for: str | None = None  # the tool-calling mode it was chosen under (/react changes it)
    grants: Grants = field(default_factory=Grants)  # what the person approved "always"
    told_held_back: bool = False  # a script was told which tools it is not offered
    budget: BudgetNotices = field(default_factory=BudgetNotices)
    attached: dict[Mention, int] = field(default_factory=dict)  # resources followed → changes already given
    context_given: set[Path] = field(default_factory=set)  # subfolders' context files the model has had
    turn: int = 0  # the person's turns so far (checkpoints are kept per turn)
    checkpoints: Checkpoints = field(default_factory=Checkpoints)  # what a2ia's file tools changed (/undo)
    pending_note: str = ""  # said to the model with the next message (what /undo put back)
    summary: Summary | None = None  # the earlier turns, summarised (compaction.py); sent instead of them


@dataclass
class Session:
    id: str = field(default_factory=new_session_id)
    messages: list[Message] = field(default_factory=list)
    file: SessionFile | None = None
    save_error: str | None = None
    state: SessionState = field(default_factory=SessionState, repr=False)
    _reported: bool = field(default=False, repr=False)

    def append(self, message: Message) -> None:
        self.messages.append(message)
        self._save(lambda file: file.append(message))

    def pin_summary(self, summary: Summary) -> None:
        """From now on the summary stands for the messages it covers (they stay in the session)."""
        self.state.summary = summary
        self._save(lambda file: file.append_summary(summary.upto, summary.text, summary.said))

    def _save(self, write) -> None:
        if self.file is None:
            return
        try:
            write(self.file)
        except OSError as exc:
            self.save_error = f"{self.file.path}: {exc.strerror or exc}"
            self.file.close()
            drop_partial_line(self.file.path)
            self.file = None

    def take_save_error(self) -> str | None:
        """The saving failure, the first time it is asked for; ``None`` otherwise."""
        if self.save_error and not self._reported:
            self._reported = True
            return self.save_error
        return None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
