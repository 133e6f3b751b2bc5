"""A small tool-calling evaluation on the real embedded model, across the three modes.

Modes: ``native`` (the embedded engine's grammar-backed function calling), ``react`` (free
text ReAct) and ``react-constrained`` (ReAct decoded under a JSON schema of offered tools).
Cases: tool choice, argument extraction, multi-step, no tool needed. Temperature 0, seed 0.

Reported per mode:
* schema-valid call rate: of the calls the model attempted (a tool call, or a ReAct action,
  parsed or not), the share that named an offered tool with arguments valid for its schema;
* accuracy: the share of cases whose expectation was met (see ``Case``).

Run: ``.venv/bin/python benchmarks/eval_tool_calling.py [--model PATH] [--json]``
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from a2ia.client.llamacpp import LlamaCppClient
from a2ia.engines.models import resolve_model
from a2ia.orchestrator.budget import ContextBudget
from a2ia.orchestrator.events import Notice, ToolFinished, TurnDone
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Orchestrator
from a2ia.orchestrator.protocols import NativeTools, ReActTools
from a2ia.orchestrator.session import Session
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ChatOptions

INVALID_MARKERS = ("do not match the tool's schema", "was not run", "unknown tool")


@dataclass(frozen=True)
class Case:
    kind: str  # choice | arguments | multi-step | no-tool
    prompt: str
    calls: tuple[tuple[str, str | None], ...] = ()  # expected (tool, path or None = any path), in order

    def met(self, made: list[tuple[str, str]], answered: bool) -> bool:
        if self.kind == "no-tool":
            return not made and answered
        if len(made) < len(self.calls):
            return False
        for (tool, path), (got_tool, got_path) in zip(self.calls, made, strict=False):
            if tool != got_tool or (path is not None and _norm(got_path) != path):
                return False
        return True


def _norm(path: str) -> str:
    path = path.strip().removeprefix("./")
    return path.rstrip("/") or "."


CASES = [
    Case("choice", "What files are in this folder?", (("list_dir", None),)),
    Case("choice", "Show me what notes.txt says.", (("read_file", None),)),
    Case("choice", "Which files are in the src folder?", (("list_dir", None),)),
    Case("choice", "Read README.md and tell me what it says.", (("read_file", None),)),
    Case("arguments", "Read the file notes.txt.", (("read_file", "notes.txt"),)),
    Case("arguments", "List the folder named src.", (("list_dir", "src"),)),
    Case("arguments", "Open the file src/main.py.", (("read_file", "src/main.py"),)),
    Case("arguments", "What is in README.md?", (("read_file", "README.md"),)),
    Case("multi-step", "List the files here, then read README.md.", (("list_dir", None), ("read_file", "README.md"))),
    Case("multi-step", "List the src folder, then read main.py from it.", (("list_dir", "src"), ("read_file", "src/main.py"))),
    Case("no-tool", "What is 2 + 2?"),
    Case("no-tool", "Say hello to me."),
    Case("no-tool", "Translate the word 'cat' into French."),
]


@dataclass
class ModeResult:
    mode: str
    attempted: int = 0
    valid: int = 0
    met: dict[str, list[bool]] = field(default_factory=dict)
    seconds: float = 0.0

    def row(self) -> dict:
        cases = [m for ms in self.met.values() for m in ms]
        return {
            "mode": self.mode,
            "calls_attempted": self.attempted,
            "schema_valid_calls": self.valid,
            "schema_valid_rate": self.valid / self.attempted if self.attempted else None,
            "accuracy": sum(cases) / len(cases),
            "by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in self.met.items()},
            "seconds": round(self.seconds, 1),
        }


def make_workspace(root: Path) -> None:
    (root / "README.md").write_text("# Demo\nThis project greets people.\n")
    (root / "notes.txt").write_text("Buy milk. Call Ana.\n")
    (root / "src").mkdir()
    (root / "src" / "main.py").write_text("print('hello')\n")


async def run_mode(client: LlamaCppClient, registry: ToolRegistry, root: Path, mode: str) -> ModeResult:
    result = ModeResult(mode)
    caps = await client.capabilities()
    started = time.perf_counter()
    for case in CASES:
        orchestrator = Orchestrator(
            client, registry, system_prompt=DEFAULT_SYSTEM_PROMPT.format(root=root), max_steps=3,
            options=ChatOptions(temperature=0.0, seed=0, max_tokens=160),
        )
        orchestrator.protocol = NativeTools() if mode == "native" else ReActTools(constrained=mode == "react-constrained")
        orchestrator.budget = ContextBudget.for_client(client, caps.context_length)
        made: list[tuple[str, str]] = []
        answered = False
        async for event in orchestrator.run(Session(), case.prompt):
            if isinstance(event, ToolFinished):
                result.attempted += 1
                invalid = event.result.is_error and any(m in event.result.content for m in INVALID_MARKERS)
                result.valid += not invalid
                made.append((event.call.name, str(event.call.arguments.get("path", "."))))
            elif isinstance(event, Notice) and "could not be used" in event.text:
                result.attempted += 1  # a ReAct reply that did not parse: an invalid attempt
            elif isinstance(event, TurnDone):
                answered = True
        result.met.setdefault(case.kind, []).append(case.met(made, answered))
    result.seconds = time.perf_counter() - started
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="GGUF file (default: the one a2ia-cli would use)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = resolve_model(args.model)
    print(f"machine: {platform.machine()} {platform.system()}, python {platform.python_version()}; model {model.name}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_workspace(root)
        async with LlamaCppClient(model, n_ctx=4096, seed=0) as client, ToolRegistry() as registry:
            await registry.add_server("a2ia", make_builtin_server(Workspace(root)))
            for mode in ("native", "react", "react-constrained"):
                rows.append((await run_mode(client, registry, root, mode)).row())
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print("| mode | calls attempted | schema-valid | valid rate | accuracy | choice | arguments | multi-step | no-tool | time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        rate = "—" if r["schema_valid_rate"] is None else f"{r['schema_valid_rate']:.0%}"
        kinds = r["by_kind"]
        print(
            f"| {r['mode']} | {r['calls_attempted']} | {r['schema_valid_calls']} | {rate} | {r['accuracy']:.0%} "
            f"| {kinds['choice']} | {kinds['arguments']} | {kinds['multi-step']} | {kinds['no-tool']} | {r['seconds']} s |"
        )


if __name__ == "__main__":
    anyio.run(main)
