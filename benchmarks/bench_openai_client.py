"""OpenAI-compatible client overhead, against raw baselines measured in the same run.

1. Time to first token: ``OpenAICompatClient.stream`` vs a raw httpx SSE consumer sending the
   same request to the same local server (a real ``python -m llama_cpp.server`` with
   SmolLM2-135M), interleaved, median of N each. Goal: difference <= 2 ms. The same pair over
   a ``MockTransport`` gives the client's own cost without the server's noise.
2. Parsing throughput of the SSE + accumulation path on a recorded-shape 10,000-chunk stream
   (vLLM's chunk shape, extra fields included), through the whole client over
   ``httpx.MockTransport``, vs httpx-sse + ``json.loads`` alone. Goal: >= 100,000 chunks/s.

Run: ``.venv/bin/python benchmarks/bench_openai_client.py [--requests 40]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import anyio
import httpx
from httpx_sse import EventSource

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from a2ia.client.openai_compat import OpenAICompatClient  # noqa: E402
from a2ia.engines.models import bundled_smollm2  # noqa: E402
from a2ia.types import ChatOptions, Message, TextDelta  # noqa: E402

from servers import llama_cpp_server  # noqa: E402

PROMPT = "Name one colour."
BODY = {
    "model": "smollm2",
    "messages": [{"role": "user", "content": PROMPT}],
    "stream": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.0,
    "max_tokens": 4,
}


async def raw_ttft(http: httpx.AsyncClient, url: str) -> float:
    start = time.perf_counter()
    first = None
    async with http.stream("POST", f"{url}/chat/completions", json=BODY) as response:
        async for event in EventSource(response).aiter_sse():
            if first is None and event.data != "[DONE]":
                choices = json.loads(event.data)["choices"]
                if choices and choices[0]["delta"].get("content"):
                    first = time.perf_counter() - start
    return first


async def client_ttft(client: OpenAICompatClient) -> float:
    start = time.perf_counter()
    first = None
    options = ChatOptions(temperature=0.0, max_tokens=4)
    async for event in client.stream([Message.user(PROMPT)], (), options):
        if first is None and isinstance(event, TextDelta):
            first = time.perf_counter() - start
    return first


async def ttft(url: str, requests: int) -> dict:
    async with httpx.AsyncClient(timeout=60) as http, OpenAICompatClient(url, model="smollm2", http=httpx.AsyncClient(timeout=60)) as client:
        for _ in range(3):  # warm-up: connections, the server's prompt cache
            await raw_ttft(http, url)
            await client_ttft(client)
        raw, ours = [], []
        for i in range(requests):
            pair = [raw_ttft(http, url), client_ttft(client)] if i % 2 == 0 else [client_ttft(client), raw_ttft(http, url)]
            a = await pair[0]
            b = await pair[1]
            raw.append(a if i % 2 == 0 else b)
            ours.append(b if i % 2 == 0 else a)
    med_raw, med_ours = statistics.median(raw), statistics.median(ours)
    return {
        "requests": requests,
        "raw_median_ms": med_raw * 1000,
        "client_median_ms": med_ours * 1000,
        "difference_ms": (med_ours - med_raw) * 1000,
        "raw_iqr_ms": (statistics.quantiles(raw, n=4)[2] - statistics.quantiles(raw, n=4)[0]) * 1000,
        "client_iqr_ms": (statistics.quantiles(ours, n=4)[2] - statistics.quantiles(ours, n=4)[0]) * 1000,
    }


def recorded_stream(chunks: int) -> bytes:
    """vLLM-shaped chunks (``token_ids`` and all), ending with usage and [DONE]."""
    lines = []
    for i in range(chunks - 1):
        chunk = {
            "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1795297149, "model": "smollm2",
            "choices": [{"index": 0, "delta": {"content": f" w{i % 97}"}, "logprobs": None, "finish_reason": None, "token_ids": [i % 5000]}],
        }
        lines.append(f"data: {json.dumps(chunk)}\n\n")
    last = {"id": "chatcmpl-bench", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": chunks}}
    lines.append(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n")
    return "".join(lines).encode()


async def parse_throughput(chunks: int, repeats: int) -> dict:
    body = recorded_stream(chunks)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    transport = httpx.MockTransport(handler)
    raw_times, client_times = [], []
    for _ in range(repeats):
        async with httpx.AsyncClient(transport=transport) as http:
            start = time.perf_counter()
            async with http.stream("POST", "http://bench/v1/chat/completions") as response:
                count = 0
                async for event in EventSource(response).aiter_sse():
                    if event.data != "[DONE]":
                        json.loads(event.data)
                        count += 1
            raw_times.append(time.perf_counter() - start)
        async with OpenAICompatClient("http://bench/v1", model="m", http=httpx.AsyncClient(transport=transport)) as client:
            start = time.perf_counter()
            events = 0
            async for _event in client.stream([Message.user("x")]):
                events += 1
            client_times.append(time.perf_counter() - start)
    raw_best, client_best = min(raw_times), min(client_times)
    return {
        "chunks": chunks,
        "raw_chunks_per_s": chunks / raw_best,
        "client_chunks_per_s": chunks / client_best,
        "client_over_raw": raw_best / client_best,
        "events": events,
    }


async def overhead_without_server(requests: int) -> dict:
    """The same TTFT pair against a MockTransport: the client's own cost, free of server noise."""
    body = recorded_stream(5)
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    async with httpx.AsyncClient(transport=transport) as http, OpenAICompatClient("http://bench/v1", model="m", http=httpx.AsyncClient(transport=transport)) as client:
        raw = [await raw_ttft(http, "http://bench/v1") for _ in range(requests)]
        ours = [await client_ttft(client) for _ in range(requests)]
    return {"raw_median_us": statistics.median(raw) * 1e6, "client_median_us": statistics.median(ours) * 1e6}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=10_000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.system()}, python {platform.python_version()}, {os.cpu_count()} cpus")
    parsing = await parse_throughput(args.chunks, repeats=5)
    print(f"parse: {parsing['chunks']} chunks  raw {parsing['raw_chunks_per_s']:,.0f}/s  "
          f"client {parsing['client_chunks_per_s']:,.0f}/s  client/raw {parsing['client_over_raw']:.2f}  (goal >= 100,000/s)")
    own = await overhead_without_server(500)
    print(f"ttft without a server (MockTransport, 500 each): raw {own['raw_median_us']:.0f} us, "
          f"client {own['client_median_us']:.0f} us, difference {own['client_median_us'] - own['raw_median_us']:+.0f} us")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, llama_cpp_server(bundled_smollm2(), Path(tmp) / "server.log") as url:
        result = await ttft(url, args.requests)
    print(f"ttft: {result['requests']} requests each, median raw {result['raw_median_ms']:.2f} ms "
          f"(IQR {result['raw_iqr_ms']:.2f}), client {result['client_median_ms']:.2f} ms (IQR {result['client_iqr_ms']:.2f}), "
          f"difference {result['difference_ms']:+.2f} ms  (goal <= 2 ms)")
    print(json.dumps({"parse": parsing, "ttft_no_server": own, "ttft": result}))


if __name__ == "__main__":
    anyio.run(main)
