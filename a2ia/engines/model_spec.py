"""Model prefixes that pick the engine: ``vllm:``, ``ollama:``, ``gguf:``, ``openai:``.

``--model vllm:Qwen/Qwen2.5-7B-Instruct-AWQ`` means "this model, on vLLM", whatever
``--backend`` says (``auto`` by default); a name ending in ``.gguf`` is a file for the embedded
engine. Only these prefixes are stripped: Ollama names have colons of their own
(``qwen2.5:7b``), so ``ollama:qwen2.5:7b`` keeps ``qwen2.5:7b``.
"""

from __future__ import annotations

from dataclasses import dataclass

from a2ia.backends import PREFIXES
from a2ia.errors import ConfigError
from a2ia.hints import setting


@dataclass(frozen=True)
class ModelSpec:
    backend: str | None  # the engine the model names, or None when the name does not say
    name: str | None  # the model without its prefix


def parse_model_spec(model: str | None) -> ModelSpec:
    if not model:
        return ModelSpec(None, None)
    prefix, sep, rest = model.partition(":")
    if sep and prefix.lower() in PREFIXES:
        if not rest:
            raise ConfigError(
                f"the model {model!r} names no model after the prefix", hint=f"e.g. {setting('model', f'{prefix}:NAME')}"
            )
        return ModelSpec(PREFIXES[prefix.lower()], rest)
    if model.lower().endswith(".gguf"):
        return ModelSpec("llamacpp", model)
    return ModelSpec(None, model)


def backend_for(backend: str, model: str | None) -> tuple[str, str | None]:
    """The backend the flags and the model's prefix agree on, and the bare model name."""
    spec = parse_model_spec(model)
    if spec.backend is None or backend == spec.backend:
        return backend, spec.name
    if backend == "auto":
        return spec.backend, spec.name
    if spec.backend == "llamacpp" and backend != "llamacpp" and not model.lower().startswith(("gguf:", "llamacpp:")):
        return backend, spec.name  # a server may serve a model whose name ends in .gguf (llama.cpp's server does)
    raise ConfigError(
        f"the model {model!r} is for the {spec.backend} engine, but the backend is {backend}",
        hint=f"drop one of them, or use {setting('backend', spec.backend)}",
    )
