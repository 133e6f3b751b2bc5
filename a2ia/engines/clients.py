"""Each backend's ``LLMClient`` from the settings: the factories ``a2ia.backends`` names.

A client module is imported only when its backend is used (``ollama`` and ``llama_cpp`` are
not free to import).
"""

from __future__ import annotations

from pathlib import Path

from a2ia.backends import DEFAULT_OLLAMA_MODEL
from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.models import resolve_model
from a2ia.errors import ConfigError
from a2ia.hints import setting


def _api_key(settings: Settings) -> str | None:
    return settings.api_key.get_secret_value() if settings.api_key else None


def openai_client(settings: Settings, model: str | None) -> LLMClient:
    from a2ia.client.openai_compat import OpenAICompatClient

    if not settings.base_url:
        raise ConfigError(
            f"{setting('backend', 'openai')} needs the server's URL",
            hint=f"give it with {setting('base_url', 'http://HOST:PORT/v1')}",
        )
    return OpenAICompatClient(settings.base_url, model=model, api_key=_api_key(settings))


def vllm_client(settings: Settings, model: str | None) -> LLMClient:
    from a2ia.client.vllm import VLLMClient

    return VLLMClient(settings.vllm_url, model=model, api_key=_api_key(settings))


def ollama_client(settings: Settings, model: str | None) -> LLMClient:
    from a2ia.client.ollama import OllamaClient

    return OllamaClient(model or DEFAULT_OLLAMA_MODEL, host=settings.ollama_url, num_ctx=settings.n_ctx)


def scripted_client(settings: Settings, model: str | None) -> LLMClient:
    from a2ia.client.scripted import scripted_client_from_env

    return scripted_client_from_env()


def embedded_client(settings: Settings, model: str | None) -> LLMClient:
    from a2ia.client.llamacpp import LlamaCppClient

    return LlamaCppClient(
        resolve_model(model),
        n_ctx=settings.n_ctx,
        seed=settings.seed,
        default_temperature=settings.temperature,
        chat_template=_chat_template(settings.chat_template_file),
    )


def _chat_template(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the chat template {path}: {exc}",
            hint=f"{setting('chat_template_file')} names a Jinja file, as llama.cpp's --chat-template-file",
        ) from None
