"""What every sandbox backend gives ``run_shell`` and the registry: how to start a command confined."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from a2ia.sandbox.policy import SandboxPolicy

Backend = Literal["bwrap", "landlock"]
SHELL = "/bin/sh"


@dataclass
class Spawn:
    """Arguments for ``create_subprocess_exec``; ``close`` are this process's copies of passed fds."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    preexec_fn: Callable[[], None] | None = None
    close: list[int] = field(default_factory=list)


class Sandbox(Protocol):
    policy: SandboxPolicy
    backend: Backend

    def spawn(self, command: str) -> Spawn:
        """``run_shell``'s command (a ``/bin/sh -c`` line), confined."""

    def server(self, command: str, args: list[str], cwd: str | None) -> tuple[str, list[str]]:
        """A stdio MCP server's command and arguments, confined (``RuntimeError`` if it cannot be)."""

    def label(self) -> str:
        """For the status bar: ``sandbox workspace-write (bwrap)``."""
