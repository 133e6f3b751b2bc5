"""Long and wide sessions (issue 9): a 1,000-turn session, 200 tools over 10 MCP servers,
16 concurrent one-shot runs against one local server.

    .venv/bin/python benchmarks/bench_long_wide.py [--turns 1000] [--servers 10 --tools 20] [--runs 16]

1. *Long*: the real orchestrator, a scripted model (every 10th turn calls ``list_dir`` on the
   builtin MCP server), the session saved to a JSON Lines file as it goes. Reported: the time
   of turns 6–15 and of the last 10 (median), their ratio (goal ≤ 2×), and traced Python
   memory after 100, 500 and all turns (growth beyond the messages themselves is a leak).
2. *Wide*: start-up of a registry connecting 10 real stdio MCP servers × 20 tools, against the
   builtin server alone (baseline); then one orchestrator step offering all 210 tools, against
   the same step offering the 8 builtin ones.
3. *Concurrent*: N ``a2ia-cli -p`` processes at once against one real ``llama_cpp.server``;
   all must exit 0. Reported: wall time, and one run alone (baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from a2ia.client.scripted import ScriptedClient  # noqa: E402
from a2ia.orchestrator.loop import Orchestrator  # noqa: E402
from a2ia.orchestrator.session import Session  # noqa: E402
from a2ia.orchestrator.store import SessionFile  # noqa: E402
from a2ia.tools.builtin import make_builtin_server  # noqa: E402
from a2ia.tools.mcp_config import StdioServer  # noqa: E402
from a2ia.tools.registry import ToolRegistry  # noqa: E402
from a2ia.tools.workspace import Workspace  # noqa: E402
from a2ia.types import ToolCall  # noqa: E402


def reply_for(turn: int):
    if turn % 10 == 0:
        return [ToolCall(id=f"c{turn}", name="list_dir", arguments={"path": "."}), f"Listed the folder for turn {turn}."]
    return [f"Answer {turn}: " + "lorem ipsum dolor sit amet " * 8]


async def long_session(turns: int, workspace: Path) -> dict:
    replies = []
    for turn in range(1, turns + 1):
        replies.extend(reply_for(turn))
    script = iter(replies)
    client = ScriptedClient(lambda _request: next(script))
    times, memory = [], {}
    os.environ.setdefault("A2IA_DATA_DIR", tempfile.mkdtemp())
    tracemalloc.start()
    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools, system_prompt="You are a test.")
        session = Session()
        session.file = SessionFile.create(session.id, {"backend": "scripted"})
        for turn in range(1, turns + 1):
            start = time.perf_counter()
            async for _ in orchestrator.run(session, f"Question number {turn}: what is in the folder?"):
                pass
            times.append(time.perf_counter() - start)
            client.requests.clear()  # the test double's record of every request, not a2ia's memory
            if turn in (100, turns // 2, turns):
                memory[turn] = tracemalloc.get_traced_memory()[0]
        session.close()
    tracemalloc.stop()
    early = statistics.median(times[5:15])
    late = statistics.median(times[-10:])
    return {"turns": turns, "messages": len(session.messages), "early_ms": early * 1000, "late_ms": late * 1000,
            "ratio": late / early, "memory": memory, "file_bytes": session_path_size(session)}


def session_path_size(session: Session) -> int:
    from a2ia.orchestrator.store import sessions_dir

    return sum(p.stat().st_size for p in sessions_dir().glob(f"*{session.id}*"))


async def wide(servers: int, tools_each: int, workspace: Path, repeats: int = 30) -> dict:
    script = ROOT / "tests" / "mcp_servers" / "many_tools.py"
    configs = {f"s{i}": StdioServer(command=sys.executable, args=(str(script), f"s{i}", str(tools_each))) for i in range(servers)}

    async def start(with_servers: bool) -> tuple[float, float]:
        begin = time.perf_counter()
        async with ToolRegistry() as registry:
            await registry.add_servers({"a2ia": make_builtin_server(Workspace(workspace)), **(configs if with_servers else {})})
            started = time.perf_counter() - begin
            count = len(registry.specs())
            step = []
            for _ in range(repeats + 5):  # the first 5 warm up
                client = ScriptedClient([ToolCall(id="x", name="list_dir", arguments={"path": "."}), "done"])
                orchestrator = Orchestrator(client, registry)
                t = time.perf_counter()
                async for _ in orchestrator.run(Session(), "list"):
                    pass
                step.append(time.perf_counter() - t)
            return started, statistics.median(step[5:]), count

    async def raw_sdk() -> float:
        """Baseline: the same servers, connected concurrently by the bare SDK and listed."""
        import anyio
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        listed, release = [], anyio.Event()

        async def one(config: StdioServer) -> None:
            params = StdioServerParameters(command=config.command, args=list(config.args))
            async with Client(stdio_client(params, errlog=open(os.devnull, "w"))) as client:  # noqa: SIM115
                await client.list_tools()
                listed.append(time.perf_counter())
                await release.wait()

        begin = time.perf_counter()
        async with anyio.create_task_group() as group:
            for config in configs.values():
                group.start_soon(one, config)
            while len(listed) < len(configs):
                await anyio.sleep(0.005)
            elapsed = max(listed) - begin
            release.set()
        return elapsed

    raw_start = await raw_sdk()
    base_start, base_step, base_count = await start(False)
    wide_start, wide_step, wide_count = await start(True)
    return {"base_tools": base_count, "wide_tools": wide_count, "base_start_s": base_start, "wide_start_s": wide_start,
            "raw_start_s": raw_start, "base_turn_ms": base_step * 1000, "wide_turn_ms": wide_step * 1000}


def concurrent_runs(runs: int, workspace: Path) -> dict:
    from a2ia.engines.models import bundled_smollm2

    from servers import llama_cpp_server

    cli = str(Path(sys.executable).with_name("a2ia-cli"))
    with tempfile.TemporaryDirectory() as tmp, llama_cpp_server(bundled_smollm2(), Path(tmp) / "server.log") as url:
        argv = [cli, "--backend", "openai", "--base-url", url, "-C", str(workspace), "--max-steps", "2", "--yes", "-p", "Say hello."]
        env = {**os.environ, "A2IA_DATA_DIR": tmp}
        t = time.perf_counter()
        alone = subprocess.run(argv, capture_output=True, env=env, timeout=600)
        alone_s = time.perf_counter() - t
        t = time.perf_counter()
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(runs)]
        codes = [p.wait(timeout=900) for p in procs]
        wall = time.perf_counter() - t
    return {"runs": runs, "alone_s": alone_s, "alone_code": alone.returncode, "wall_s": wall,
            "codes": sorted(set(codes)), "completed": sum(c in (0, 4) for c in codes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--tools", type=int, default=20)
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--skip", nargs="*", default=[], choices=["long", "wide", "concurrent"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        (workspace / "README.md").write_text("# demo\n")
        if "long" not in args.skip:
            r = asyncio.run(long_session(args.turns, workspace))
            mem = ", ".join(f"after {t}: {b / 2**20:.1f} MiB" for t, b in r["memory"].items())
            print(f"| long: {r['turns']} turns ({r['messages']} messages, file {r['file_bytes'] / 1e6:.2f} MB) "
                  f"| turns 6–15: {r['early_ms']:.2f} ms | last 10: {r['late_ms']:.2f} ms | **{r['ratio']:.2f}×** | ≤ 2× |")
            print(f"| long: traced Python memory | {mem} | | | |")
        if "wide" not in args.skip:
            r = asyncio.run(wide(args.servers, args.tools, workspace))
            print(f"| wide: start-up of {args.servers} stdio servers | bare SDK, connected concurrently: "
                  f"{r['raw_start_s'] * 1000:.0f} ms | registry ({r['wide_tools']} tools with the builtin): "
                  f"{r['wide_start_s'] * 1000:.0f} ms | **{r['wide_start_s'] / r['raw_start_s']:.2f}×** | — |")
            print(f"| wide: one tool turn | {r['base_tools']} tools: {r['base_turn_ms']:.2f} ms "
                  f"| {r['wide_tools']} tools: {r['wide_turn_ms']:.2f} ms | +{r['wide_turn_ms'] - r['base_turn_ms']:.2f} ms | — |")
        if "concurrent" not in args.skip:
            r = concurrent_runs(args.runs, workspace)
            print(f"| concurrent: {r['runs']} one-shot runs, one server | one alone: {r['alone_s']:.1f} s "
                  f"| all at once: {r['wall_s']:.1f} s | {r['completed']}/{r['runs']} completed (exit codes {r['codes']}) | all complete |")


if __name__ == "__main__":
    main()
