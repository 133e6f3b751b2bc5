"""vLLM profiles by GPU class, the commands they build, and nvidia-smi parsing.

The GPU profiles cannot run here (no GPU): they are checked as built command lines. The
nvidia-smi outputs are in the shape real cards report (``fixtures/nvidia-smi``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.engines import gpu
from a2ia.engines.gpu import Gpu, find_gpus, parse_nvidia_smi
from a2ia.engines.profiles import PROFILES, profile_for, serve_command, tool_call_parser

FIXTURES = Path(__file__).parent / "fixtures" / "nvidia-smi"


def card(gib: float, index: int = 0) -> Gpu:
    return Gpu(index, "card", int(gib * 1024), "8.6")


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("rtx3060.csv", [Gpu(0, "NVIDIA GeForce RTX 3060", 12288, "8.6")]),
        ("two_rtx4090.csv", [Gpu(0, "NVIDIA GeForce RTX 4090", 24564, "8.9"), Gpu(1, "NVIDIA GeForce RTX 4090", 24564, "8.9")]),
        ("a100_80gb.csv", [Gpu(0, "NVIDIA A100-SXM4-80GB", 81920, "8.0")]),
        ("old_driver_no_compute_cap.csv", [Gpu(0, "Tesla T4", 15360, None)]),
    ],
)
def test_nvidia_smi_outputs(fixture: str, expected: list[Gpu]) -> None:
    assert parse_nvidia_smi((FIXTURES / fixture).read_text()) == expected


def test_garbage_is_no_gpu() -> None:
    assert parse_nvidia_smi("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n") == []


def test_no_nvidia_smi_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu.shutil, "which", lambda _name: None)
    assert find_gpus() == ([], "no NVIDIA GPU: nvidia-smi is not installed (no driver)")


@pytest.mark.parametrize(
    ("gib", "cls"),
    [(8, 8), (11.7, 12), (12, 12), (15, 16), (16, 16), (23.99, 24), (24, 24), (40, 24), (48, 48), (79.2, 80), (141, 80)],
)
def test_profile_by_memory_class(gib: float, cls: int) -> None:
    profile, why = profile_for([card(gib)])
    assert profile.memory_class_gb == cls and f"{cls} GB profile" in why


def test_the_smallest_card_decides_and_no_gpu_means_the_default() -> None:
    assert profile_for([card(24), card(12, 1)])[0].memory_class_gb == 12
    profile, why = profile_for([])
    assert profile.memory_class_gb == 12 and "no GPU" in why
    assert "below the smallest profile" in profile_for([card(4)])[1]


def test_the_12_gb_default_command() -> None:
    argv = serve_command(PROFILES[12])
    assert argv[:3] == ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct-AWQ"]
    assert "--quantization" not in argv, "the quantization kernel is left to vLLM"
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.90"
    assert argv[argv.index("--max-model-len") + 1] == "16384" and argv[argv.index("--max-num-seqs") + 1] == "4"
    assert "--enable-chunked-prefill" in argv and "--enable-auto-tool-choice" in argv
    assert argv[argv.index("--tool-call-parser") + 1] == "hermes" and argv[argv.index("--dtype") + 1] == "float16"
    assert "--enforce-eager" not in argv and "--tensor-parallel-size" not in argv


def test_every_profile_builds_a_sane_command() -> None:
    for cls, profile in PROFILES.items():
        argv = serve_command(profile, port=9000, tensor_parallel_size=2, extra_args=["--seed", "1"])
        assert argv[argv.index("--port") + 1] == "9000" and argv[-2:] == ["--seed", "1"]
        assert argv[argv.index("--tensor-parallel-size") + 1] == "2"
        assert ("--enforce-eager" in argv) == (cls <= 8), "eager mode where memory is tight"
        assert profile.max_model_len >= 16384 and 0.85 <= profile.gpu_memory_utilization <= 0.95


def test_12_gb_arithmetic_holds() -> None:
    """The docstring's numbers: 4 full-length sequences fit the KV cache left on a 12 GB card."""
    per_token = 2 * 28 * 4 * 128 * 2
    assert per_token == 57_344
    left_mib = 12_288 * 0.90 - 5_430 - 1_400
    p = PROFILES[12]
    assert p.max_num_seqs * p.max_model_len * per_token / 2**20 <= left_mib


@pytest.mark.parametrize(
    ("model", "parser"),
    [
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", "hermes"),
        ("NousResearch/Hermes-3-Llama-3.1-8B", "hermes"),
        ("meta-llama/Llama-3.1-8B-Instruct", "llama3_json"),
        ("mistralai/Mistral-7B-Instruct-v0.3", "mistral"),
        ("ibm-granite/granite-3.1-8b-instruct", "granite"),
        ("some/unknown-model", "hermes"),
    ],
)
def test_tool_call_parser_by_family(model: str, parser: str) -> None:
    assert tool_call_parser(model) == parser
    assert serve_command(PROFILES[12], model=model)[2] == model
