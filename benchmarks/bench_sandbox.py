"""What the sandbox costs per ``run_shell`` command (issue 13; goal ≤ 15 ms added, median).

    .venv/bin/python benchmarks/bench_sandbox.py [--runs 200]

Three ways of running the same command (``true``, then a small real one: ``ls -la && git
--version``), interleaved run by run so machine noise hits all of them alike:

1. **none**: ``run_shell`` without a sandbox (the baseline, measured in the same run);
2. **bwrap**: ``run_shell`` in the sandbox a2ia uses (bubblewrap: mount, user, network and
   PID namespaces, the seccomp socket filter passed on a pipe);
3. **landlock** (for the record: the alternative measured and not chosen): the same command
   through ``subprocess`` with a ``preexec_fn`` that applies Landlock (read everywhere, write
   in the workspace and /tmp) after ``unshare(CLONE_NEWUSER | CLONE_NEWNET)``, via ctypes.

Reported: the median and p90 of each, and the sandboxes' added milliseconds and ratio to none.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from a2ia.sandbox.bwrap import Sandbox
from a2ia.sandbox.policy import make_policy
from a2ia.sandbox.support import probe
from a2ia.tools.shell import run_shell
from a2ia.tools.workspace import Workspace

COMMANDS = {"true": "true", "ls + git": "ls -la >/dev/null && git --version >/dev/null"}


class _Ruleset(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


def landlock_runner(root: Path):
    """A ``subprocess.run`` confined by Landlock + user and network namespaces (ctypes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    every, read = (1 << 16) - 1, 1 | 4 | 8  # ABI 5 rights; execute, read_file, read_dir

    def ruleset() -> int:
        attr = _Ruleset(every, 0, 3)
        fd = libc.syscall(444, ctypes.byref(attr), ctypes.sizeof(attr), 0)
        device = 2 | 4 | (1 << 14) | (1 << 15)  # write, read, truncate, ioctl_dev
        for path, rights in (("/", read), (str(root), every), ("/tmp", every), ("/dev/null", device)):
            handle = os.open(path, os.O_PATH | os.O_CLOEXEC)
            rule = _PathBeneath(rights, handle)
            libc.syscall(445, fd, 1, ctypes.byref(rule), 0)
            os.close(handle)
        return fd

    def run(command: str) -> None:
        fd = ruleset()

        def confine() -> None:
            libc.prctl(38, 1, 0, 0, 0)  # no_new_privs
            libc.unshare(0x10000000 | 0x40000000)  # CLONE_NEWUSER | CLONE_NEWNET
            libc.syscall(446, fd, 0)

        try:
            subprocess.run(["/bin/sh", "-c", command], cwd=root, capture_output=True, preexec_fn=confine, pass_fds=(fd,), check=True)
        finally:
            os.close(fd)

    return run


async def measure(runs: int) -> dict[str, dict[str, list[float]]]:
    root = Path(tempfile.mkdtemp(prefix="a2ia-bench-sandbox-"))
    (root / "README.md").write_text("hi\n")
    support = probe()
    if not support.available or support.bwrap is None:
        sys.exit(f"the sandbox is not available here: {support.detail}")
    workspace, sandbox = Workspace(root), Sandbox(make_policy("workspace-write", root), support.bwrap)
    landlock = landlock_runner(root)
    times: dict[str, dict[str, list[float]]] = {name: {"none": [], "bwrap": [], "landlock": []} for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            for way in ("none", "bwrap", "landlock"):
                start = time.perf_counter()
                if way == "landlock":
                    landlock(command)
                else:
                    await run_shell(workspace, command, 30, sandbox if way == "bwrap" else None)
                times[name][way].append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    times = asyncio.run(measure(args.runs))
    print(f"run_shell, {args.runs} interleaved runs each, milliseconds (median / p90)")
    for name, ways in times.items():
        base = statistics.median(ways["none"])
        row = []
        for way, values in ways.items():
            median, p90 = statistics.median(values), statistics.quantiles(values, n=10)[-1]
            extra = "" if way == "none" else f"  (+{median - base:.2f} ms, {median / base:.2f}×)"
            row.append(f"{way} {median:.2f} / {p90:.2f}{extra}")
        print(f"  {name:<9} " + " · ".join(row))


if __name__ == "__main__":
    main()
