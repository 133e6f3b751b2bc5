"""The orchestrator's event stream: what every front end renders.

``Event`` is the client's ``StreamEvent`` union (text, reasoning, tool calls, usage, done)
plus the orchestrator's own events below, discriminated on ``kind``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from a2ia.outcomes import FailureReason
from a2ia.types import (
    Done,
    ReasoningDelta,
    Record,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolResult,
    Usage,
)


class ToolStarted(Record):
    kind: Literal["tool_started"] = "tool_started"
    call: ToolCall
    server: str = ""


class ToolProgress(Record):
    """A running tool reported progress (MCP progress notifications)."""

    kind: Literal["tool_progress"] = "tool_progress"
    call: ToolCall
    progress: float
    total: float | None = None
    message: str | None = None


class ApprovalNeeded(Record):
    """A call waits for the person's approval; ``reason`` says why it was not run outright."""

    kind: Literal["approval_needed"] = "approval_needed"
    call: ToolCall
    server: str
    reason: str
    preview: str | None = None  # what the call would change (a file edit's unified diff), shown instead of its arguments


class ToolFinished(Record):
    kind: Literal["tool_finished"] = "tool_finished"
    call: ToolCall
    result: ToolResult
    duration_s: float


class TurnDone(Record):
    """The model answered without asking for more tools."""

    kind: Literal["turn_done"] = "turn_done"
    steps: int


class TurnFailed(Record):
    """The turn ended without an answer; ``message`` says why, ``hint`` what to do."""

    kind: Literal["turn_failed"] = "turn_failed"
    reason: FailureReason
    message: str
    hint: str | None = None


class Notice(Record):
    """Something the person should know that is not part of the answer."""

    kind: Literal["notice"] = "notice"
    level: Literal["info", "warning"] = "info"
    text: str


Event = Annotated[
    Union[
        TextDelta, ReasoningDelta, ToolCallReady, Usage, Done,
        ToolStarted, ToolProgress, ApprovalNeeded, ToolFinished, TurnDone, TurnFailed, Notice,
    ],
    Field(discriminator="kind"),
]
