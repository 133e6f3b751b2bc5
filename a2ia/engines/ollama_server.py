"""``OllamaServer``: make sure an Ollama daemon serves, and that it has the model.

Ollama is the fallback for people without a vLLM GPU, so a2ia should work when the daemon
is installed but not running, and say exactly what to do when it is not installed or lacks
the model, instead of failing on the first chat request with a connection error.

* ``/api/tags`` is the probe: it answers as soon as the daemon serves, and it lists the
  models. A daemon already answering is reused and never stopped by a2ia.
* Not running but installed, on this machine: ``ollama serve`` is started as a child in a
  process group of its own, with ``OLLAMA_HOST`` set to the address a2ia will talk to and its
  output in a log file. An early exit raises ``BackendUnavailable`` with the log's last lines
  (the usual cause is the port taken by something that is not Ollama).
* A missing model is pulled only when the person allowed it (``--pull``): a pull can be
  gigabytes. Otherwise ``ModelNotFound`` names the exact command.
* ``stop`` only stops what this object started: SIGTERM to the group (the daemon's model
  runners go with it), SIGKILL after a grace period.

The official ``ollama`` library does the HTTP; its errors are translated here, where they enter.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import platformdirs

from a2ia.backends import ollama_host
from a2ia.engines.child_process import LOG_TAIL_LINES, log_tail, stop_group
from a2ia.errors import (
    BackendError,
    BackendHTTPError,
    BackendProtocolError,
    BackendUnavailable,
    ModelNotFound,
)
from a2ia.hints import setting
from a2ia.http_tls import verify_for
from a2ia.net import is_local_host

if TYPE_CHECKING:
    import ollama  # imported where used: 43 ms that a run without Ollama does not pay

INSTALL_HINT = "install Ollama from https://ollama.com/download, or start it with: ollama serve"
PULL_STALL_S = 300.0  # no progress line for this long: the pull is stuck (verifying a big blob takes a while)


def full_name(name: str) -> str:
    """Ollama's naming: ``qwen2.5`` is ``qwen2.5:latest``; a tag after the last ``/`` is kept."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def lists_model(names: list[str], name: str) -> bool:
    """Whether a ``/api/tags`` listing has the model, by Ollama's naming."""
    return full_name(name) in {full_name(n) for n in names}


@dataclass(frozen=True)
class PullProgress:
    """One NDJSON line of ``/api/pull``: ``pulling <digest>`` lines carry byte counts."""

    status: str
    completed: int | None
    total: int | None


