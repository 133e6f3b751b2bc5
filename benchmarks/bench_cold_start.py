"""P5: cold start of a one-shot run, against bare interpreter starts measured in the same run.

Launched as subprocesses, interleaved (the order rotates every round), median of ``--runs``:

* ``python -c pass``: the interpreter alone (the floor);
* ``python -c "import a2ia"``: the package root;
* ``python -c "import a2ia.cli.main"``: everything the command imports before it parses flags;
* ``a2ia-cli --backend scripted -p hi`` with ``A2IA_SCRIPT='["hello"]'``: a whole one-shot run
  (settings, the builtin MCP tool server, one turn, the session file) with no model to load;
* the same run started with ``python -c``, with and without the garbage collector held off
  during the imports: a what-if for a change in ``a2ia/cli`` (this benchmark does not edit it).

Data, config and model folders point into a temporary folder, so nothing of the user's is
read or written. Then ``python -X importtime`` on the same one-shot run (median over
``--importtime-runs``) attributes import time to packages (the sum of their modules' own
time) and names, for each heavy package, the a2ia module that first imports it: that is
where a lazy import would go.

Run: ``.venv/bin/python benchmarks/bench_cold_start.py [--runs 20]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, machine, median, table  # noqa: E402

BIN = Path(sys.executable).parent
CLI = BIN / "a2ia-cli"
ONE_SHOT_ARGS = ["--backend", "scripted", "-p", "hi"]
HEAVY = ("textual", "prompt_toolkit", "llama_cpp", "ollama", "rich", "numpy", "mcp", "httpx", "jsonschema")
NEEDED = {"mcp"}  # the builtin tools are an in-process MCP server: every run needs the SDK
ONE_SHOT_CODE = "import sys; from a2ia.cli.main import main; sys.argv = ['a2ia-cli', *sys.argv[1:]]; main()"
# What-if for a change in a2ia/cli (not made here): no cyclic GC while the imports build ~1M
# objects (pydantic schemas of the MCP types), then freeze them out of later collections.
GC_HELD_CODE = (
    "import gc; gc.disable(); import sys; from a2ia.cli.main import main; gc.freeze(); gc.enable(); "
    "sys.argv = ['a2ia-cli', *sys.argv[1:]]; main()"
)
LOADED_CODE = (
    "import atexit, json, sys; from a2ia.cli.main import main; sys.argv = ['a2ia-cli', *sys.argv[1:]]; "
    "atexit.register(lambda: print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)); main()"
)


def environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("A2IA_")}
    env.update(
        A2IA_SCRIPT='["hello"]',
        A2IA_DATA_DIR=str(root / "data"),
        A2IA_CONFIG_DIR=str(root / "config"),
        A2IA_MODELS_DIR=str(root / "models"),
    )
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def wall_times(runs: int, env: dict[str, str], cwd: Path) -> dict[str, float]:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import a2ia": [sys.executable, "-c", "import a2ia"],
        "import a2ia.cli.main": [sys.executable, "-c", "import a2ia.cli.main"],
        "a2ia-cli -p hi": [str(CLI), *ONE_SHOT_ARGS],
        "same, python -c": [sys.executable, "-c", ONE_SHOT_CODE, *ONE_SHOT_ARGS],
        "same, python -c, GC held": [sys.executable, "-c", GC_HELD_CODE, *ONE_SHOT_ARGS],
    }
    names = list(commands)
    for name in names:  # warm-up: the page cache, .pyc files
        timed(commands[name], env, cwd)
    samples: dict[str, list[float]] = defaultdict(list)
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            samples[name].append(timed(commands[name], env, cwd))
    return {name: median(values) * 1000 for name, values in samples.items()}


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """``(self_us, cumulative_us, depth, module)`` per line of ``-X importtime``."""
    rows = []
    for line in stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if found:
            rows.append((int(found[1]), int(found[2]), (len(found[3]) - 1) // 2, found[4]))
    return rows


def first_a2ia_importer(rows: list[tuple[int, int, int, str]], package: str) -> str:
    """The a2ia module under which ``package`` is imported first (rows are printed children-first)."""
    for i, (_, _, depth, name) in enumerate(rows):
        if name.split(".")[0] == package:
            for _, _, d, parent in rows[i + 1 :]:
                if d < depth and parent.startswith("a2ia"):
                    return parent
                if d < depth:
                    depth = d
            return "?"
    return "-"


def import_profile(runs: int, env: dict[str, str], cwd: Path) -> dict:
    per_package: dict[str, list[float]] = defaultdict(list)
    importers: dict[str, str] = {}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", ONE_SHOT_CODE, *ONE_SHOT_ARGS],
            env=env, cwd=cwd, capture_output=True, text=True, check=True,
        )
        rows = parse_importtime(done.stderr)
        totals: dict[str, int] = defaultdict(int)
        for self_us, _, _, name in rows:
            totals[name.split(".")[0]] += self_us
        for package, us in totals.items():
            per_package[package].append(us / 1000)
        for package in HEAVY:
            importers.setdefault(package, first_a2ia_importer(rows, package))
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED_CODE, *ONE_SHOT_ARGS], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    modules = set(json.loads(loaded.stderr.strip().splitlines()[-1]))
    packages = {p: median(v) for p, v in per_package.items()}
    return {
        "total_import_ms": sum(packages.values()),
        "top": sorted(packages.items(), key=lambda kv: -kv[1])[:12],
        "heavy_loaded": [p for p in HEAVY if p in modules],
        "first_imported_by": {p: importers[p] for p in HEAVY if p in modules},
    }


def measure(runs: int, importtime_runs: int) -> tuple[list[Row], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "workspace").mkdir()
        env = environment(root)
        cwd = root / "workspace"
        walls = wall_times(runs, env, cwd)
        profile = import_profile(importtime_runs, env, cwd)
    floor = walls["python -c pass"]
    avoidable = [p for p in profile["heavy_loaded"] if p not in NEEDED]
    rows = [
        Row(
            f"P5 cold start, `a2ia-cli --backend scripted -p hi` to exit, median of {runs} interleaved runs",
            f"`python -c pass`: {floor:.0f} ms; `python -c \"import a2ia\"`: {walls['import a2ia']:.0f} ms",
            f"{walls['a2ia-cli -p hi']:.0f} ms",
            f"**+{walls['a2ia-cli -p hi'] - floor:.0f} ms** over the bare interpreter",
            "—", None,
        ),
        Row(
            "P5 import of the CLI module, `python -c \"import a2ia.cli.main\"`",
            f"`python -c pass`: {floor:.0f} ms",
            f"{walls['import a2ia.cli.main']:.0f} ms",
            f"**+{walls['import a2ia.cli.main'] - floor:.0f} ms**",
            "—", None,
        ),
        Row(
            "P5 heavy packages loaded by the one-shot run (of " + ", ".join(HEAVY) + ")",
            "needed: mcp (the builtin tools are an MCP server)",
            ", ".join(profile["heavy_loaded"]) or "none",
            "avoidable: " + (", ".join(avoidable) or "none"),
            "only what the run uses", not avoidable,
        ),
        Row(
            "P5 what-if: cyclic GC held off during startup (`gc.disable()` before the imports, `gc.freeze(); gc.enable()` after)",
            f"the same one-shot via `python -c`: {walls['same, python -c']:.0f} ms",
            f"{walls['same, python -c, GC held']:.0f} ms",
            f"**{walls['same, python -c, GC held'] - walls['same, python -c']:+.0f} ms**",
            "—", None,
        ),
    ]
    return rows, {"wall_ms": walls, "imports": profile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="interleaved rounds of the six launches")
    parser.add_argument("--importtime-runs", type=int, default=5, help="-X importtime runs to take medians over")
    parser.add_argument("--json", action="store_true", help="also print the raw numbers as JSON")
    args = parser.parse_args()
    if not CLI.exists():
        raise SystemExit(f"{CLI} not found: run this with the project's virtual environment (.venv/bin/python)")
    print(f"machine: {machine()}")
    rows, raw = measure(args.runs, args.importtime_runs)
    print(table(rows))
    imports = raw["imports"]
    print(f"\nimport time of the one-shot run, by package (own time of its modules, median of {args.importtime_runs}): "
          f"{imports['total_import_ms']:.0f} ms in all")
    for package, ms in imports["top"]:
        print(f"  {ms:7.1f} ms  {package}")
    print("heavy packages and the a2ia module that first imports them:")
    for package, importer in imports["first_imported_by"].items():
        print(f"  {package:<16} {importer}")
    if args.json:
        print(json.dumps(raw))


if __name__ == "__main__":
    main()
