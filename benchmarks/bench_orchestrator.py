"""P3: the orchestrator's own cost per step, against the raw work it drives, in the same run.

A turn asks for ``--steps`` tool calls in a row (builtin ``list_dir``, in-process MCP,
read-only so the approval policy lets it run; the path alternates so the repeated-call guard
stays quiet), then answers. The model is ``ScriptedClient`` (no inference), so what is left
is pure a2ia overhead.

* raw: the same scripted client's ``stream`` consumed directly and the same
  ``ToolRegistry.call`` awaited directly, keeping the history as a plain list of messages
  (the client's usage figure reads it, so both sides hand it the same history);
* a2ia: ``Orchestrator.run`` on a fresh ``Session``: budget fitting, argument validation
  against the schema, approval, the concurrent runner, events, the session.

Turns alternate raw/a2ia (the order flips every round); medians over ``--turns`` each.
Overhead per step = (median a2ia turn − median raw turn) / tool steps. Goal: <= 1 ms.

Run: ``.venv/bin/python benchmarks/bench_orchestrator.py [--turns 200] [--steps 8]``
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

from _common import Row, iqr, machine, median, table  # noqa: E402

from a2ia.client.scripted import ScriptedClient, ScriptedRequest  # noqa: E402
from a2ia.orchestrator.events import TurnDone  # noqa: E402
from a2ia.orchestrator.loop import Orchestrator  # noqa: E402
from a2ia.orchestrator.session import Session  # noqa: E402
from a2ia.tools.builtin import make_builtin_server  # noqa: E402
from a2ia.tools.registry import ToolRegistry  # noqa: E402
from a2ia.tools.workspace import Workspace  # noqa: E402
from a2ia.types import ChatOptions, Message, ToolCall, ToolCallReady  # noqa: E402

PATHS = (".", "src")
ANSWER = "There are two entries here: a README and a src folder."


def script(steps: int):
    """The scripted model: ``steps`` calls in a row (counted from the turn's tool results), then an answer."""

    def reply(request: ScriptedRequest):
        done = 0
        for message in reversed(request.messages):
            if message.role == "user":
                break
            done += message.role == "tool"
        if done < steps:
            return ToolCall(id=f"call_{done}", name="list_dir", arguments={"path": PATHS[done % 2]})
        return ANSWER

    return reply


async def raw_turn(client: ScriptedClient, registry: ToolRegistry, text: str) -> int:
    """The raw work of one turn: each reply streamed, each call made, the history kept."""
    history = [Message.user(text)]
    specs = registry.specs()
    options = ChatOptions()
    steps = 0
    while True:
        calls = []
        async for event in client.stream(history, specs, options):
            if isinstance(event, ToolCallReady):
                calls.append(event.call)
        history.append(Message(role="assistant", content="", tool_calls=tuple(calls)))
        if not calls:
            return steps
        for call in calls:
            result = await registry.call(call)
            history.append(Message.tool(result, call.name))
        steps += 1


async def a2ia_turn(orchestrator: Orchestrator, text: str) -> int:
    last = None
    async for event in orchestrator.run(Session(), text):
        last = event
    assert isinstance(last, TurnDone), last
    return last.steps - 1


async def measure(turns: int, steps: int) -> tuple[list[Row], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "README.md").write_text("# Demo\n")
        (root / "src").mkdir()
        (root / "src" / "main.py").write_text("print('hello')\n")
        async with ToolRegistry() as registry:
            await registry.add_server("a2ia", make_builtin_server(Workspace(root)))
            client = ScriptedClient(replies=script(steps))
            orchestrator = Orchestrator(client, registry, system_prompt="You are a2ia.", max_steps=steps + 1)
            text = "What is in this folder?"
            for _ in range(10):  # warm-up: imports, caches, the protocol choice
                assert await raw_turn(client, registry, text) == steps
                assert await a2ia_turn(orchestrator, text) == steps
            raw, ours = [], []
            for i in range(turns):
                for side in ("raw", "a2ia") if i % 2 == 0 else ("a2ia", "raw"):
                    client.requests.clear()
                    started = time.perf_counter()
                    if side == "raw":
                        await raw_turn(client, registry, text)
                    else:
                        await a2ia_turn(orchestrator, text)
                    (raw if side == "raw" else ours).append(time.perf_counter() - started)
    per_step = (median(ours) - median(raw)) / steps
    result = {
        "turns": turns,
        "steps": steps,
        "raw_turn_ms": median(raw) * 1000,
        "a2ia_turn_ms": median(ours) * 1000,
        "raw_iqr_ms": iqr(raw) * 1000,
        "a2ia_iqr_ms": iqr(ours) * 1000,
        "overhead_per_step_ms": per_step * 1000,
    }
    row = Row(
        f"P3 orchestrator overhead per tool step, `ScriptedClient` + builtin `list_dir`, {steps} steps a turn, median of {turns} interleaved turns",
        f"client stream + `ToolRegistry.call` direct: {result['raw_turn_ms']:.2f} ms/turn",
        f"`Orchestrator.run`: {result['a2ia_turn_ms']:.2f} ms/turn",
        f"**{result['overhead_per_step_ms']:+.3f} ms/step**",
        "≤ 1 ms", result["overhead_per_step_ms"] <= 1.0,
    )
    return [row], result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200, help="interleaved turns for each side")
    parser.add_argument("--steps", type=int, default=8, help="tool steps in each turn")
    parser.add_argument("--json", action="store_true", help="also print the raw numbers as JSON")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rows, raw = await measure(args.turns, args.steps)
    print(table(rows))
    if args.json:
        print(json.dumps(raw))


if __name__ == "__main__":
    anyio.run(main)
