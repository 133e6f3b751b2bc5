"""The tool-calling evaluation: 42 cases in a fixed workspace, per mode, on a real engine.

Modes: ``native`` (the backend's function calling; on the embedded engine, grammar-backed),
``react`` (free-text ReAct) and ``react-constrained`` (ReAct decoded under a JSON schema of the
offered tools). Cases and their checks: ``eval_cases``. Temperature 0, seed 0, 256 tokens a
reply, the product's step limit; every approval is granted (the edit cases need one); each
case starts from a fresh copy of the workspace.

Reported per mode:
* answered: turns that end in an answer (a non-empty reply, not a failed turn);
* accuracy: cases whose check was met (right calls, right paths, the answer holds the fact);
* missing-path calls: calls naming a path that is not in the workspace;
* tool errors per turn; median prompt tokens of a turn's first request; wall time.

Run: ``.venv/bin/python benchmarks/eval_tool_calling.py [--model FILE.gguf | --base-url URL |
--vllm-url URL] [--modes native,react] [--json]``
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from eval_cases import CASES, KINDS, Case, make_workspace, names_missing_path  # noqa: E402

from a2ia.client.base import LLMClient  # noqa: E402
from a2ia.config import DEFAULT_MAX_STEPS  # noqa: E402
from a2ia.orchestrator.events import ApprovalNeeded, ToolFinished, TurnDone, TurnFailed  # noqa: E402
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Orchestrator  # noqa: E402
from a2ia.orchestrator.protocols import ReActTools  # noqa: E402
from a2ia.orchestrator.session import Session  # noqa: E402
from a2ia.tools.builtin import make_builtin_server  # noqa: E402
from a2ia.tools.grounding import ground  # noqa: E402
from a2ia.tools.registry import ToolRegistry  # noqa: E402
from a2ia.tools.workspace import Workspace  # noqa: E402
from a2ia.types import ChatOptions, TextDelta, Usage  # noqa: E402

MODES = ("native", "react", "react-constrained")


@dataclass
class ModeResult:
    mode: str
    turns: int = 0
    answered: int = 0
    calls: int = 0
    missing_path_calls: int = 0
    no_tool_without_call: int = 0
    tool_errors: int = 0
    met: dict[str, list[bool]] = field(default_factory=dict)
    prompt_tokens: list[int] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def row(self) -> dict:
        cases = [m for ms in self.met.values() for m in ms]
        return {
            "mode": self.mode,
            "answered": f"{self.answered}/{self.turns}",
            "accuracy": round(sum(cases) / len(cases), 3),
            "by_kind": {k: f"{sum(self.met.get(k, []))}/{len(self.met.get(k, []))}" for k in KINDS},
            "calls": self.calls,
            "missing_path_calls": self.missing_path_calls,
            "no_tool_without_call": f"{self.no_tool_without_call}/{len(self.met.get('no-tool', []))}",
            "tool_errors_per_turn": round(self.tool_errors / max(self.turns, 1), 2),
            "prompt_tokens_median": int(statistics.median(self.prompt_tokens)) if self.prompt_tokens else None,
            "seconds": round(self.seconds, 1),
            "failures": self.failures,
        }


async def approve(_request: ApprovalNeeded) -> str:
    return "once"


async def run_case(client: LLMClient, root: Path, mode: str, case: Case, result: ModeResult, max_steps: int, grounded: bool) -> None:
    for child in root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    make_workspace(root)
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(root)))
        orchestrator = Orchestrator(
            client, registry, system_prompt=DEFAULT_SYSTEM_PROMPT.format(root=root), max_steps=max_steps,
            options=ChatOptions(temperature=0.0, seed=0, max_tokens=256),
            mode="native" if mode == "native" else "react", approver=approve,
            grounding=functools.partial(ground, root=root) if grounded else None,
            protocol=None if mode == "native" else ReActTools(constrained=mode == "react-constrained"),
        )
        made: list[tuple[str, str | None]] = []
        answer: list[str] = []
        first_usage = True
        async for event in orchestrator.run(Session(), case.prompt):
            if isinstance(event, ToolFinished):
                path = event.call.arguments.get("path")
                made.append((event.call.name, None if path is None else str(path)))
                result.calls += 1
                result.tool_errors += event.result.is_error
                result.missing_path_calls += names_missing_path(root, event.call.name, None if path is None else str(path))
                answer.clear()
            elif isinstance(event, TextDelta):
                answer.append(event.text)
            elif isinstance(event, Usage) and first_usage:
                result.prompt_tokens.append(event.prompt_tokens)
                first_usage = False
            elif isinstance(event, TurnDone):
                result.answered += bool("".join(answer).strip())
            elif isinstance(event, TurnFailed):
                result.failures.append(f"{case.prompt}: {event.reason}")
    result.turns += 1
    result.no_tool_without_call += case.kind == "no-tool" and not made
    result.met.setdefault(case.kind, []).append(case.met(made, "".join(answer)))


async def run_mode(client: LLMClient, root: Path, mode: str, max_steps: int, grounded: bool = True) -> ModeResult:
    result = ModeResult(mode)
    started = time.perf_counter()
    for case in CASES:
        await run_case(client, root, mode, case, result, max_steps, grounded)
    result.seconds = time.perf_counter() - started
    return result


def make_client(args: argparse.Namespace) -> tuple[LLMClient, str]:
    if args.base_url:
        from a2ia.client.openai_compat import OpenAICompatClient

        return OpenAICompatClient(args.base_url), f"openai {args.base_url}"
    if args.vllm_url:
        from a2ia.client.vllm import VLLMClient

        return VLLMClient(args.vllm_url), f"vllm {args.vllm_url}"
    from a2ia.client.llamacpp import LlamaCppClient
    from a2ia.engines.models import resolve_model

    model = resolve_model(args.model)
    return LlamaCppClient(model, n_ctx=4096, seed=0), f"embedded {model.name}"


def print_table(rows: list[dict]) -> None:
    print("| mode | answered | accuracy | " + " | ".join(KINDS) + " | no tool, no call | missing-path calls | tool errors/turn | prompt tokens | time |")
    print("| --- " * (len(KINDS) + 9) + "|")
    for r in rows:
        kinds = " | ".join(r["by_kind"][k] for k in KINDS)
        print(f"| {r['mode']} | {r['answered']} | {r['accuracy']:.0%} | {kinds} | {r['no_tool_without_call']} | {r['missing_path_calls']} "
              f"| {r['tool_errors_per_turn']} | {r['prompt_tokens_median']} | {r['seconds']} s |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="GGUF file for the embedded engine (default: the one a2ia-cli would use)")
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server instead (e.g. llama_cpp.server)")
    parser.add_argument("--vllm-url", default=None, help="a vLLM server instead")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS)
    parser.add_argument("--no-grounding", action="store_true", help="decode paths without the workspace's entries (to compare)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases (for a quick check)")
    parser.add_argument("--every", type=int, default=1, help="every Nth case only, across all kinds (a slow server)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    CASES[:] = CASES[:: args.every]
    if args.limit:
        del CASES[args.limit:]
    client, what = make_client(args)
    print(f"machine: {platform.machine()} {platform.system()}, python {platform.python_version()}; {what}; {len(CASES)} cases",
          file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with client:
            for mode in args.modes.split(","):
                rows.append((await run_mode(client, Path(tmp), mode, args.max_steps, not args.no_grounding)).row())
                print(f"  {mode}: {json.dumps(rows[-1])}", file=sys.stderr)  # kept if a later mode fails
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print_table(rows)


if __name__ == "__main__":
    anyio.run(main)
