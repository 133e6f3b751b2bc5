"""From settings to a running vLLM server: find ``vllm``, size it to the GPU, start it, warm it.

The CLI's ``--start-server``, ``a2ia-cli vllm start`` and ``scripts/vllm_start.sh`` all come
through here, so they build the same command line the same way.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import platformdirs

from a2ia.config import Settings
from a2ia.engines.gpu import find_gpus
from a2ia.engines.profiles import PROFILES, VLLMProfile, profile_for, serve_command
from a2ia.engines.vllm_server import VLLMServer
from a2ia.errors import A2iaError, BackendUnavailable, ConfigError
from a2ia.hints import setting
from a2ia.net import is_local_host
from a2ia.types import ChatOptions, Message

log = logging.getLogger(__name__)

SETUP_HINT = "install vLLM with scripts/vllm_setup.sh (or pip install 'a2ia[vllm]'), or set A2IA_VLLM_COMMAND"


def vllm_executable(settings: Settings) -> list[str] | None:
    """``vllm_command`` if set; else the ``vllm`` beside this Python (same venv); else on PATH."""
    if settings.vllm_command:
        return shlex.split(settings.vllm_command)
    beside = Path(sys.executable).with_name("vllm")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("vllm")
    return [found] if found else None


def root_url(vllm_url: str) -> str:
    """``http://host:port`` from a ``…/v1`` URL."""
    url = httpx.URL(vllm_url)
    return str(url.copy_with(path="/", query=None)).rstrip("/")


@dataclass(frozen=True)
class VLLMPlan:
    argv: list[str]
    profile: VLLMProfile
    reason: str  # why this profile (the GPU found, or the choice made)
    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
        return f"http://{host}:{self.port}/v1"


def plan_vllm(
    settings: Settings,
    *,
    profile_gb: int | None = None,
    model: str | None = None,
    host: str | None = None,
    port: int | None = None,
    require_installed: bool = True,
) -> VLLMPlan:
    """The ``vllm serve`` command for these settings; ``profile_gb=None`` sizes it to the GPU found."""
    executable = vllm_executable(settings)
    if executable is None:
        if require_installed:
            raise BackendUnavailable("vLLM is not installed here", hint=SETUP_HINT)
        executable = ["vllm"]
    url = httpx.URL(settings.vllm_url)
    host = host or url.host or "127.0.0.1"
    port = port or url.port or 8000
    if not is_local_host(host):
        raise ConfigError(
            f"cannot start a vLLM server on {host}: a2ia starts servers on this machine only",
            hint=f"start it on that machine (scripts/vllm_start.sh), or point {setting('vllm_url')} at 127.0.0.1",
        )
    if profile_gb is None:
        gpus, found = find_gpus()
        profile, why = profile_for(gpus)
        reason = f"{found}; {why}"
    else:
        if profile_gb not in PROFILES:
            raise ConfigError(f"no {profile_gb} GB profile", hint=f"profiles: {', '.join(map(str, PROFILES))} (GB)")
        profile, reason = PROFILES[profile_gb], f"the {profile_gb} GB profile, as asked"
    argv = serve_command(
        profile, model=model or settings.model, host=host, port=port,
        tensor_parallel_size=settings.tensor_parallel_size, extra_args=settings.vllm_args, executable=executable,
    )
    log_path = platformdirs.user_log_path("a2ia") / f"vllm-{port}.log"
    return VLLMPlan(argv, profile, reason, host, port, log_path)


async def warm_up(url: str, *, model: str | None, api_key: str | None) -> None:
    """One tiny request, so the first real one does not pay for lazy initialisation."""
    from a2ia.client.vllm import VLLMClient

    async with VLLMClient(url, model=model, api_key=api_key) as client:
        await client.chat([Message.user("Hi")], options=ChatOptions(max_tokens=1, temperature=0))


async def start_vllm(
    plan: VLLMPlan,
    settings: Settings,
    on_status: Callable[[str], None],
    *,
    startup_timeout_s: float | None = None,
) -> VLLMServer:
    """Start (or reuse) the planned server, report its phases, warm it up; the caller stops it."""
    kwargs = {"startup_timeout_s": startup_timeout_s} if startup_timeout_s else {}
    server = VLLMServer(plan.argv, host=plan.host, port=plan.port, log_path=plan.log_path, **kwargs)
    on_status(f"vLLM: {plan.reason}")
    log.debug("vllm command: %s", shlex.join(plan.argv))
    on_status(f"vLLM: starting {plan.argv[plan.argv.index('serve') + 1]} (log: {plan.log_path})")
    url = await server.start(on_phase=lambda phase: on_status(f"vLLM: {phase}"))
    if server.reused:
        on_status(f"vLLM: a server already answers at {url}; using it")
        return server
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    try:
        await warm_up(url, model=None, api_key=api_key)
    except A2iaError as exc:
        await server.stop()
        raise BackendUnavailable(f"vLLM started but its warm-up request failed: {exc.message}", hint=exc.hint) from None
    on_status(f"vLLM: ready at {url}")
    return server
