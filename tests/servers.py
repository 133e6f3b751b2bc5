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

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
