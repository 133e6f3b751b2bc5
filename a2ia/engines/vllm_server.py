"""``VLLMServer``: start a ``vllm serve`` child process, wait until it serves, stop it cleanly.

* A server already answering ``/health`` on the address is reused, not started twice.
* The child runs in a process group of its own with its output in a log file; startup waits
  for ``/health``, then ``/v1/models``, reporting the phase read from the log (download,
  loading weights, CUDA graph capture, API server) with a generous first-start timeout.
* An early exit raises ``BackendUnavailable`` with the log's last lines and the likely cause
  (out of memory, unknown model, no CUDA, port taken).
* ``stop`` sends SIGTERM to the group, then SIGKILL after a grace period, so GPU memory is
  freed and no process is left behind. It only stops what it started.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
import httpx

from a2ia.engines.child_process import LOG_TAIL_LINES, log_tail, stop_group
from a2ia.errors import BackendUnavailable
from a2ia.hints import setting
from a2ia.http_tls import verify_for

DEFAULT_STARTUP_TIMEOUT_S = 900.0
STOP_GRACE_S = 10.0

PHASES = (
    ("Capturing CUDA graph", "capturing CUDA graphs"),
    ("Loading weights took", "weights loaded"),
    ("Loading model weights", "loading weights"),
    ("Downloading", "downloading the model"),
    ("Starting vLLM API server", "starting the API server"),
    ("Application startup complete", "API server up"),
)
CAUSES = (
    (("CUDA out of memory", "OutOfMemoryError", "out of memory", "No available memory for the cache blocks"),
     "out of GPU memory: pick a smaller profile or model, or lower --max-model-len"),
    (("Repository Not Found", "is not a valid model", "does not appear to have a file named config.json",
      "Invalid repository ID", "HFValidationError", "No such file or directory", "not a valid model identifier"),
     "unknown model: check the model name or path"),
    (("Found no NVIDIA driver", "libcuda.so", "CUDA driver version is insufficient", "No CUDA GPUs are available"),
     f"no usable CUDA: install the NVIDIA driver, or use {setting('backend', 'ollama')} / {setting('backend', 'llamacpp')}"),
    (("Address already in use", "address already in use"), "the port is taken: another server listens there"),
)


def likely_cause(log_text: str) -> str | None:
    return next((cause for needles, cause in CAUSES if any(n in log_text for n in needles)), None)


def phase_of(log_text: str) -> str | None:
    """The furthest startup phase the log shows."""
    found = [(log_text.rfind(needle), label) for needle, label in PHASES if needle in log_text]
    return max(found)[1] if found else None


class VLLMServer:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        log_path: Path,
        env: dict[str, str] | None = None,
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
    ) -> None:
        self.argv = list(argv)
        self.host = host
        self.port = port
        self.log_path = log_path
        self.env = env
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.reused = False

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root_url}/v1"

    async def _answers(self, client: httpx.AsyncClient, path: str) -> bool:
        try:
            return (await client.get(self.root_url + path, timeout=3.0)).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)

    async def start(self, on_phase: Callable[[str], None] | None = None) -> str:
        """Serve, reusing a running server; returns the ``/v1`` URL once models are listed."""
        async with httpx.AsyncClient(verify=verify_for(self.root_url)) as client:
            if await self._answers(client, "/health"):
                self.reused = True
                return self.url
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("wb") as log:
                try:
                    self.process = subprocess.Popen(
                        self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True, env={**os.environ, **(self.env or {})},
                    )
                except OSError as exc:
                    raise BackendUnavailable(
                        f"cannot start vLLM ({self.argv[0]}): {exc.strerror or exc}",
                        hint="install it with scripts/vllm_setup.sh",
                    ) from None
            try:
                return await self._wait_ready(client, on_phase)
            except BaseException:
                with anyio.CancelScope(shield=True):  # cancelled or failed while starting: leave nothing behind
                    await self.stop()
                raise

    async def _wait_ready(self, client: httpx.AsyncClient, on_phase: Callable[[str], None] | None) -> str:
        assert self.process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout_s
        last_phase = None
        healthy = False
        while True:
            if self.process.poll() is not None:
                self._raise_exited()
            phase = phase_of(self.log_tail(200))
            if phase and phase != last_phase and on_phase:
                on_phase(phase)
            last_phase = phase or last_phase
            healthy = healthy or await self._answers(client, "/health")
            if healthy and await self._answers(client, "/v1/models"):
                return self.url
            if loop.time() > deadline:
                raise BackendUnavailable(
                    f"vLLM did not become ready within {self.startup_timeout_s:g} s (last phase: {last_phase or 'unknown'})",
                    hint=f"see {self.log_path}\n{self.log_tail()}",
                )
            await asyncio.sleep(0.5)

    def _raise_exited(self) -> None:
        assert self.process is not None
        tail = self.log_tail()
        cause = likely_cause(self.log_path.read_text(errors="replace") if self.log_path.exists() else "")
        raise BackendUnavailable(
            f"vLLM exited during startup{': ' + cause if cause else ''}",
            hint=f"the log's last lines ({self.log_path}):\n{tail}",
        )

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop what this object started: SIGTERM to the group, SIGKILL after ``grace_s``."""
        process, self.process = self.process, None
        if process is not None:
            await stop_group(process, grace_s)

    async def __aenter__(self) -> VLLMServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
