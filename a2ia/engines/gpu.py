"""NVIDIA GPUs, as ``nvidia-smi`` reports them (memory, count, compute capability)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

QUERY = ["--query-gpu=index,name,memory.total,compute_cap", "--format=csv,noheader,nounits"]


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_mib: int
    compute_capability: str | None

    @property
    def memory_gib(self) -> float:
        return self.memory_mib / 1024


def parse_nvidia_smi(output: str) -> list[Gpu]:
    """The GPUs in ``nvidia-smi --query-gpu=index,name,memory.total,compute_cap`` CSV output.

    Older drivers do not know ``compute_cap`` (the field is then ``[N/A]`` or missing).
    """
    gpus = []
    for line in output.strip().splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 3 or not fields[0].isdigit():
            continue
        memory = fields[2].split()[0] if fields[2] else ""
        if not memory.isdigit():
            continue
        cap = fields[3] if len(fields) > 3 and fields[3] not in ("", "[N/A]", "N/A") else None
        gpus.append(Gpu(int(fields[0]), fields[1], int(memory), cap))
    return gpus


def find_gpus(timeout_s: float = 10.0) -> tuple[list[Gpu], str]:
    """The GPUs here, and a sentence saying what was found (or why none)."""
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return [], "no NVIDIA GPU: nvidia-smi is not installed (no driver)"
    try:
        done = subprocess.run([binary, *QUERY], capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [], f"nvidia-smi did not answer: {exc}"
    if done.returncode != 0:
        return [], f"nvidia-smi failed: {(done.stderr or done.stdout).strip()[:200]}"
    gpus = parse_nvidia_smi(done.stdout)
    if not gpus:
        return [], "nvidia-smi lists no GPU"
    names = ", ".join(f"{g.name} ({g.memory_gib:.0f} GiB, compute {g.compute_capability or '?'})" for g in gpus)
    return gpus, f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: {names}"
