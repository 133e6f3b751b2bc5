"""ChatML prompts with tools, for the embedded engine.

The convention is that of llama-cpp-python's ``chatml-function-calling`` handler: the system
message lists ``functions.<name>:`` with their JSON schemas, and every assistant reply starts
either with ``message:`` (an answer) or ``functions.<name>:`` followed by the JSON arguments.
That first word is what the engine constrains to decide between answering and calling, and it
is what makes even SmolLM2-135M pick a tool for "What files are in this folder?" (with the
Hermes ``<tool_call>`` convention it never opened a call block: measured, see the tests).

a2ia renders the prompt itself instead of calling that handler because the handler drops
``tool`` messages from the history (the model never sees a result) and constrains the text
of a ``message:`` reply to nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from a2ia.types import Message, ToolCall, ToolSpec

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
STOP = (IM_END, IM_START)
MESSAGE_PREFIX = "message:"


def call_prefix(name: str) -> str:
    return f"functions.{name}:"


def is_chatml(chat_template: str | None) -> bool:
    """Whether a GGUF's ``tokenizer.chat_template`` is ChatML (SmolLM2, Qwen2.5, Hermes, …)."""
    return bool(chat_template) and IM_START in chat_template  # type: ignore[operator]


def tools_block(tools: Sequence[ToolSpec]) -> str:
    listing = "".join(
        f"\n{call_prefix(t.name)}\n// {t.description}\n{json.dumps(t.input_schema)}\n" for t in tools
    )
    return (
        "You have access to the following functions:\n"
        f"{listing}\n"
        "You can respond to users messages with either a single message or a function call."
        "\n\nTo respond with a message begin the message with 'message:', use the following format:"
        "\n\nmessage:\n<message>"
        "\n\nTo respond with a function call begin the message with 'functions.<function_name>:', "
        "use the following format:"
        '\n\nfunctions.<function_name>:\n{ "arg1": "value1", "arg2": "value2" }'
        "\n\nThe result of a function call comes back in a message from 'tool'."
    )


def arguments_text(call: ToolCall, written: Mapping[str, str] | None = None) -> str:
    """A call's arguments in the prompt: as the model wrote them if known and still the same
    arguments, else ``json.dumps``. Repeating the model's own text (``{ "path": "." }``) keeps
    the KV cache of that step valid; a re-serialised copy (``{"path": "."}``) would not be."""
    text = written.get(call.id) if written else None
    if text is not None:
        try:
            if json.loads(text) == call.arguments:
                return text
        except ValueError:
            pass
    return json.dumps(call.arguments)


def render(messages: Sequence[Message], tools: Sequence[ToolSpec], written: Mapping[str, str] | None = None) -> str:
    """The whole prompt, ending with an open assistant turn.

    ``written``: call id → arguments text as the model wrote it (see ``arguments_text``).
    """
    out: list[str] = []
    system_text = "\n\n".join(m.content for m in messages if m.role == "system")
    if tools:
        system_text = (system_text + "\n\n" if system_text else "") + tools_block(tools)
    if system_text:
        out.append(f"{IM_START}system\n{system_text}{IM_END}\n")
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            parts = []
            if message.content:
                parts.append(f"{MESSAGE_PREFIX}\n{message.content}" if tools else message.content)
            parts += [f"{call_prefix(c.name)}\n{arguments_text(c, written)}" for c in message.tool_calls]
            out.append(f"{IM_START}assistant\n" + "\n".join(parts) + f"{IM_END}\n")
        elif message.role == "tool":
            out.append(f"{IM_START}tool\n{call_prefix(message.name or 'unknown')} returned:\n{message.content}{IM_END}\n")
        else:
            out.append(f"{IM_START}user\n{message.content}{IM_END}\n")
    out.append(f"{IM_START}assistant\n")
    return "".join(out)
