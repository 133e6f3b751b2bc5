"""The tool-call syntaxes model families were trained on, one table for all of them.

Where a GGUF's chat template renders the tools it is given, the embedded engine prompts with
that template and lets the model call in its own syntax. Each ``ToolFormat`` says how to tell
the family from its template, what opens a call in a reply (the trigger, as llama.cpp's server
uses for its lazy grammars), and how a call is spelled around the tool's name and arguments,
so that the engine can write the fixed parts itself and constrain only the name and the
arguments (``_native_calls``).

Covered (the tests render each with its real template, see ``tests/fixtures/chat_templates``):

* ``hermes``: ``<tool_call>\\n{"name": …, "arguments": …}\\n</tool_call>`` (Qwen2.5, Qwen3,
  Hermes 2/3, and most ChatML fine-tunes with tools);
* ``qwen3-xml``: ``<tool_call>\\n<function=NAME>\\n<parameter=KEY>\\nVALUE\\n</parameter>…``
  (Qwen3-Coder);
* ``llama3-json``: a reply that is ``{"name": …, "parameters": …}``, optionally after
  ``<|python_tag|>`` (Llama 3.1–3.3, 3.2 1B/3B);
* ``mistral``: ``[TOOL_CALLS][{"name": …, "arguments": …, "id": "<9 characters>"}]``
  (Mistral 7B v0.3, Nemo, Small).

A template that renders tools in another syntax is not guessed at: the engine keeps the
``functions.<name>:`` convention of ``_chatml`` for ChatML models, and ReAct for the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from a2ia.client._template import WrittenArguments
from a2ia.client.text_calls import partial_suffix
from a2ia.types import Message, ToolSpec


@dataclass(frozen=True)
class ToolFormat:
    id: str
    markers: tuple[str, ...]  # all of them in a template's source: this family
    openers: tuple[str, ...]  # text that opens a call in a reply
    head: str  # what the engine writes to open a call, up to the tool's name
    name_end: str  # between the name and the arguments
    arguments: Literal["json", "xml"] = "json"
    opens_anywhere: bool = True  # a call may follow some text (else: only at the reply's start)
    short_ids: bool = False  # the template wants 9-character alphanumeric call ids


FORMATS: tuple[ToolFormat, ...] = (
    ToolFormat(
        id="qwen3-xml",
        markers=("<tool_call>", "<function="),
        openers=("<tool_call>",),
        head="<tool_call>\n<function=",
        name_end=">\n",
        arguments="xml",
    ),
    ToolFormat(
        id="hermes",
        markers=("<tool_call>",),
        openers=("<tool_call>",),
        head='<tool_call>\n{"name": "',
        name_end='", "arguments": ',
    ),
    ToolFormat(
        id="mistral",
        markers=("[TOOL_CALLS]",),
        openers=("[TOOL_CALLS]",),
        head='[TOOL_CALLS][{"name": "',
        name_end='", "arguments": ',
        short_ids=True,
    ),
    ToolFormat(
        id="llama3-json",
        markers=("<|start_header_id|>", '"parameters": '),
        openers=('{"name"', "<|python_tag|>"),
        head='{"name": "',
        name_end='", "parameters": ',
        opens_anywhere=False,
    ),
)


def detect(template_source: str | None) -> ToolFormat | None:
    """The family whose call syntax the template spells, if it is one of ``FORMATS``."""
    if not template_source:
        return None
    return next((f for f in FORMATS if all(m in template_source for m in f.markers)), None)


def template_call_id(fmt: ToolFormat, call_id: str) -> str:
    """A call's id as the template wants it: Mistral's take exactly 9 alphanumerics, so any
    other id is mapped to 9 hex digits of its hash (the same for the call and its result)."""
    if not fmt.short_ids or (len(call_id) == 9 and call_id.isalnum()):
        return call_id
    return hashlib.sha256(call_id.encode()).hexdigest()[:9]


def tool_dicts(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """The tools as templates read them (the OpenAI shape)."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": " ".join((t.description or "").split()),
                "parameters": t.input_schema or {"type": "object", "properties": {}},
            },
        }
        for t in tools
    ]


def message_dicts(fmt: ToolFormat, messages: Sequence[Message], written: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The conversation as templates read it. The system messages become one, first (templates
    take only a leading one); a call's arguments are ``WrittenArguments`` where the model's own
    text for them is known and still parses to them."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant" and message.tool_calls:
            calls = []
            for call in message.tool_calls:
                arguments: dict[str, Any] = dict(call.arguments)
                text = (written or {}).get(call.id)
                if text is not None and _parses_to(text, call.arguments):
                    arguments = WrittenArguments(call.arguments, text)
                call_id = template_call_id(fmt, call.id)
                calls.append({"id": call_id, "type": "function", "function": {"name": call.name, "arguments": arguments}})
            out.append({"role": "assistant", "content": message.content or "", "tool_calls": calls})
        elif message.role == "tool":
            out.append(
                {
                    "role": "tool",
                    "content": message.content,
                    "name": message.name or "",
                    "tool_call_id": template_call_id(fmt, message.tool_call_id or ""),
                }
            )
        else:
            out.append({"role": message.role, "content": message.content})
    return out


def _parses_to(text: str, arguments: Mapping[str, Any]) -> bool:
    try:
        return json.loads(text) == arguments
    except ValueError:
        return False


def opener_at(fmt: ToolFormat, text: str) -> int | None:
    """Where a call opens in ``text`` (a reply so far), or ``None``."""
    if not fmt.opens_anywhere:
        stripped = text.lstrip()
        start = len(text) - len(stripped)
        return start if any(stripped.startswith(o) for o in fmt.openers) else None
    found = [i for i in (text.find(o) for o in fmt.openers) if i >= 0]
    return min(found) if found else None


def may_still_open(fmt: ToolFormat, text: str) -> int:
    """How many trailing characters of ``text`` could be the start of an opener (held back)."""
    if not fmt.opens_anywhere:
        stripped = text.lstrip()
        return len(text) if any(o.startswith(stripped) for o in fmt.openers) else 0
    return max(partial_suffix(text, opener) for opener in fmt.openers)
