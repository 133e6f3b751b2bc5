"""What a sandboxed command may do: one ``SandboxPolicy`` per session, from the settings.

Modes (Codex's names): ``workspace-write`` (the default) writes only inside the workspace,
the system temp dir and ``sandbox_writable``; ``read-only`` writes nowhere (``/tmp`` is a
private, empty folder that vanishes with the command); ``off`` runs commands as the user.
Reads are allowed everywhere except ``sandbox_deny_read`` (default: ``DEFAULT_DENY_READ`` and
a2ia's own config folder, which holds the trust store). No network unless ``sandbox_network``.
Inside a writable workspace, ``PROTECTED`` stays read-only: the folder's own a2ia files and the
git files that make git run commands later, outside the sandbox (hooks, config).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from a2ia.paths import PROJECT_DIR, config_dir

SandboxMode = Literal["workspace-write", "read-only", "off"]
SANDBOX_MODES: tuple[str, ...] = ("workspace-write", "read-only", "off")

DEFAULT_DENY_READ: tuple[str, ...] = (
    "~/.ssh", "~/.gnupg", "~/.aws", "~/.azure", "~/.config/gcloud", "~/.kube", "~/.docker",
    "~/.config/gh", "~/.netrc", "~/.git-credentials", "~/.pypirc", "~/.password-store",
    "~/.local/share/keyrings",
)
PROTECTED: tuple[str, ...] = (PROJECT_DIR, ".git/hooks", ".git/config")


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def default_deny_read() -> tuple[Path, ...]:
    return (*(_real(p) for p in DEFAULT_DENY_READ), _real(config_dir()))


def temp_dirs() -> tuple[Path, ...]:
    """The system temp dir(s): ``/tmp`` and ``$TMPDIR`` where it is elsewhere."""
    found = [_real("/tmp"), _real(tempfile.gettempdir())]
    return tuple(dict.fromkeys(p for p in found if p.is_dir()))


@dataclass(frozen=True)
class SandboxPolicy:
    mode: SandboxMode
    workspace: Path
    writable: tuple[Path, ...] = ()
    deny_read: tuple[Path, ...] = ()
    network: bool = False

    @property
    def confines(self) -> bool:
        return self.mode != "off"

    def writable_roots(self) -> tuple[Path, ...]:
        """Where a command may write (workspace-write only), existing folders, real paths."""
        if self.mode != "workspace-write":
            return ()
        roots = [self.workspace, *temp_dirs(), *self.writable]
        return tuple(dict.fromkeys(p for p in roots if p.exists()))

    def protected(self) -> tuple[Path, ...]:
        """Paths inside the workspace kept read-only even when it is writable."""
        return tuple(p for p in (self.workspace / name for name in PROTECTED) if p.exists())

    def hidden(self) -> tuple[Path, ...]:
        return tuple(p for p in self.deny_read if p.exists())

    def describe(self) -> str:
        if self.mode == "off":
            return "no sandbox (off)"
        net = "network allowed" if self.network else "no network"
        where = f"writes only in {self.workspace} and the temp dir" if self.mode == "workspace-write" else "writes nowhere"
        return f"sandbox {self.mode}: {where}, {net}"


def make_policy(
    mode: SandboxMode,
    workspace: Path,
    writable: tuple[str, ...] = (),
    deny_read: tuple[str, ...] | None = None,
    network: bool = False,
) -> SandboxPolicy:
    denied = default_deny_read() if deny_read is None else tuple(_real(p) for p in deny_read)
    return SandboxPolicy(mode, _real(workspace), tuple(_real(p) for p in writable), denied, network)
