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
import re
from collections.abc import Mapping, Sequence

from a2ia.client.schema import argument_summary
from a2ia.client.text_calls import partial_suffix
from a2ia.json_text import object_end
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


def tool_line(spec: ToolSpec) -> str:
    """One line per tool: its name, purpose and argument names. The schema itself is not shown:
    the engine decodes the arguments under it (a grammar), so the model needs only the gist."""
    arguments = argument_summary(spec.input_schema)
    description = " ".join((spec.description or "").split())
    return f"{call_prefix(spec.name)} {description}" + (f" Arguments: {arguments}." if arguments else "")


def tools_block(tools: Sequence[ToolSpec]) -> str:
    listing = "\n".join(tool_line(t) for t in tools)
    return (
        f"You can call these functions:\n{listing}\n\n"
        f'Answer with "{MESSAGE_PREFIX}" and your reply. Only when you need a file or a command, '
        'reply with "functions.<name>:" and the arguments as a JSON object instead. '
        "Its result comes back in a message from 'tool'."
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


MARKUP_OPENER = re.compile(
    r"""\s*["'`]?(?:message:|Message:|<message>|(?:[Ff]unction\s+)?functions\.[\w.-]{1,64}:(?:\s*returned:)?)\s*"""
)
MARKUP_STARTS = ("message:", "Message:", "<message>", "functions.", "function functions.", "Function functions.")
MARKUP_CLOSER = "</message>"
HOLD_LIMIT = 80  # an opener is short: past this many characters, the text is the answer
HELD_ARGUMENTS_LIMIT = 2000  # a call's arguments written as text: held this long at most
NAME_PREFIX = "functions."
NAME_IN_TEXT = re.compile(r"\bfunctions\.(?=[A-Za-z_])")
"""The prompt's spelling of a tool's name inside an answer (``functions.list_dir``): the person
is shown the name alone."""


def _could_open(text: str) -> bool:
    """Whether ``text`` (stripped) may still grow into an opener."""
    bare = text.lstrip("\"'`")
    if any(o.startswith(bare) for o in MARKUP_STARTS):
        return True
    call = re.sub(r"^[Ff]unction\s+", "", bare)
    return call.startswith("functions.") and ":" not in call and len(call) < HOLD_LIMIT


class AnswerMarkup:
    """Keeps the prompt's own markup out of an answer: a ``message:``, ``<message>`` or
    ``functions.<name>: returned:`` the model writes again at the start, a call it writes as
    text there instead of answering (``functions.<name>:`` and its JSON arguments, which the
    135M model does when its tools are off), and a ``</message>`` anywhere. Text that could
    still turn out to be markup is held until it is known."""

    def __init__(self) -> None:
        self.held = ""
        self.started = False
        self.arguments_next = False  # after a call's opener: its JSON arguments are markup too

    def feed(self, text: str) -> str:
        self.held += text
        if not self.started:
            # Only markup is taken away: text the model wrote stays as written (whitespace too),
            # so the history repeats its tokens and the KV cache stays valid.
            if not self._strip_openers():
                return ""
            stripped = self.held.strip()
            if not stripped or _could_open(stripped) or MARKUP_OPENER.fullmatch(self.held):
                return ""
            self.started = True
        self.held = NAME_IN_TEXT.sub("", self.held.replace(MARKUP_CLOSER, ""))
        keep = max(partial_suffix(self.held, MARKUP_CLOSER), partial_suffix(self.held, NAME_PREFIX))
        if self.held.endswith(NAME_PREFIX):
            keep = len(NAME_PREFIX)  # a name may follow in the next piece
        out, self.held = self.held[: len(self.held) - keep], self.held[len(self.held) - keep :]
        return out

    def _strip_openers(self) -> bool:
        """Take the openers (and a written call's arguments) off the front; ``False`` while
        what is held may still be a call's arguments."""
        while True:
            if self.arguments_next:
                rest = self.held.lstrip()
                if not rest:
                    return False
                if rest.startswith("{"):
                    end = object_end(rest)
                    if end is None:
                        if len(rest) < HELD_ARGUMENTS_LIMIT:
                            return False
                    else:
                        self.held = rest[end:]
                self.arguments_next = False
                continue
            match = MARKUP_OPENER.match(self.held)
            if not match or match.end() >= len(self.held):
                return True
            self.held = self.held[match.end():]
            self.arguments_next = "functions." in match.group() and "returned:" not in match.group()

    def finish(self) -> str:
        rest, self.held = self.held, ""
        if not self.started and MARKUP_OPENER.fullmatch(rest):
            return ""
        if not self.started and self.arguments_next and rest.lstrip().startswith("{"):
            return ""  # a written call's arguments, cut off: markup all the same
        return rest