class OllamaServer:
    def __init__(
        self,
        host: str | None = None,
        *,
        executable: str = "ollama",
        log_path: Path | None = None,
        startup_timeout_s: float = 30.0,
        probe_timeout_s: float = 1.0,
    ) -> None:
        self.host = ollama_host(host)
        self.executable = executable
        self.log_path = log_path or platformdirs.user_log_path("a2ia") / "ollama-serve.log"
        self.startup_timeout_s = startup_timeout_s
        self.probe_timeout_s = probe_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.started = False  # this object started `ollama serve` (stays True after stop)

    def _client(self, timeout: float | httpx.Timeout) -> ollama.AsyncClient:
        import ollama

        return ollama.AsyncClient(host=self.host, timeout=timeout, verify=verify_for(self.host))

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)

    # --- probing -------------------------------------------------------------------------------

    async def models(self) -> list[str] | None:
        """Model names from ``/api/tags``; None when nothing answers there."""
        import ollama

        try:
            async with self._client(self.probe_timeout_s) as client:
                listed = await client.list()
        except (ConnectionError, httpx.TransportError):  # the library turns ConnectError into ConnectionError
            return None
        except ollama.ResponseError as exc:
            raise BackendHTTPError(
                f"something at {self.host} answers /api/tags with HTTP {exc.status_code}, not as Ollama does",
                status=exc.status_code, body=str(exc.error),
                hint=f"point {setting('ollama_url')} (or OLLAMA_HOST) at the Ollama daemon",
            ) from None
        except (ValueError, TypeError) as exc:  # not JSON, or not the documented shape
            raise BackendProtocolError(f"{self.host}/api/tags did not answer as Ollama does: {exc}") from None
        return [m.model for m in listed.models if m.model]

    async def has_model(self, name: str) -> bool:
        names = await self.models()
        if names is None:
            raise BackendUnavailable(f"cannot reach Ollama at {self.host}", hint=INSTALL_HINT)
        return lists_model(names, name)

    # --- the daemon ----------------------------------------------------------------------------

    async def ensure_running(self, on_status: Callable[[str], None] | None = None) -> None:
        """Reuse a daemon that answers; else start ``ollama serve`` and wait until it lists models."""
        if await self.models() is not None:
            return
        address = urlsplit(self.host)
        if not is_local_host(address.hostname):
            raise BackendUnavailable(
                f"cannot reach Ollama at {self.host}",
                hint="it is not on this machine, so a2ia does not start it: run `ollama serve` there, "
                f"or point {setting('ollama_url')} (or OLLAMA_HOST) at a running daemon",
            )
        path = shutil.which(self.executable)
        if path is None:
            raise BackendUnavailable(f"Ollama is not running at {self.host} and is not installed", hint=INSTALL_HINT)
        if on_status:
            on_status(f"Ollama is not running at {self.host}; starting `ollama serve` (log: {self.log_path})")
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("wb") as log:
                self.process = subprocess.Popen(
                    [path, "serve"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True, env={**os.environ, "OLLAMA_HOST": address.netloc},
                )
        except OSError as exc:
            raise BackendUnavailable(f"cannot start `{path} serve`: {exc.strerror or exc}", hint=INSTALL_HINT) from None
        self.started = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout_s
        while await self.models() is None:
            if self.process.poll() is not None:
                code = self.process.returncode
                await self.stop()  # the leader is gone; anything it left in its group goes too
                raise BackendUnavailable(
                    f"`ollama serve` exited during startup (exit code {code})",
                    hint=f"the log's last lines ({self.log_path}):\n{self.log_tail()}",
                )
            if loop.time() > deadline:
                await self.stop()
                raise BackendUnavailable(
                    f"`ollama serve` did not answer at {self.host} within {self.startup_timeout_s:g} s",
                    hint=f"see {self.log_path}\n{self.log_tail()}",
                )
            await asyncio.sleep(0.2)
        if on_status:
            on_status(f"Ollama is up at {self.host}")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop what this object started: SIGTERM to the group, SIGKILL after ``grace_s``. Idempotent."""
        process, self.process = self.process, None
        if process is not None:
            await stop_group(process, grace_s)

    async def __aenter__(self) -> OllamaServer:
        await self.ensure_running()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- models --------------------------------------------------------------------------------

    async def ensure_model(
        self, name: str, *, allow_pull: bool, on_progress: Callable[[PullProgress], None] | None = None
    ) -> None:
        if await self.has_model(name):
            return
        if not allow_pull:
            raise ModelNotFound(f"Ollama has no model {name!r}", hint=f"ollama pull {name}   (or run a2ia with {setting('pull')})")
        await self.pull(name, on_progress)

    async def pull(self, name: str, on_progress: Callable[[PullProgress], None] | None = None) -> None:
        """``POST /api/pull`` (streamed); each progress line goes to ``on_progress``."""
        import ollama

        last = ""
        try:
            async with self._client(httpx.Timeout(PULL_STALL_S, connect=max(self.probe_timeout_s, 5.0))) as client:
                async for part in await client.pull(name, stream=True):
                    last = part.status or last
                    if on_progress:
                        on_progress(PullProgress(status=part.status or "", completed=part.completed, total=part.total))
        except ollama.ResponseError as exc:  # an {"error": …} line (status -1) or an HTTP error
            text = str(exc.error)
            if "file does not exist" in text or "not found" in text.lower():
                raise ModelNotFound(
                    f"the Ollama registry has no model {name!r}: {text}",
                    hint="check the name and tag at https://ollama.com/library",
                ) from None
            message = f"pulling {name!r} with Ollama at {self.host} failed: {text}"
            if exc.status_code > 0:
                raise BackendHTTPError(message, status=exc.status_code, body=text) from None
            raise BackendError(message) from None
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout):
            raise BackendUnavailable(f"cannot reach Ollama at {self.host} to pull {name!r}", hint=INSTALL_HINT) from None
        except httpx.TimeoutException:
            raise BackendUnavailable(f"pulling {name!r} stalled: no progress for {PULL_STALL_S:g} s") from None
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"the connection to Ollama at {self.host} was lost while pulling {name!r}: {exc}") from None
        except json.JSONDecodeError as exc:  # not ValueError: that could come from on_progress
            raise BackendProtocolError(f"a pull progress line from {self.host} does not parse: {exc}") from None
        if last != "success":
            raise BackendProtocolError(f"the pull of {name!r} ended without success (last status: {last or 'none'})")
