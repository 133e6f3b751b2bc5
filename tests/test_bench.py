"""``a2ia-cli bench`` end to end, as a subprocess, with tiny run counts: against the embedded
engine (real SmolLM2) and a real OpenAI-compatible server process (``llama_cpp.server``, which
also stands in for vLLM in ``--backend all``: the probe and the client are the same).
Timings are never asserted, only that every figure is there and well formed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.bench.measure import Sample, Stat, decode_rate

A2IA_CLI = str(Path(sys.executable).with_name("a2ia-cli"))
TINY = ["--runs", "1", "--warmup", "0", "--concurrency", "2", "--max-tokens", "8"]
FIGURES = ("ttft_ms", "decode_tok_s", "latency_ms", "concurrent_req_s", "concurrent_tok_s", "tool_round_trip_ms")


def bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([A2IA_CLI, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def assert_complete(result: dict, backend: str) -> None:
    assert result["backend"] == backend and result["model"]
    for name in FIGURES:
        stat = result[name]
        assert stat is not None, f"{backend}: no {name} ({result['problems']})"
        assert stat["median"] > 0 and stat["p25"] <= stat["median"] <= stat["p75"] and stat["n"] >= 1
    assert result["sequential_req_s"] > 0 and result["concurrency"] == 2


def test_bench_embedded_json(smollm2: Path, workspace: Path) -> None:
    done = bench("bench", *TINY, "--json", cwd=workspace)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["settings"] == {"runs": 1, "warmup": 0, "max_tokens": 8}
    assert report["machine"]["cpus"] >= 1 and report["machine"]["a2ia"]
    [result] = report["results"]
    assert_complete(result, "llamacpp")
    assert "skipped vLLM" in done.stderr, "auto says which engines it passed over"


def test_bench_all_backends_table_and_plot(smollm2: Path, openai_server: str, workspace: Path, tmp_path: Path) -> None:
    chart = tmp_path / "bench.png"
    done = bench("--vllm-url", openai_server, "--base-url", openai_server,
                 "bench", "--backend", "all", *TINY, "--plot", str(chart), cwd=workspace)
    assert done.returncode == 0, done.stderr
    header = next(line for line in done.stdout.splitlines() if "backend" in line)
    for column in ("TTFT ms", "decode tok/s", "latency ms", "×2 req/s", "×2 tok/s", "tool trip ms", "seq. req/s"):
        assert column in header
    rows = [line for line in done.stdout.splitlines() if line.startswith("│ ") and "backend" not in line]
    assert [row.split("│")[1].strip() for row in rows if row.split("│")[1].strip()] == ["vllm", "openai", "llamacpp"]
    assert "skipped ollama: not running" in done.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 5000


def test_bench_one_server_json(openai_server: str, workspace: Path) -> None:
    done = bench("--base-url", openai_server, "bench", "--backend", "openai", *TINY, "--no-tools", "--json", cwd=workspace)
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)["results"]
    assert result["backend"] == "openai" and result["tool_round_trip_ms"] is None
    assert result["ttft_ms"]["median"] > 0 and result["concurrent_tok_s"]["median"] > 0


def test_a_dead_server_is_a_clear_error(workspace: Path) -> None:
    done = bench("--base-url", "http://127.0.0.1:9/v1", "bench", "--backend", "openai", *TINY, cwd=workspace)
    assert done.returncode == 3 and "cannot reach the model server" in done.stderr


def test_stat_and_decode_rate() -> None:
    assert Stat.of([]) is None
    assert Stat.of([5.0]) == Stat(5.0, 5.0, 5.0, 1)
    assert Stat.of([1.0, 2.0, 3.0, 4.0, 5.0]) == Stat(3.0, 2.0, 4.0, 5)
    assert decode_rate(Sample(ttft_s=0.5, total_s=1.5, tokens=11)) == pytest.approx(10.0)
    assert decode_rate(Sample(ttft_s=None, total_s=1.0, tokens=5)) is None
    assert decode_rate(Sample(ttft_s=0.2, total_s=0.3, tokens=1)) is None
