"""ToolRegistry overhead per call, against the raw ``mcp`` SDK client in the same run.

1. A builtin tool (``list_dir``) in-process: ``registry.call`` vs ``Client(server).call_tool``
   on a second in-process session of the same kind of server.
2. ``get_current_time`` on ``mcp-server-time`` over real stdio (installed by
   ``scripts/mcp_test_servers.sh``): ``registry.call`` vs a raw ``Client`` on its own process.

Calls are interleaved; medians of N each. Goal: registry overhead <= 0.3 ms per call.
Run: ``.venv/bin/python benchmarks/bench_registry.py [--calls 400]``
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.mcp_config import StdioServer
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

TIME_SERVER = Path(__file__).resolve().parent.parent / ".mcp-servers" / "venv" / "bin" / "mcp-server-time"


async def pair(raw_call, registry_call, calls: int) -> dict:
    for _ in range(20):  # warm-up
        await raw_call()
        await registry_call()
    raw, ours = [], []
    for i in range(calls):
        first, second = (raw_call, registry_call) if i % 2 == 0 else (registry_call, raw_call)
        for fn in (first, second):
            started = time.perf_counter()
            await fn()
            (raw if fn is raw_call else ours).append(time.perf_counter() - started)
    return {
        "calls": calls,
        "raw_median_ms": statistics.median(raw) * 1000,
        "registry_median_ms": statistics.median(ours) * 1000,
        "overhead_ms": (statistics.median(ours) - statistics.median(raw)) * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.system()}, python {platform.python_version()}", file=sys.stderr)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a.txt").write_text("a")
        workspace = Workspace(root)
        call = ToolCall(id="b", name="list_dir", arguments={"path": "."})
        async with ToolRegistry() as registry, Client(make_builtin_server(workspace)) as raw:
            await registry.add_server("a2ia", make_builtin_server(workspace))
            results["builtin_in_process"] = await pair(
                lambda: raw.call_tool("list_dir", {"path": "."}), lambda: registry.call(call), args.calls
            )
        if TIME_SERVER.exists():
            params = StdioServerParameters(command=str(TIME_SERVER), args=["--local-timezone", "UTC"])
            time_call = ToolCall(id="t", name="get_current_time", arguments={"timezone": "UTC"})
            async with ToolRegistry(log_dir=root) as registry, Client(stdio_client(params)) as raw:
                await registry.add_server("time", StdioServer(command=str(TIME_SERVER), args=("--local-timezone", "UTC")))
                results["time_over_stdio"] = await pair(
                    lambda: raw.call_tool("get_current_time", {"timezone": "UTC"}), lambda: registry.call(time_call), args.calls
                )
        else:
            print("mcp-server-time not installed: run scripts/mcp_test_servers.sh", file=sys.stderr)
    for name, r in results.items():
        print(f"{name}: {r['calls']} calls each, median raw {r['raw_median_ms']:.3f} ms, registry "
              f"{r['registry_median_ms']:.3f} ms, overhead {r['overhead_ms']:+.3f} ms (goal <= 0.3 ms)")
    print(json.dumps(results))


if __name__ == "__main__":
    anyio.run(main)
