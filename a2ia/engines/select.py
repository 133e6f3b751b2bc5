"""Pick the backend and build its ``LLMClient`` from the settings.

``auto`` runs the embedded llama.cpp engine for now; probing for a running vLLM or Ollama
server (and starting one) is the engines layer's next step.
"""

from __future__ import annotations

from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.models import resolve_model
from a2ia.errors import ConfigError

DEFAULT_OLLAMA_MODEL = "qwen2.5:7b"


def open_client(settings: Settings) -> LLMClient:
    """The client for ``settings.backend``; raises ``ConfigError`` for what cannot work."""
    backend = settings.backend
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    if backend == "openai":
        from a2ia.client.openai_compat import OpenAICompatClient

        if not settings.base_url:
            raise ConfigError(
                "--backend openai needs the server's URL",
                hint="pass --base-url http://HOST:PORT/v1 (or set A2IA_BASE_URL)",
            )
        return OpenAICompatClient(settings.base_url, model=settings.model, api_key=api_key)
    if backend == "vllm":
        from a2ia.client.vllm import VLLMClient

        return VLLMClient(settings.vllm_url, model=settings.model, api_key=api_key)
    if backend == "ollama":
        from a2ia.client.ollama import OllamaClient

        return OllamaClient(settings.model or DEFAULT_OLLAMA_MODEL, host=settings.ollama_url, num_ctx=settings.n_ctx)
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
