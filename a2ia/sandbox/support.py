"""Whether this machine can run the sandbox: probed once per process (about 4 ms).

Needs Linux, bubblewrap (``bwrap``; ``A2IA_BWRAP`` names another one), user namespaces it may
create, and libseccomp. When any is missing the sandbox is unavailable with the reason and the
fix, and a2ia says so once: commands then run as the user and ask first.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from a2ia.sandbox.seccomp import SeccompUnavailable, network_filter

PROBE_TIMEOUT_S = 10


@dataclass(frozen=True)
class SandboxSupport:
    available: bool
    detail: str  # available: what confines commands; else: why not, and the fix
    bwrap: str | None = None


def _unavailable(why: str) -> SandboxSupport:
    return SandboxSupport(False, why)


@functools.lru_cache(maxsize=1)
def probe() -> SandboxSupport:
    if not sys.platform.startswith("linux"):
        return _unavailable(f"no sandbox on {sys.platform}: it needs Linux (bubblewrap, namespaces, seccomp)")
    bwrap = os.environ.get("A2IA_BWRAP") or shutil.which("bwrap")
    if not bwrap or not os.access(bwrap, os.X_OK):
        return _unavailable("no sandbox: bubblewrap is not installed (sudo apt install bubblewrap, or dnf/pacman install bubblewrap)")
    try:
        network_filter()
    except SeccompUnavailable as exc:
        return _unavailable(f"no sandbox: {exc.message} ({exc.hint})")
    try:
        result = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--", "true"],
            capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _unavailable(f"no sandbox: {bwrap} does not run ({exc})")
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return _unavailable(
            f"no sandbox: bubblewrap cannot create namespaces here ({said}); "
            "user namespaces may be turned off (sysctl kernel.unprivileged_userns_clone, or an AppArmor profile for bwrap)"
        )
    return SandboxSupport(True, f"bubblewrap ({bwrap}) with namespaces and a seccomp socket filter", bwrap)
