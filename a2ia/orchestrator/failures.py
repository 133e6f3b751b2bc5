"""How a turn that could not finish is told: ``TurnFailed`` from an error, by ``a2ia.outcomes``'s table.

Every failed turn tells the person what to do next; an error's own hint wins over its kind's.
"""

from __future__ import annotations

from a2ia.errors import A2iaError
from a2ia.orchestrator.events import Notice, TurnFailed
from a2ia.orchestrator.session import Session
from a2ia.outcomes import DEBUG_HINT, hint_for, reason_for


def turn_failed(exc: A2iaError) -> TurnFailed:
    return TurnFailed(reason=reason_for(exc), message=exc.message, hint=hint_for(exc))


def internal_failure(exc: Exception) -> TurnFailed:
    """A bug in a2ia: told as such, and the front end goes on."""
    return TurnFailed(reason="internal", message=f"internal error: {type(exc).__name__}: {exc}", hint=DEBUG_HINT)


def save_notice(session: Session) -> Notice | None:
    """The warning that saving failed, once per session (the turn goes on in memory)."""
    if (problem := session.take_save_error()) is None:
        return None
    return Notice(level="warning", text=f"could not save the session ({problem}); the conversation goes on, unsaved")
