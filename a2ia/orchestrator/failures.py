"""How a turn that could not finish is told: the failure's reason, a hint for each kind of error.

Every failed turn tells the person what to do next; an error's own hint wins over the kind's.
"""

from __future__ import annotations

from a2ia.errors import (
    A2iaError,
    BackendHTTPError,
    BackendProtocolError,
    BackendUnavailable,
    ConfigError,
    ContextOverflow,
    ToolError,
)
from a2ia.orchestrator.events import FailureReason, Notice
from a2ia.orchestrator.session import Session


def failure_reason(exc: A2iaError) -> FailureReason:
    if isinstance(exc, ConfigError):
        return "config"
    if isinstance(exc, BackendUnavailable):
        return "backend_unavailable"
    if isinstance(exc, ToolError):
        return "tools"
    return "backend"


_AGAIN = "send the message again (what was said before is kept)"


def failure_hint(exc: A2iaError) -> str | None:
    """The error's own hint, else one for its kind: every failed turn tells the person what to do."""
    if exc.hint:
        return exc.hint
    if isinstance(exc, BackendUnavailable):
        return f"check that the model server is running and reachable (its log says why it stopped), then {_AGAIN}"
    if isinstance(exc, BackendHTTPError):
        if exc.status in (429, 503):
            return f"the server is busy or still loading the model: wait a moment, then {_AGAIN}"
        if exc.status >= 500:
            return f"the model server failed (its log says why); {_AGAIN}"
        return "the server refused the request; check the model name and the server's settings"
    if isinstance(exc, BackendProtocolError):
        return f"the reply did not follow the server's wire format: check that --backend matches the server (--debug shows more), then {_AGAIN}"
    if isinstance(exc, ContextOverflow):
        return "the conversation no longer fits the model's context: start a new session, or use a longer context"
    return None


def save_notice(session: Session) -> Notice | None:
    """The warning that saving failed, once per session (the turn goes on in memory)."""
    if (problem := session.take_save_error()) is None:
        return None
    return Notice(level="warning", text=f"could not save the session ({problem}); the conversation goes on, unsaved")
