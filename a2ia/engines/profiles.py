"""vLLM serving profiles by GPU memory class, and the ``vllm serve`` command each one builds.

The 12 GB profile is the default: Qwen2.5-7B-Instruct-AWQ with a 16,384-token context.
Why that context fits (Qwen2.5-7B: 28 layers, 4 KV heads of 128 dims, fp16 cache):

* KV cache per token = 2 (K and V) × 28 × 4 × 128 × 2 bytes = 57,344 bytes = 56 KiB;
* budget = 12,288 MiB × 0.90 = 11,059 MiB; AWQ weights ≈ 5,430 MiB; activations, CUDA
  graphs and the allocator ≈ 1,400 MiB; left for the KV cache ≈ 4,229 MiB ≈ 77,000 tokens;
* 4 sequences (``--max-num-seqs 4``) × 16,384 tokens × 56 KiB = 3,584 MiB ≤ 4,229 MiB: every
  running sequence can reach the full context without preemption.

The quantization kernel is left to vLLM (``--quantization awq`` would force the slow kernel);
AWQ models run in fp16 (``--dtype float16``). Tool calling is on, with the parser of the
model's family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from a2ia.engines.gpu import Gpu

DEFAULT_CLASS_GB = 12


@dataclass(frozen=True)
class VLLMProfile:
    memory_class_gb: int
    model: str
    max_model_len: int
    gpu_memory_utilization: float
    max_num_seqs: int
    kv_cache_dtype: str = "auto"
    enforce_eager: bool = False


PROFILES: dict[int, VLLMProfile] = {
    p.memory_class_gb: p
    for p in (
        VLLMProfile(8, "Qwen/Qwen2.5-3B-Instruct-AWQ", 16384, 0.90, 4, enforce_eager=True),
        VLLMProfile(12, "Qwen/Qwen2.5-7B-Instruct-AWQ", 16384, 0.90, 4),
        VLLMProfile(16, "Qwen/Qwen2.5-7B-Instruct-AWQ", 32768, 0.90, 8),
        VLLMProfile(24, "Qwen/Qwen2.5-14B-Instruct-AWQ", 32768, 0.90, 8),
        VLLMProfile(48, "Qwen/Qwen2.5-32B-Instruct-AWQ", 32768, 0.92, 16),
        VLLMProfile(80, "Qwen/Qwen2.5-72B-Instruct-AWQ", 32768, 0.92, 16),
    )
}

TOOL_PARSERS = (
    (("qwen", "hermes"), "hermes"),
    (("llama-3", "llama3", "llama-3.1", "llama-3.2", "llama-3.3"), "llama3_json"),
    (("mistral", "mixtral", "ministral"), "mistral"),
    (("granite",), "granite"),
    (("internlm",), "internlm"),
)


def tool_call_parser(model: str) -> str:
    """vLLM's ``--tool-call-parser`` for a model's family (hermes when unknown)."""
    name = model.lower()
    return next((parser for keys, parser in TOOL_PARSERS if any(k in name for k in keys)), "hermes")


def profile_for(gpus: Sequence[Gpu]) -> tuple[VLLMProfile, str]:
    """The profile for the smallest card present, and why; the 12 GB default without a GPU."""
    if not gpus:
        return PROFILES[DEFAULT_CLASS_GB], f"no GPU found; the default {DEFAULT_CLASS_GB} GB profile"
    # Classes are marketing GB (10^9 bytes); nvidia-smi reports MiB, and a "16 GB" T4 shows 15,360.
    gb = min(g.memory_mib for g in gpus) * 2**20 / 1e9
    fitting = [c for c in PROFILES if c <= gb * 1.05]
    if not fitting:
        smallest = min(PROFILES)
        return PROFILES[smallest], f"{gb:.1f} GB is below the smallest profile ({smallest} GB); it may not fit"
    chosen = max(fitting)
    return PROFILES[chosen], f"{gb:.1f} GB per GPU → the {chosen} GB profile"


def serve_command(
    profile: VLLMProfile,
    *,
    model: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    tensor_parallel_size: int = 1,
    extra_args: Sequence[str] = (),
    executable: Sequence[str] = ("vllm",),
) -> list[str]:
    """The ``vllm serve`` command line for a profile (``model`` overrides the profile's)."""
    model = model or profile.model
    argv = [
        *executable, "serve", model,
        "--host", host, "--port", str(port),
        "--max-model-len", str(profile.max_model_len),
        "--gpu-memory-utilization", f"{profile.gpu_memory_utilization:.2f}",
        "--max-num-seqs", str(profile.max_num_seqs),
        "--enable-chunked-prefill",
        "--enable-auto-tool-choice", "--tool-call-parser", tool_call_parser(model),
    ]
    if "awq" in model.lower():
        argv += ["--dtype", "float16"]
    if profile.kv_cache_dtype != "auto":
        argv += ["--kv-cache-dtype", profile.kv_cache_dtype]
    if profile.enforce_eager:
        argv.append("--enforce-eager")
    if tensor_parallel_size > 1:
        argv += ["--tensor-parallel-size", str(tensor_parallel_size)]
    return argv + list(extra_args)
