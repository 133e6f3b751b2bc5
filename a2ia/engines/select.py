"""Pick the backend and build its ``LLMClient`` from the settings.

For now the embedded llama.cpp engine is the one real backend (``auto`` picks it); the vLLM,
Ollama and OpenAI-compatible backends are named in the CLI and arrive in their own layer.
"""

from __future__ import annotations

from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.models import resolve_model
from a2ia.errors import ConfigError

NOT_YET = {
    "vllm": "the vLLM backend",
    "ollama": "the Ollama backend",
    "openai": "the OpenAI-compatible backend",
}


def open_client(settings: Settings) -> LLMClient:
    """The client for ``settings.backend``; raises ``ConfigError`` for what cannot work."""
    backend = settings.backend
    if backend in NOT_YET:
        raise ConfigError(
            f"{NOT_YET[backend]} is not available in this version of a2ia yet",
            hint="use the embedded engine: --backend llamacpp (the default) with --model /path/to/model.gguf",
        )
    if backend == "scripted":
        from a2ia.client.scripted import scripted_client_from_env

        return scripted_client_from_env()
    from a2ia.client.llamacpp import LlamaCppClient

    return LlamaCppClient(
        resolve_model(settings.model),
        n_ctx=settings.n_ctx,
        seed=settings.seed,
        default_temperature=settings.temperature,
    )
