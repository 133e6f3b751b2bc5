"""A GGUF's own chat template, rendered as Hugging Face's ``apply_chat_template`` does.

Templates are Jinja written for ``transformers``: they read ``messages`` (OpenAI-shaped dicts,
tool calls with their arguments as a mapping), ``tools`` (``{"type": "function", "function":
{...}}``), ``add_generation_prompt``, the special tokens, and call ``raise_exception`` and
``strftime_now``. The environment here is that one: sandboxed (a template comes from a model
file, which is outside input), ``trim_blocks``/``lstrip_blocks``, loop controls, and a
``tojson`` that writes what ``transformers``' does (``json.dumps``, non-ASCII kept), not
Jinja's HTML-safe variant.

A call's arguments in the history are a ``WrittenArguments``: a mapping with the real values
(templates that walk them, Qwen3-Coder's, see those) that ``tojson`` writes as the text the
model wrote, so the next prompt repeats those exact tokens and the KV cache stays valid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from a2ia.errors import BackendError


class WrittenArguments(dict):
    """A call's arguments (the mapping) together with the text the model wrote for them."""

    def __init__(self, arguments: Mapping[str, Any], text: str) -> None:
        super().__init__(arguments)
        self.text = text


def _dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps``, with each ``WrittenArguments`` inside written as its own text."""
    written: list[str] = []

    def swap(item: Any) -> Any:
        if isinstance(item, WrittenArguments):
            written.append(item.text)
            return f"\x00a2ia-written-{len(written) - 1}\x00"
        if isinstance(item, Mapping):
            return {k: swap(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [swap(v) for v in item]
        return item

    out = json.dumps(swap(value), **kwargs)
    for index, text in enumerate(written):
        out = out.replace(json.dumps(f"\x00a2ia-written-{index}\x00"), text)
    return out


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None, sort_keys: bool = False) -> str:
    return _dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class TemplateRefused(BackendError):
    """The template itself refused the conversation (its ``raise_exception``)."""


def _raise(message: str) -> None:
    raise TemplateRefused(f"the model's chat template refused the conversation: {message}")


class ChatTemplate:
    def __init__(self, source: str, *, bos_token: str = "", eos_token: str = "") -> None:
        from jinja2.ext import loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        self.source = source
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
        env.filters["tojson"] = _tojson
        env.globals["raise_exception"] = _raise
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        self._template = env.from_string(source)
        self._tokens = {"bos_token": bos_token, "eos_token": eos_token}

    def render(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None, *, add_generation_prompt: bool = True
    ) -> str:
        extra: dict[str, Any] = {"tools": list(tools)} if tools else {}
        try:
            return self._template.render(
                messages=list(messages), add_generation_prompt=add_generation_prompt, **self._tokens, **extra
            )
        except TemplateRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a template is outside input: any failure of it is its own
            raise BackendError(f"the model's chat template could not be rendered: {type(exc).__name__}: {exc}") from None

    def renders_tools(self) -> bool:
        """Whether the template shows the model the tools it is given (the ``tools`` variable)."""
        probe = {
            "type": "function",
            "function": {
                "name": "a2ia_probe_tool",
                "description": "probe",
                "parameters": {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
            },
        }
        try:
            text = self.render([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], [probe])
        except BackendError:
            return False
        return "a2ia_probe_tool" in text
