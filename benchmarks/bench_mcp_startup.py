"""``a2ia-cli mcp list`` and a first turn's start-up with real MCP servers, against another
commit of a2ia in the same run (issue 16: what a2ia lists and declares at connect may cost at most 10%).

The servers: ``@modelcontextprotocol/server-everything`` (it declares prompts), ``mcp-server-time``
and ``mcp-server-git`` (installed by ``scripts/mcp_test_servers.sh``). The baseline is a git
worktree of ``--baseline REV`` run by the same Python (``PYTHONPATH`` puts its ``a2ia`` first);
runs alternate, baseline then current, ``--runs`` pairs; medians of whole-process times.

Run: ``.venv/bin/python benchmarks/bench_mcp_startup.py --baseline 4cf8b8c [--runs 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import Row, iqr, machine, median, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ROOT / ".mcp-servers"


def servers_file(folder: Path) -> Path:
    missing = [p for p in (SERVERS / "npm/node_modules/.bin/mcp-server-everything", SERVERS / "venv/bin/mcp-server-time") if not p.exists()]
    if missing:
        sys.exit(f"not installed: {', '.join(map(str, missing))}; run scripts/mcp_test_servers.sh")
    repo = folder / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    config = {"mcpServers": {
        "everything": {"command": str(SERVERS / "npm/node_modules/.bin/mcp-server-everything"), "args": ["stdio"]},
        "time": {"command": str(SERVERS / "venv/bin/mcp-server-time")},
        "git": {"command": str(SERVERS / "venv/bin/mcp-server-git"), "args": ["--repository", str(repo)]},
    }}
    path = folder / "mcp.json"
    path.write_text(json.dumps(config))
    return path


def timed(source: Path, args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "a2ia.cli", *args], env={**env, "PYTHONPATH": str(source)},
                            capture_output=True, timeout=300)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):  # mcp list exits 1 when a server failed: still timed, but say so
        sys.exit(f"{source}: {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="the commit to compare with")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = folder / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), args.baseline], check=True)
        try:
            config = servers_file(folder)
            workspace = folder / "work"
            workspace.mkdir()
            env = {**os.environ, "A2IA_SCRIPT": json.dumps(["hello"]), "XDG_DATA_HOME": str(folder / "data")}
            commands = {
                "mcp list, 3 real servers": ["mcp", "list", "--mcp-config", str(config), "-C", str(workspace)],
                "first turn (-p, scripted), 3 real servers": ["--backend", "scripted", "-p", "hi", "--mcp-config", str(config),
                                                             "-C", str(workspace)],
            }
            rows = []
            for figure, command in commands.items():
                timed(ROOT, command, env)  # warm the file cache for both
                timed(base, command, env)
                before, after = [], []
                for _ in range(args.runs):
                    before.append(timed(base, command, env))
                    after.append(timed(ROOT, command, env))
                ratio = median(after) / median(before)
                rows.append(Row(figure, f"{median(before):.2f} s (IQR {iqr(before):.2f})", f"{median(after):.2f} s (IQR {iqr(after):.2f})",
                                f"{ratio:.2f}×", "≤ 1.10×", ratio <= 1.10))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print(f"machine: {machine()}; baseline {args.baseline}; {args.runs} alternating pairs, medians")
    print(table(rows))


if __name__ == "__main__":
    main()
