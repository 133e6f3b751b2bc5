"""The TUI's own messages, as dataclasses in one place."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class AgentReady(Message):
    """The agent is open: the model and tools are ready for the first turn."""

    backend: str
    model: str
    context_length: int | None


@dataclass
class AgentFailed(Message):
    """The agent could not be opened (no model, a backend that is down, a bad setting)."""

    text: str


@dataclass
class Submitted(Message):
    """The person sent the text in the input box."""

    text: str
