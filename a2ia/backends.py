"""Every model backend a2ia knows, declared once (harlequin's adapter pattern).

One row per backend: its id (``--backend``), what it is called in messages, the model
prefixes that name it (``vllm:NAME``, ``gguf:PATH``), its default address and model, and how
it is made ready: the function that builds its ``LLMClient`` from the settings and, for an
engine a2ia can start, the hook that starts it (``engines/engine.py``) and stops it on exit.

The table sits at the floor, beside the settings that validate ``backend`` against it, so it
cannot import the clients and engines above it: the factory and the hook are named by import
path and loaded when used, as the CLI's lazy subcommands are. ``auto`` is not a backend but
the choice among them (``engines/select.py``).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from a2ia.errors import ConfigError


@dataclass(frozen=True)
class BackendKind:
    id: str
    label: str
    client: str  # "module:function": (settings, model) -> LLMClient
    prefixes: tuple[str, ...] = ()
    default_url: str | None = None
    default_model: str | None = None
    start: str | None = None  # "module:function": makes the engine ready (engines/engine.py)

    def load(self, what: str) -> Any:
        module, _, name = what.partition(":")
        return getattr(importlib.import_module(module), name)


BACKENDS: dict[str, BackendKind] = {
    b.id: b
    for b in (
        BackendKind("vllm", "vLLM", "a2ia.engines.clients:vllm_client", ("vllm",),
                    default_url="http://127.0.0.1:8000/v1", start="a2ia.engines.engine:start_vllm_engine"),
        BackendKind("ollama", "Ollama", "a2ia.engines.clients:ollama_client", ("ollama",),
                    default_url="http://127.0.0.1:11434", default_model="qwen2.5:7b",
                    start="a2ia.engines.engine:start_ollama_engine"),
        BackendKind("llamacpp", "embedded llama.cpp", "a2ia.engines.clients:embedded_client", ("gguf", "llamacpp")),
        BackendKind("openai", "OpenAI-compatible server", "a2ia.engines.clients:openai_client", ("openai",)),
        BackendKind("scripted", "scripted replies (A2IA_SCRIPT)", "a2ia.engines.clients:scripted_client"),
    )
}
BACKEND_CHOICES: tuple[str, ...] = ("auto", *BACKENDS)
PREFIXES: dict[str, str] = {prefix: b.id for b in BACKENDS.values() for prefix in b.prefixes}
DEFAULT_VLLM_URL: str = BACKENDS["vllm"].default_url  # type: ignore[assignment]
DEFAULT_OLLAMA_URL: str = BACKENDS["ollama"].default_url  # type: ignore[assignment]
DEFAULT_OLLAMA_MODEL: str = BACKENDS["ollama"].default_model  # type: ignore[assignment]
OLLAMA_PORT = urlsplit(DEFAULT_OLLAMA_URL).port


def ollama_host(url: str | None) -> str:
    """The Ollama daemon's base URL: ``url``, else ``$OLLAMA_HOST``, else the default; normalised
    as Ollama does it.

    ``"0.0.0.0:11434"`` → ``"http://0.0.0.0:11434"``, ``"host"`` → ``"http://host:11434"``,
    ``":5000"`` → ``"http://127.0.0.1:5000"``; an explicit scheme without a port keeps that
    scheme's port (80, 443), as Ollama's own client does.
    """
    raw = (url or os.environ.get("OLLAMA_HOST") or "").strip().rstrip("/")
    if not raw:
        return DEFAULT_OLLAMA_URL
    scheme, sep, rest = raw.partition("://")
    scheme, rest = (scheme.lower(), rest) if sep else ("http", raw)
    hostport, _, path = rest.partition("/")
    if hostport.count(":") > 1 and not hostport.startswith("["):
        hostport = f"[{hostport}]"  # a bare IPv6 address
    try:
        parts = urlsplit(f"{scheme}://{hostport}")
        host, port = parts.hostname or "127.0.0.1", parts.port or (OLLAMA_PORT if not sep else 443 if scheme == "https" else 80)
    except ValueError:
        raise ConfigError(f"the Ollama address {raw!r} is not [scheme://]host[:port]") from None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}" + (f"/{path}" if path else "")
