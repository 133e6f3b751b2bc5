"""What ``a2ia-cli bench`` measures on one backend, through the same client a2ia uses.

Per request: time to first token (first text delta), decode rate (tokens after the first ÷ the
time after the first), end-to-end latency. Then throughput: the same request back to back
(sequential), and ``concurrency`` at once (concurrent). Then one tool round trip: a forced
``list_dir`` call, run through the builtin MCP server, and the model's answer to its result.
Warm-up requests are made first and not counted. Each figure is the median of ``runs`` with
its quartiles, because one number on a shared machine says little.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from a2ia.client.base import LLMClient
from a2ia.errors import A2iaError
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, Message, TextDelta, ToolCallReady, Usage

PROMPT = "Write three sentences about the sea."
TOOL_PROMPT = "List the files in the current folder."


@dataclass(frozen=True)
class Stat:
    median: float
    p25: float
    p75: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Stat | None:
        if not values:
            return None
        if len(values) == 1:
            return cls(values[0], values[0], values[0], 1)
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        return cls(statistics.median(values), q1, q3, len(values))


@dataclass(frozen=True)
class Sample:
    ttft_s: float | None
    total_s: float
    tokens: int


@dataclass
class BackendResult:
    backend: str
    model: str
    ttft_ms: Stat | None = None
    decode_tok_s: Stat | None = None
    latency_ms: Stat | None = None
    sequential_req_s: float | None = None
    concurrency: int = 1
    concurrent_req_s: Stat | None = None
    concurrent_tok_s: Stat | None = None
    tool_round_trip_ms: Stat | None = None
    problems: list[str] = field(default_factory=list)


async def timed_request(client: LLMClient, max_tokens: int, prompt: str = PROMPT) -> Sample:
    """One streamed request; tokens from the server's usage report, else one per text delta."""
    options = ChatOptions(max_tokens=max_tokens, temperature=0.0, seed=0)
    start = time.perf_counter()
    first = None
    deltas = reported = 0
    async for event in client.stream([Message.user(prompt)], options=options):
        if isinstance(event, TextDelta) and event.text:
            deltas += 1
            if first is None:
                first = time.perf_counter() - start
        elif isinstance(event, Usage):
            reported = event.completion_tokens
    return Sample(first, time.perf_counter() - start, reported or deltas)


def decode_rate(sample: Sample) -> float | None:
    if sample.ttft_s is None or sample.tokens < 2 or sample.total_s <= sample.ttft_s:
        return None
    return (sample.tokens - 1) / (sample.total_s - sample.ttft_s)


async def tool_round_trip(client: LLMClient, tools: ToolRegistry, max_tokens: int) -> float:
    """Seconds for: the model calls ``list_dir`` (forced), the tool runs, the model answers."""
    spec = next(s for s in tools.specs() if s.name == "list_dir")
    start = time.perf_counter()
    messages = [Message.user(TOOL_PROMPT)]
    call = None
    async for event in client.stream(messages, [spec], ChatOptions(max_tokens=128, temperature=0.0, tool_choice="list_dir")):
        if isinstance(event, ToolCallReady):
            call = event.call
    if call is None:
        raise A2iaError("the model did not call list_dir although it was forced")
    result = await tools.call(call)
    messages += [Message(role="assistant", tool_calls=(call,)), Message.tool(result, call.name)]
    async for _ in client.stream(messages, [spec], ChatOptions(max_tokens=max_tokens, temperature=0.0, tool_choice="none")):
        pass
    return time.perf_counter() - start


async def measure(
    client: LLMClient,
    tools: ToolRegistry | None,
    *,
    backend: str,
    runs: int,
    warmup: int,
    concurrency: int,
    max_tokens: int,
    tick: Callable[[str], None] = lambda _label: None,
) -> BackendResult:
    """Every figure for one backend; a failing part is noted in ``problems``, the rest goes on."""
    caps = await client.capabilities()
    result = BackendResult(backend, caps.model_id, concurrency=concurrency)
    for _ in range(warmup):
        await timed_request(client, max_tokens)
        tick("warm-up")
    samples = []
    for _ in range(runs):
        samples.append(await timed_request(client, max_tokens))
        tick("sequential")
    result.ttft_ms = Stat.of([s.ttft_s * 1000 for s in samples if s.ttft_s is not None])
    result.decode_tok_s = Stat.of([r for s in samples if (r := decode_rate(s)) is not None])
    result.latency_ms = Stat.of([s.total_s * 1000 for s in samples])
    result.sequential_req_s = len(samples) / sum(s.total_s for s in samples)
    if result.ttft_ms is None:
        result.problems.append("no text came back (the model answered with nothing)")
    req_rates, tok_rates = [], []
    for _ in range(runs):
        start = time.perf_counter()
        batch = await asyncio.gather(*(timed_request(client, max_tokens) for _ in range(concurrency)))
        wall = time.perf_counter() - start
        req_rates.append(concurrency / wall)
        tok_rates.append(sum(s.tokens for s in batch) / wall)
        tick("concurrent")
    result.concurrent_req_s, result.concurrent_tok_s = Stat.of(req_rates), Stat.of(tok_rates)
    if tools is not None:
        trips = []
        for _ in range(runs):
            try:
                trips.append(await tool_round_trip(client, tools, max_tokens) * 1000)
            except A2iaError as exc:
                result.problems.append(f"tool round trip: {exc.message}")
                break
            finally:
                tick("tool round trip")
        result.tool_round_trip_ms = Stat.of(trips)
    return result


def steps_for(runs: int, warmup: int, with_tools: bool) -> int:
    """How many ``tick`` calls ``measure`` makes (for a progress bar's total)."""
    return warmup + 2 * runs + (runs if with_tools else 0)
