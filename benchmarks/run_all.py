"""The engine-speed budgets of issue 8 (P1–P5) in one command, as one table.

* P1 embedded decode tok/s, ``LlamaCppClient`` ÷ raw llama-cpp-python (``bench_embedded``);
* P2 time to first token, ``OpenAICompatClient`` − raw httpx SSE, against a real
  ``llama_cpp.server`` on 127.0.0.1 (``bench_openai_client``; needs the ``test`` extra);
* P3 orchestrator overhead per tool step, ``ScriptedClient`` + builtin tool (``bench_orchestrator``);
* P4 second-turn tokens evaluated ÷ new, embedded engine (``bench_embedded``);
* P5 cold start of ``a2ia-cli -p hi`` with the scripted backend, and its imports (``bench_cold_start``).

Each figure is against a raw baseline measured in the same run, interleaved; see each module's
docstring for exactly what is compared. The parts run one after another, never at once, so
they do not load the (shared, 2-core) machine against each other.

Run: ``.venv/bin/python benchmarks/run_all.py [--quick] [--only p1,p2,p3,p4,p5] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cold_start  # noqa: E402
import bench_embedded  # noqa: E402
import bench_orchestrator  # noqa: E402
from _common import Row, machine, table  # noqa: E402


async def p2(requests: int) -> tuple[list[Row], dict]:
    import bench_openai_client  # imports the tests' server helper; only needed here

    from a2ia.engines.models import bundled_smollm2

    with tempfile.TemporaryDirectory() as tmp:
        with bench_openai_client.llama_cpp_server(bundled_smollm2(), Path(tmp) / "server.log") as url:
            result = await bench_openai_client.ttft(url, requests)
    row = Row(
        f"P2 time to first token, real `llama_cpp.server` on 127.0.0.1, median of {requests} interleaved requests",
        f"raw httpx + httpx-sse: {result['raw_median_ms']:.2f} ms (IQR {result['raw_iqr_ms']:.2f})",
        f"`OpenAICompatClient.stream`: {result['client_median_ms']:.2f} ms (IQR {result['client_iqr_ms']:.2f})",
        f"**{result['difference_ms']:+.2f} ms**",
        "≤ 2 ms", result["difference_ms"] <= 2.0,
    )
    return [row], result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="p1,p2,p3,p4,p5", help="comma-separated figures to run")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, not for the record)")
    parser.add_argument("--json", dest="json_out", help="also write every raw number to this file")
    args = parser.parse_args()
    only = set(args.only.lower().split(","))
    n = {
        "decode_runs": 6 if args.quick else 60,
        "max_tokens": 128,
        "requests": 10 if args.quick else 60,
        "turns": 40 if args.quick else 300,
        "steps": 8,
        "cold_runs": 4 if args.quick else 20,
        "importtime_runs": 2 if args.quick else 5,
    }
    print(f"machine: {machine()}", flush=True)
    rows: list[Row] = []
    raw: dict = {"settings": n}
    started = time.perf_counter()
    if only & {"p1", "p4"}:
        parts = ",".join(sorted(only & {"p1", "p4"}))
        found, raw["embedded"] = await bench_embedded.measure(n["decode_runs"], n["max_tokens"], parts)
        rows += [r for r in found if r.figure.startswith("P1")]
        p4_rows = [r for r in found if r.figure.startswith("P4")]
    else:
        p4_rows = []
    if "p2" in only:
        found, raw["openai_ttft"] = await p2(n["requests"])
        rows += found
    if "p3" in only:
        found, raw["orchestrator"] = await bench_orchestrator.measure(n["turns"], n["steps"])
        rows += found
    rows += p4_rows
    if "p5" in only:
        found, raw["cold_start"] = bench_cold_start.measure(n["cold_runs"], n["importtime_runs"])
        rows += found
    print(table(rows))
    print(f"\n({time.perf_counter() - started:.0f} s in all)")
    if "cold_start" in raw:
        imports = raw["cold_start"]["imports"]
        print("one-shot run's heavy imports, and the a2ia module that first imports each:")
        for package, importer in imports["first_imported_by"].items():
            print(f"  {package:<12} {importer}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"machine": machine(), "rows": [r.as_dict() for r in rows], **raw}, indent=1))


if __name__ == "__main__":
    anyio.run(main)
