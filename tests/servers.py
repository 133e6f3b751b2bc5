"""Real server processes for tests: started on 127.0.0.1, waited for, always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PY_SERVERS = ROOT / ".mcp-servers" / "venv" / "bin"
EVERYTHING = ROOT / ".mcp-servers" / "npm" / "node_modules" / ".bin" / "mcp-server-everything"
SETUP_HINT = "the third-party MCP servers are not installed; run scripts/mcp_test_servers.sh (scripts/test.sh does)"


def installed(path: Path) -> Path:
    """A third-party MCP server's executable, or a skip that names the command that installs it."""
    if not path.exists():
        pytest.skip(f"{path.name}: {SETUP_HINT}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def server_process(
    argv: list[str], *, ready_url: str, log: Path, timeout_s: float = 120.0, env: dict | None = None,
    ready_statuses: range = range(200, 201),
) -> Iterator[subprocess.Popen]:
    """Run ``argv`` in its own process group until ``ready_url`` answers (200 by default); kill the group after."""
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
                try:
                    if httpx.get(ready_url, timeout=2.0).status_code in ready_statuses:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{ready_url} not ready after {timeout_s} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


@contextmanager
def llama_cpp_server(model: Path, log: Path) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the small model; yields its ``/v1`` base URL."""
    port = free_port()
    argv = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
        "--port", str(port), "--chat_format", "chatml-function-calling", "--n_ctx", "4096",
        "--model_alias", "smollm2", "--seed", "0",
    ]
    with server_process(argv, ready_url=f"http://127.0.0.1:{port}/v1/models", log=log):
        yield f"http://127.0.0.1:{port}/v1"


class ModelServer:
    """``faults/sse_server.py`` (a tiny slow OpenAI-compatible server) as a real process on one
    port, for the fault suite: start, SIGKILL mid-stream, start again on the same port."""

    SCRIPT = Path(__file__).parent / "faults" / "sse_server.py"

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}/v1"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 20.0) -> ModelServer:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.SCRIPT), str(self.port)], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sse_server exited with {self.proc.returncode}:\n{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"sse_server not ready after {timeout_s} s")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no goodbye, the connection simply breaks."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# --- the real vLLM CPU build (scripts/vllm-cpu/setup.sh) ------------------------------------

VLLM_HINT = "the real vLLM CPU server is not built: run scripts/vllm-cpu/setup.sh DIR and set VLLM_CPU_DIR=DIR (.ci/run does both)"


@contextmanager
def vllm_process(tmp_path_factory: Any, name: str, env: dict | None = None) -> Iterator[str]:
    """The real vLLM CPU server from ``VLLM_CPU_DIR``; yields its ``/v1`` URL (skips if not built)."""
    root = os.environ.get("VLLM_CPU_DIR")
    if not root or not (Path(root) / "serve.sh").exists():
        pytest.skip(VLLM_HINT)
    port = free_port()
    argv = [str(Path(root) / "serve.sh"), str(port)]
    log = tmp_path_factory.mktemp(name) / "vllm.log"
    with server_process(argv, ready_url=f"http://127.0.0.1:{port}/v1/models", log=log, timeout_s=600, env=env):
        yield f"http://127.0.0.1:{port}/v1"


def vllm_cpu_env(root: Path) -> dict[str, str]:
    """What ``serve.sh`` sets for the CPU build, for tests that run ``vllm serve`` through a2ia."""
    return {
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0", "VLLM_CPU_OMP_THREADS_BIND": f"0-{os.cpu_count() - 1}",
        "VLLM_CACHE_ROOT": str(root / "cache"), "A2IA_VLLM_COMMAND": str(root / "venv" / "bin" / "vllm"),
    }


# Flags for the CPU build and its tiny model, appended to a profile's (the later flag wins).
VLLM_CPU_ARGS = ["--max-model-len", "8192", "--dtype", "float32", "--enforce-eager"]
