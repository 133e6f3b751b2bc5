"""The one table of how things end: an error's kind → the turn's failure reason → exit code → hint.

The orchestrator turns an ``A2iaError`` into ``TurnFailed(reason, message, hint)`` with
``reason_for`` and ``hint_for``; a script's exit code is ``exit_code_for(reason)``; an error
raised outside a turn (bad settings, a download) exits with ``exit_code_for_error``. Hints
name settings with ``a2ia.hints.setting``, so each front end words them its own way.

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     done
1     error (the backend failed, an internal error)
2     usage or configuration (bad flag or setting, missing model, stdin not UTF-8)
3     backend unavailable (the model could not be loaded or reached)
4     the tools stopped and even the answer without tools was empty, or the replies stayed empty
5     a call needed approval and none could be given
130   interrupted
====  ==========================================================================================
"""

from __future__ import annotations

from typing import Literal

from a2ia.errors import (
    A2iaError,
    ApprovalDenied,
    BackendHTTPError,
    BackendProtocolError,
    BackendUnavailable,
    ConfigError,
    ContextOverflow,
)
from a2ia.hints import setting

FailureReason = Literal[
    "max_steps", "repeated_call", "tool_errors", "empty_reply", "approval_denied",
    "config", "backend_unavailable", "backend", "internal",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BACKEND_UNAVAILABLE = 3
EXIT_TOOLS_STOPPED = 4
EXIT_APPROVAL_REFUSED = 5
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[FailureReason, int] = {
    "max_steps": EXIT_TOOLS_STOPPED,
    "repeated_call": EXIT_TOOLS_STOPPED,
    "tool_errors": EXIT_TOOLS_STOPPED,
    "empty_reply": EXIT_TOOLS_STOPPED,
    "approval_denied": EXIT_APPROVAL_REFUSED,
    "config": EXIT_USAGE,
    "backend_unavailable": EXIT_BACKEND_UNAVAILABLE,
    "backend": EXIT_ERROR,
    "internal": EXIT_ERROR,
}
FATAL: frozenset[FailureReason] = frozenset({"config", "backend_unavailable"})
"""Failures after which a script's later turns cannot go better: it stops there."""

_AGAIN = "send the message again (what was said before is kept)"
DEBUG_HINT = f"run again with {setting('debug')} for the traceback, and please report it"

_KINDS: tuple[tuple[type[A2iaError], FailureReason, str | None], ...] = (
    # First match wins: subclasses before their bases.
    (ConfigError, "config", None),
    (BackendUnavailable, "backend_unavailable",
     f"check that the model server is running and reachable (its log says why it stopped), then {_AGAIN}"),
    (ApprovalDenied, "approval_denied", None),
    (ContextOverflow, "backend",
     "the conversation no longer fits the model's context: start a new session, or use a longer context"),
    (BackendProtocolError, "backend",
     f"the reply did not follow the server's wire format: check that {setting('backend')} matches the server "
     f"({setting('debug')} shows more), then {_AGAIN}"),
    (BackendHTTPError, "backend", None),  # by status: _http_hint
    (A2iaError, "backend", None),
)


def _kind(exc: A2iaError) -> tuple[FailureReason, str | None]:
    for cls, reason, hint in _KINDS:
        if isinstance(exc, cls):
            return reason, hint
    raise AssertionError("A2iaError matches the last row")  # pragma: no cover


def _http_hint(exc: BackendHTTPError) -> str:
    if exc.status in (429, 503):
        return f"the server is busy or still loading the model: wait a moment, then {_AGAIN}"
    if exc.status >= 500:
        return f"the model server failed (its log says why); {_AGAIN}"
    return "the server refused the request; check the model name and the server's settings"


def reason_for(exc: A2iaError) -> FailureReason:
    return _kind(exc)[0]


def hint_for(exc: A2iaError) -> str | None:
    """The error's own hint, else its kind's: every failed turn tells the person what to do."""
    if exc.hint:
        return exc.hint
    if isinstance(exc, BackendHTTPError):
        return _http_hint(exc)
    return _kind(exc)[1]


def exit_code_for(reason: FailureReason) -> int:
    return EXIT_CODES[reason]


def exit_code_for_error(exc: A2iaError) -> int:
    """The exit code of an error raised outside a turn (settings, start-up, a download)."""
    return exit_code_for(reason_for(exc))
