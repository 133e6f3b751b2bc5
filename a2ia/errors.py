"""The one error tree of a2ia. Library errors are translated where they enter.

::

    A2iaError
    ├── ConfigError               bad flag, setting or file; the person can fix it (exit 2)
    │   └── ModelNotFound         no model file at the given path, or none configured
    ├── BackendError              the model backend failed
    │   ├── BackendUnavailable    cannot reach or load the backend (exit 3)
    │   ├── BackendHTTPError      a server answered with an HTTP error (keeps status, body)
    │   │   └── ToolsNotSupported the server or model cannot take tools (the orchestrator
    │   │                         falls back to prompting for them)
    │   ├── BackendProtocolError  a reply that does not parse as its wire format says
    │   └── ContextOverflow       the conversation no longer fits the model's context
    ├── ToolError                 the tool machinery failed (a dead MCP server, not a tool's
    │                             own failure: that is ``ToolResult(is_error=True)``, data)
    └── ApprovalDenied            a call that needed approval was refused

A tool's failure (file not found, path outside the workspace, bad arguments) is *data*: it
goes back to the model as ``ToolResult(is_error=True)`` so the model can correct itself.
Only failures of the protocol or the process raise.
"""

from __future__ import annotations


class A2iaError(Exception):
    """Base of every error a2ia raises on purpose. ``str(err)`` is for the person."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(A2iaError):
    pass


class ModelNotFound(ConfigError):
    pass


class BackendError(A2iaError):
    pass


class BackendUnavailable(BackendError):
    pass


class BackendHTTPError(BackendError):
    def __init__(self, message: str, *, status: int, body: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.body = body


class ToolsNotSupported(BackendHTTPError):
    pass


class BackendProtocolError(BackendError):
    pass


class ContextOverflow(BackendError):
    pass


class ToolError(A2iaError):
    pass


class ApprovalDenied(A2iaError):
    pass
