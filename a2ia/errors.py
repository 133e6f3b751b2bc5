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
    ├── ApprovalDenied            a call needed approval and no one could give it (exit 5)
    ├── ServerRequestFailed       an MCP server failed a request the person made (a prompt, a resource)
    ├── SignInNeeded              a remote MCP server wants an OAuth sign-in (a2ia-cli mcp auth NAME)
    └── SignInFailed              the sign-in did not complete: refused, answered wrong, or not answered

A tool's failure (file not found, path outside the workspace, bad arguments, a dead MCP
server) is *data*: it goes back to the model as ``ToolResult(is_error=True)`` so the model can
correct itself. Only failures of the protocol or the process raise. ``a2ia.outcomes`` maps each
kind to a failure reason, an exit code and a default hint. A hint names the settings that fix
the problem with ``a2ia.hints.setting``; each front end words them (``cli/wording.py``).
"""

from __future__ import annotations

from a2ia.hints import plain


class A2iaError(Exception):
    """Base of every error a2ia raises on purpose. ``str(err)`` is for the person."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def text_with_hint(self) -> str:
        """The message and the hint, their settings left for a front end to word (``a2ia.hints``)."""
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def __str__(self) -> str:
        return plain(self.text_with_hint())


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


class ApprovalDenied(A2iaError):
    pass


class ServerRequestFailed(A2iaError):
    pass


class SignInNeeded(A2iaError):
    pass


class SignInFailed(A2iaError):
    pass
