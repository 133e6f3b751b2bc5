"""Helpers for the fault suite: history checks, saved sessions, the real CLI.

The model-server process the suite kills is ``servers.ModelServer`` (the ``model_server``
fixture in ``tests/conftest.py``). No ``conftest.py`` here: several test modules
``from conftest import …``, and a second ``conftest`` module on the path would shadow the first.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from a2ia.orchestrator.events import TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, read_session
from a2ia.tools.mcp_config import StdioServer
from a2ia.types import Message

HERE = Path(__file__).parent
FLAKY = str(HERE.parent / "mcp_servers" / "flaky_server.py")


def flaky(name: str = "flaky", **fields) -> StdioServer:
    """The real stdio MCP server whose tools crash, hang or echo (``tests/mcp_servers``)."""
    return StdioServer(command=sys.executable, args=(FLAKY, "--name", name), **fields)


def saved_session(folder: Path, session_id: str = "fault") -> tuple[Session, Path]:
    """A session saved as it goes, and its file."""
    file = SessionFile.create(session_id, {"backend": "test"}, folder)
    return Session(id=session_id, file=file), file.path


async def turn(orchestrator: Orchestrator, session: Session, text: str, on_event=None) -> list:
    events = []
    async for event in orchestrator.run(session, text):
        events.append(event)
        if on_event is not None:
            on_event(event)
    return events


def final(events: Sequence) -> TurnDone | TurnFailed:
    end = events[-1]
    assert isinstance(end, (TurnDone, TurnFailed)), f"the turn did not end with TurnDone/TurnFailed: {end!r}"
    return end


def answer(events: Sequence) -> str:
    return "".join(e.text for e in events if getattr(e, "kind", "") == "text")


def history_problems(messages: Sequence[Message]) -> list[str]:
    """What makes a history invalid to send again: a tool call without a result, a result without a call."""
    problems = []
    open_calls: dict[str, str] = {}
    for index, message in enumerate(messages):
        if message.role == "assistant":
            if open_calls:
                problems.append(f"message {index}: calls {sorted(open_calls)} got no result before the next reply")
            open_calls = {c.id: c.name for c in message.tool_calls}
        elif message.role == "tool":
            if open_calls.pop(message.tool_call_id or "", None) is None:
                problems.append(f"message {index}: a result for {message.tool_call_id!r}, which no open call has")
    if open_calls:
        problems.append(f"the last calls {sorted(open_calls)} have no result")
    return problems


def assert_kept(session: Session, path: Path | None, completed: Sequence[Message]) -> None:
    """Every completed message is in the session (and in its file), in order; the history is valid."""
    assert not history_problems(session.messages), history_problems(session.messages)
    assert session.messages[: len(completed)] == list(completed), "a completed message was lost"
    if path is not None:
        loaded = read_session(path)
        assert not loaded.warnings, loaded.warnings
        assert loaded.messages == session.messages, "the file differs from the session"


def a2ia_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "a2ia.cli", *args]


def wait_for(predicate, timeout_s: float = 20.0, what: str = "the condition", interval_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
