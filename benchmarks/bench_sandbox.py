"""What the sandbox costs per ``run_shell`` command (issue 13; goal ≤ 15 ms added, median).

    .venv/bin/python benchmarks/bench_sandbox.py [--runs 200]

Three ways of running the same command (``true``, then a small real one: ``ls -la && git
--version``), interleaved run by run so machine noise hits all of them alike:

1. **none**: ``run_shell`` without a sandbox (the baseline, measured in the same run);
2. **bwrap**: ``run_shell`` in the sandbox a2ia uses (bubblewrap: mount, user, network and
   PID namespaces, the seccomp socket filter passed on a pipe);
3. **landlock**: ``run_shell`` in the fallback sandbox (``a2ia/sandbox/landlock.py``: Landlock
   and a user + network namespace applied in ``preexec_fn``, the same seccomp filter), which
   a2ia uses where bubblewrap cannot run.

Reported: the median and p90 of each, and the sandboxes' added milliseconds and ratio to none.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from a2ia.sandbox.policy import make_policy
from a2ia.sandbox.support import probe
from a2ia.tools.shell import run_shell
from a2ia.tools.workspace import Workspace

COMMANDS = {"true": "true", "ls + git": "ls -la >/dev/null && git --version >/dev/null"}


async def measure(runs: int) -> dict[str, dict[str, list[float]]]:
    root = Path(tempfile.mkdtemp(prefix="a2ia-bench-sandbox-"))
    (root / "README.md").write_text("hi\n")
    policy = make_policy("workspace-write", root)
    backends = {name: probe(name) for name in ("bwrap", "landlock")}
    for name, support in backends.items():
        if not support.available:
            sys.exit(f"the {name} sandbox is not available here: {support.detail}")
    workspace = Workspace(root)
    sandboxes = {"none": None, **{name: support.sandbox(policy) for name, support in backends.items()}}
    times: dict[str, dict[str, list[float]]] = {name: {"none": [], "bwrap": [], "landlock": []} for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            for way, sandbox in sandboxes.items():
                start = time.perf_counter()
                await run_shell(workspace, command, 30, sandbox)
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
