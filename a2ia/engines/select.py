"""Pick the backend, and build its ``LLMClient`` from the settings.

``select_backend`` resolves ``--backend auto`` (and model prefixes, ``model_spec.py``) in the
order of speed: a vLLM server that answers (or one ``--start-server`` can start) → an Ollama
that has the model → the embedded llama.cpp engine, which always works. Each engine passed
over gets one line saying why and what would make it usable; ``--debug`` logs the probes.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass, field

import httpx

from a2ia.backends import BACKENDS, DEFAULT_OLLAMA_MODEL
from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.model_spec import backend_for
from a2ia.engines.ollama_server import OllamaServer, lists_model
from a2ia.engines.vllm_launch import vllm_executable
from a2ia.hints import setting
from a2ia.http_tls import verify_for

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 1.0


@dataclass
class Selection:
    backend: str  # a concrete backend, never "auto"
    model: str | None  # without its prefix
    lines: list[str] = field(default_factory=list)  # one per engine passed over, then the choice
    vllm_up: bool = False  # a vLLM server answered the probe
    ollama_up: bool = False


async def probe_vllm(settings: Settings) -> list[str] | None:
    """The models a server at ``vllm_url`` serves, or None when nothing answers there."""
    headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"} if settings.api_key else {}
    url = settings.vllm_url.rstrip("/") + "/models"
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S, verify=verify_for(url)) as client:
            response = await client.get(url, headers=headers)
        response.raise_for_status()
        return [m["id"] for m in response.json().get("data", []) if isinstance(m, dict) and "id" in m]
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.debug("vLLM probe of %s: %s: %s", url, type(exc).__name__, exc)
        return None


async def select_backend(settings: Settings) -> Selection:
    """The backend to use; for ``auto``, the first engine that can serve, with the reasons."""
    backend, model = backend_for(settings.backend, settings.model)
    if backend != "auto":
        return Selection(backend, model)
    ollama = OllamaServer(settings.ollama_url)
    served, ollama_models = await asyncio.gather(probe_vllm(settings), ollama.models())
    lines: list[str] = []
    vllm_line = _vllm_skip(settings, model, served)
    if vllm_line is None:
        how = "answers" if served is not None else "will be started"
        return Selection("vllm", model, [f"backend: vLLM at {settings.vllm_url} ({how})"], vllm_up=served is not None)
    lines.append(vllm_line)
    ollama_model = model or DEFAULT_OLLAMA_MODEL
    ollama_line = _ollama_skip(settings, ollama, ollama_model, ollama_models)
    if ollama_line is None:
        lines.append(f"backend: Ollama at {ollama.host} ({ollama_model})")
        return Selection("ollama", model, lines, ollama_up=ollama_models is not None)
    lines.append(ollama_line)
    lines.append("backend: embedded llama.cpp" + (f" ({model})" if model else ""))
    return Selection("llamacpp", model, lines)


def _vllm_skip(settings: Settings, model: str | None, served: list[str] | None) -> str | None:
    """Why vLLM is passed over, or None when it is the choice."""
    if served is not None:
        if model is None or model in served:
            return None
        return f"skipped vLLM: {settings.vllm_url} serves {', '.join(served) or 'nothing'}, not {model}"
    if not settings.start_server:
        return f"skipped vLLM: nothing answers at {settings.vllm_url} (start one: {setting('start_server')})"
    if vllm_executable(settings) is None:
        return "skipped vLLM: not installed (scripts/vllm_setup.sh installs it)"
    return None


def _ollama_skip(settings: Settings, ollama: OllamaServer, model: str, models: list[str] | None) -> str | None:
    if models is None:
        if settings.start_server and shutil.which("ollama"):
            return None
        if shutil.which("ollama"):
            return f"skipped Ollama: not running at {ollama.host} (start it: ollama serve, or {setting('start_server')})"
        return "skipped Ollama: not installed (https://ollama.com/download)"
    if lists_model(models, model) or settings.pull:
        return None
    return f"skipped Ollama: it has no {model} (ollama pull {model}, or {setting('pull')})"


def open_client(settings: Settings) -> LLMClient:
    """The client for ``settings.backend`` (a concrete one); raises ``ConfigError`` for what cannot work."""
    backend, model = backend_for(settings.backend, settings.model)
    kind = BACKENDS[backend]
    return kind.load(kind.client)(settings, model)
