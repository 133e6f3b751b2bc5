"""A command line that runs a command inside the sandbox, with bubblewrap.

What confines what (``SandboxPolicy`` says what is allowed):

=====================================  ==============================================
writes outside the writable roots      a read-only view of ``/`` (mount namespace): also
                                       chmod, chown, touch, xattrs, hard links out
reads of ``deny_read``                 an empty read-only tmpfs (folders) or /dev/null
                                       (files) mounted over them
the workspace's own a2ia and git       read-only binds inside the writable workspace
hook/config files
network                                a network namespace with only loopback, plus the
                                       seccomp filter for named unix sockets (seccomp.py)
processes outside, and left behind     a PID namespace (nothing outside can be seen,
                                       signalled or traced; when the command ends every
                                       process it started is killed), ``--die-with-parent``
the terminal                           ``--new-session`` (no TIOCSTI into a2ia's terminal)
=====================================  ==============================================

The first choice, over Landlock (``landlock.py``, the fallback where bwrap cannot run): both
cost about the same (+2.4 and +2.2 ms a command, ``benchmarks/bench_sandbox.py``), but
Landlock leaves metadata open (``chmod``/``touch``/``chown`` outside succeed), cannot keep a
path inside a writable folder read-only or hidden (it only adds rights), and does not stop a
``setsid`` process from outliving the command: 12 of the 78 escape attempts it lets through.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from a2ia.sandbox.base import SHELL, Spawn
from a2ia.sandbox.policy import SandboxPolicy
from a2ia.sandbox.seccomp import filter_pipe, program_path


def bwrap_args(policy: SandboxPolicy, bwrap: str, *, seccomp_fd: int | None, chdir: Path | None = None) -> list[str]:
    """Everything before ``--`` and the command."""
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
    if policy.network:
        args.append("--share-net")
    args += ["--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc"]
    if policy.mode == "read-only":
        args += ["--tmpfs", "/tmp"]
    for root in policy.writable_roots():
        args += ["--bind", str(root), str(root)]
    for path in policy.protected():
        args += ["--ro-bind", str(path), str(path)]
    for path in policy.hidden():
        args += _hide(path)
    workdir = chdir or (policy.workspace if policy.workspace.is_dir() else Path("/"))
    args += ["--chdir", str(workdir)]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args


def _hide(path: Path) -> list[str]:
    if path.is_dir():
        return ["--tmpfs", str(path), "--remount-ro", str(path)]
    return ["--ro-bind", "/dev/null", str(path)]


@dataclass(frozen=True)
class BwrapSandbox:
    """The policy of a session, with the bwrap that enforces it (``support.probe`` found it)."""

    policy: SandboxPolicy
    bwrap: str
    backend: Literal["bwrap"] = "bwrap"

    def label(self) -> str:
        return f"sandbox {self.policy.mode}"

    def spawn(self, command: str) -> Spawn:
        fd = None if self.policy.network else filter_pipe()
        argv = [*bwrap_args(self.policy, self.bwrap, seccomp_fd=fd), "--", SHELL, "-c", command]
        return Spawn(argv, pass_fds=(fd,) if fd is not None else (), close=[fd] if fd is not None else [])

    def server(self, command: str, args: list[str], cwd: str | None) -> tuple[str, list[str]]:
        """A stdio MCP server's command confined. The SDK cannot pass file descriptors, so a shell
        opens the filter (``seccomp.program_path``) on fd 9 and ``exec``s bwrap."""
        seccomp = None if self.policy.network else 9
        inner = bwrap_args(self.policy, self.bwrap, seccomp_fd=seccomp, chdir=Path(cwd) if cwd else None)
        line = "exec " + shlex.join([*inner, "--", command, *args])
        if seccomp is not None:
            line += f" 9< {shlex.quote(program_path())}"
        return SHELL, ["-c", line]
