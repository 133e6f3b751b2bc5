"""Starting vLLM the way a user does: ``scripts/vllm_start.sh``, ``a2ia-cli vllm start`` and
``--start-server``, against the real vLLM CPU build (``scripts/vllm-cpu/``).

The GPU profiles cannot run here: these start the 12 GB profile's command line with flags
for the CPU and its tiny model appended (``VLLM_CPU_ARGS``; vLLM takes the later flag).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from a2ia.config import Settings
from a2ia.engines.vllm_launch import plan_vllm
from a2ia.errors import BackendUnavailable, ConfigError

from servers import VLLM_CPU_ARGS, free_port, vllm_cpu_env

ROOT = Path(__file__).resolve().parent.parent
A2IA_CLI = str(Path(sys.executable).with_name("a2ia-cli"))


def test_the_plan_uses_the_settings_the_url_and_the_extra_args(tmp_path: Path) -> None:
    settings = Settings(
        vllm_url="http://127.0.0.1:8123/v1", vllm_command="/opt/vllm/bin/vllm --verbose",
        vllm_args="--max-model-len 8192 --quantization 'awq_marlin'", tensor_parallel_size=2,
    )
    plan = plan_vllm(settings, profile_gb=24)
    assert plan.argv[:4] == ["/opt/vllm/bin/vllm", "--verbose", "serve", "Qwen/Qwen2.5-14B-Instruct-AWQ"]
    assert plan.argv[-6:] == ["--tensor-parallel-size", "2", "--max-model-len", "8192", "--quantization", "awq_marlin"]
    assert (plan.port, plan.url, plan.log_path.name) == (8123, "http://127.0.0.1:8123/v1", "vllm-8123.log")
    assert plan_vllm(settings, profile_gb=12, model="my/model").argv[3] == "my/model"
    with pytest.raises(ConfigError, match="no 10 GB profile"):
        plan_vllm(settings, profile_gb=10)
    with pytest.raises(ConfigError, match="this machine only"):
        plan_vllm(Settings(vllm_url="http://gpu-box:8000/v1", vllm_command="vllm"), profile_gb=12)


def test_without_vllm_installed_the_plan_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if Path(sys.executable).with_name("vllm").exists():
        pytest.skip("vLLM is installed beside this Python")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailable) as info:
        plan_vllm(Settings(), profile_gb=12)
    assert "scripts/vllm_setup.sh" in info.value.hint
    assert plan_vllm(Settings(), profile_gb=12, require_installed=False).argv[0] == "vllm"


def test_dry_run_prints_the_profile_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "vllm_start.sh"), "--dry-run", "--port", "8011", "--", "--max-model-len", "4096"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "A2IA_CLI": A2IA_CLI},
    )
    assert done.returncode == 0, done.stderr
    assert "the 12 GB profile, as asked" in done.stderr
    command = done.stderr.splitlines()[-1]
    assert "serve Qwen/Qwen2.5-7B-Instruct-AWQ --host 127.0.0.1 --port 8011 --max-model-len 16384" in command
    assert "--tool-call-parser hermes" in command and command.endswith("--max-model-len 4096")
    later = subprocess.run([A2IA_CLI, "vllm", "start", "--dry-run", "--profile", "24"], capture_output=True, text=True, timeout=60)
    assert "Qwen2.5-14B-Instruct-AWQ" in later.stderr


class StderrLines:
    """The child's stderr, read by a thread (``select`` on a buffered pipe misses buffered lines)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen = ""
        threading.Thread(target=self._pump, args=(proc.stderr,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def until(self, needle: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen += line
            if needle in line:
                return self.seen
        raise AssertionError(f"{needle!r} never came; stderr so far:\n{self.seen}")

    def rest(self, timeout_s: float = 30) -> str:
        with contextlib.suppress(AssertionError):
            self.until("\0never\0", timeout_s)
        return self.seen


def stop_child(proc: subprocess.Popen) -> None:
    """Ctrl-C first, so a2ia stops the vLLM it started; kill only if that does not work."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def port_closed(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0)
    except httpx.ConnectError:
        return True
    return False


def test_the_start_script_serves_until_ctrl_c_and_leaves_nothing(vllm_cpu_dir: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "vllm_start.sh"), "--model", str(vllm_cpu_dir / "model"), "--port", str(port), "--", *VLLM_CPU_ARGS],
        stderr=subprocess.PIPE, text=True, env={**os.environ, **vllm_cpu_env(vllm_cpu_dir), "A2IA_CLI": A2IA_CLI},
    )
    stderr = StderrLines(proc)
    try:
        seen = stderr.until("ready: ", 600)
        assert "--max-num-seqs 4 --enable-chunked-prefill --enable-auto-tool-choice --tool-call-parser hermes" in seen
        assert "vLLM: API server up" in seen and f"vLLM: ready at http://127.0.0.1:{port}/v1" in seen
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "vLLM stopped" in stderr.rest()
        assert port_closed(port)
    finally:
        stop_child(proc)


def test_start_server_runs_a_turn_then_stops_the_server(vllm_cpu_dir: Path, workspace: Path) -> None:
    port = free_port()
    env = {
        **os.environ, **vllm_cpu_env(vllm_cpu_dir),
        "A2IA_VLLM_ARGS": " ".join([*VLLM_CPU_ARGS, "--chat-template", str(ROOT / "scripts/vllm-cpu/hermes_tools.jinja")]),
    }
    done = subprocess.run(
        [A2IA_CLI, "--backend", "vllm", "--start-server", "--vllm-url", f"http://127.0.0.1:{port}/v1",
         "--model", f"vllm:{vllm_cpu_dir / 'model'}", "-C", str(workspace), "--max-steps", "2", "-p", "Say hello."],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert done.returncode in (0, 4), done.stderr  # 4: the 135M model may use up its steps on tools
    assert f"vLLM: ready at http://127.0.0.1:{port}/v1" in done.stderr
    assert done.stdout.strip() or "⚙" in done.stderr, "the model answered or called a tool"
    assert port_closed(port), "the server a2ia started was stopped when it exited"
