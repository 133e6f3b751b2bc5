"""Which sandbox this machine can run: probed once per process (a few milliseconds).

Backends, best first: **bubblewrap** (``bwrap``; ``A2IA_BWRAP`` names another one), which needs
user namespaces it may create; else **Landlock** (kernel ABI ≥ 1), which confines less
(``landlock.py``). Both need libseccomp for the socket filter. ``sandbox_backend`` (``auto``,
``bwrap``, ``landlock``) picks one. When none can run, the reason and the fix are given, and
a2ia says so once: commands then run as the user and ask first.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Literal

from a2ia.sandbox.base import Backend
from a2ia.sandbox.landlock import CLONE_NEWNET, CLONE_NEWUSER, LandlockSandbox, abi_version
from a2ia.sandbox.policy import SandboxPolicy
from a2ia.sandbox.seccomp import SeccompUnavailable, network_filter

PROBE_TIMEOUT_S = 10
Preference = Literal["auto", "bwrap", "landlock"]


@dataclass(frozen=True)
class SandboxSupport:
    available: bool
    detail: str  # available: what confines commands; else: why not, and the fix
    backend: Backend | None = None
    bwrap: str | None = None
    landlock_abi: int = 0
    namespaces: bool = False

    def sandbox(self, policy: SandboxPolicy):
        """The backend's ``Sandbox`` for ``policy`` (only when ``available``)."""
        from a2ia.sandbox.bwrap import BwrapSandbox

        if self.backend == "bwrap" and self.bwrap:
            return BwrapSandbox(policy, self.bwrap)
        return LandlockSandbox(policy, self.landlock_abi, self.namespaces)


def _bwrap() -> tuple[str | None, str]:
    """bubblewrap's path if it runs here, else None and why not."""
    bwrap = os.environ.get("A2IA_BWRAP") or shutil.which("bwrap")
    if not bwrap or not os.access(bwrap, os.X_OK):
        return None, "bubblewrap is not installed (sudo apt install bubblewrap, or dnf/pacman install bubblewrap)"
    try:
        result = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--", "true"],
            capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{bwrap} does not run ({exc})"
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return None, (f"bubblewrap cannot create namespaces here ({said}); user namespaces may be turned off "
                      "(sysctl kernel.unprivileged_userns_clone, or an AppArmor profile for bwrap)")
    return bwrap, ""


def _can_unshare() -> bool:
    """Whether a child may make its own user and network namespace (Landlock's network half)."""
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        return subprocess.run(
            ["true"], preexec_fn=lambda: os._exit(0 if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 else 1),
            timeout=PROBE_TIMEOUT_S,
        ).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=4)
def probe(prefer: Preference = "auto") -> SandboxSupport:
    if not sys.platform.startswith("linux"):
        return SandboxSupport(False, f"no sandbox on {sys.platform}: it needs Linux (bubblewrap or Landlock)")
    try:
        network_filter()
    except SeccompUnavailable as exc:
        return SandboxSupport(False, f"no sandbox: {exc.message} ({exc.hint})")
    why_not_bwrap = "not chosen (sandbox_backend = landlock)"
    if prefer in ("auto", "bwrap"):
        bwrap, why_not_bwrap = _bwrap()
        if bwrap:
            return SandboxSupport(True, f"bubblewrap ({bwrap}): namespaces and a seccomp socket filter", "bwrap", bwrap)
        if prefer == "bwrap":
            return SandboxSupport(False, f"no sandbox: {why_not_bwrap}")
    abi = abi_version()
    if abi < 1:
        return SandboxSupport(False, f"no sandbox: {why_not_bwrap}, and this kernel has no Landlock")
    namespaces = _can_unshare()
    network = "its own network namespace" if namespaces else "no sockets at all (no user namespaces here)"
    return SandboxSupport(
        True, f"Landlock ABI {abi} with {network}; partial: metadata outside and .git/hooks are not protected "
        f"(bubblewrap: {why_not_bwrap})", "landlock", landlock_abi=abi, namespaces=namespaces,
    )
