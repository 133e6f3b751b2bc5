"""ReAct prompting: tools for models and servers that have no function calling.

The model is taught Thought / Action / Action Input / Observation / Final Answer; generation
stops at ``Observation:`` and a2ia writes the observation itself. Two forms share this module:

* free text, parsed tolerantly (code fences, the first balanced JSON object, a reply with no
  markers at all taken as the answer; a reply with both an Action and a Final Answer, an
  unknown tool or an unreadable Action Input is an error the model is told about);
* constrained JSON (``{"thought", "action", "action_input"}`` or ``{"thought",
  "final_answer"}``), decoded under a JSON schema that admits only offered tool names and each
  tool's own argument schema, for backends that can constrain decoding.

``FreeTextStreamer`` streams a free reply as it comes (thoughts as reasoning, the Final Answer
as text). The session keeps one message model whatever the mode: ``render_history`` turns it into the
text a ReAct model reads, so a session can switch modes mid-way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from a2ia.client.schema import argument_summary, arguments_schema
from a2ia.client.text_calls import partial_suffix
from a2ia.json_text import first_json_object, loads_or_repair
from a2ia.types import Message, ReasoningDelta, StreamEvent, TextDelta, ToolSpec

OBSERVATION = "Observation:"
MAX_THOUGHT = 200
CONSTRAINED_MIN_TOKENS = 512
"""A constrained reply must be able to finish its JSON: a cut one is lost (measured with
SmolLM2, which fills a bounded thought to its limit)."""
MAX_FINAL_ANSWER = 1000  # the grammar ceiling of the embedded engine (client/schema.py)

FREE_FORMAT = """Use exactly this format:

Thought: think about what to do next
Action: the tool to use, one of [{names}]
Action Input: the tool's arguments as a JSON object
Observation: the tool's result (a2ia writes it; never write it yourself)
... (Thought / Action / Action Input / Observation may repeat)
Thought: I know the answer
Final Answer: the answer to the user

Each reply has either one Action with its Action Input, or a Final Answer, never both."""

JSON_FORMAT = """Reply with one JSON object, either
{{"thought": "...", "action": "<one of {names}>", "action_input": {{...the tool's arguments...}}}}
to use a tool (its result comes back as an Observation), or
{{"thought": "...", "final_answer": "..."}}
to answer the user."""


class ReActParseError(ValueError):
    """The model's reply is not a usable ReAct step; the message is what the model is told."""


@dataclass(frozen=True)
class ReActAction:
    thought: str
    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ReActFinal:
    thought: str
    answer: str


ReActStep = ReActAction | ReActFinal


def _tool_line(tool: ToolSpec, *, constrained: bool) -> str:
    """Constrained, the schema is in the decoding, so a line per tool says enough; free text
    has only the prompt to learn the arguments from."""
    description = " ".join((tool.description or "(no description)").split())
    if constrained:
        arguments = argument_summary(tool.input_schema)
        return f"- {tool.name}: {description}" + (f" Arguments: {arguments}." if arguments else "")
    return f"- {tool.name}: {description}\n  arguments (JSON schema): {json.dumps(tool.input_schema)}"


def instructions(tools: Sequence[ToolSpec], *, constrained: bool) -> str:
    listing = "\n".join(_tool_line(t, constrained=constrained) for t in tools)
    names = ", ".join(t.name for t in tools)
    fmt = (JSON_FORMAT if constrained else FREE_FORMAT).format(names=names)
    return f"You can use these tools:\n\n{listing}\n\n{fmt}"


def reply_schema(tools: Sequence[ToolSpec], *, allow_final: bool = True) -> dict[str, Any]:
    """The JSON schema of a constrained ReAct reply: an offered tool with its arguments, or an answer.

    ``allow_final=False`` (a required or named tool choice) leaves only the tool variants.
    """
    thought = {"type": "string", "maxLength": MAX_THOUGHT}
    variants: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {"thought": thought, "action": {"const": t.name}, "action_input": arguments_schema(t.schema_for_decoding)},
            "required": ["thought", "action", "action_input"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    if allow_final or not variants:
        variants.append(
            {
                "type": "object",
                "properties": {"thought": thought, "final_answer": {"type": "string", "maxLength": MAX_FINAL_ANSWER}},
                "required": ["thought", "final_answer"],
                "additionalProperties": False,
            }
        )
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


# --- history ---------------------------------------------------------------------------------


def _step_text(thought: str, call_name: str, arguments: dict, *, constrained: bool) -> str:
    if constrained:
        return json.dumps({"thought": thought, "action": call_name, "action_input": arguments})
    prefix = f"Thought: {thought}\n" if thought else ""
    return f"{prefix}Action: {call_name}\nAction Input: {json.dumps(arguments)}"


def _final_text(answer: str, *, constrained: bool) -> str:
    if constrained:
        return json.dumps({"thought": "I can answer now.", "final_answer": answer})
    return f"Final Answer: {answer}"


def render_history(
    messages: Sequence[Message], tools: Sequence[ToolSpec], *, constrained: bool
) -> list[Message]:
    """The session as plain messages a ReAct model reads: calls as Actions, results as Observations."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    system = (system + "\n\n" if system else "") + instructions(tools, constrained=constrained)
    out = [Message.system(system)]
    results = {m.tool_call_id: m.content for m in messages if m.role == "tool"}
    for message in messages:
        if message.role == "user":
            out.append(Message.user(message.content))
        elif message.role == "assistant" and message.tool_calls:
            for index, call in enumerate(message.tool_calls):
                thought = message.content if index == 0 else ""
                out.append(Message(role="assistant", content=_step_text(thought, call.name, call.arguments, constrained=constrained)))
                out.append(Message.user(f"{OBSERVATION} {results.get(call.id, '(no result)')}"))
        elif message.role == "assistant":
            out.append(Message(role="assistant", content=_final_text(message.content, constrained=constrained)))
    return out


def render_plain(messages: Sequence[Message]) -> list[Message]:
    """The session without the ReAct instructions: for the step that answers without tools."""
    rendered = render_history(messages, (), constrained=False)
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    return [Message.system(system), *rendered[1:]] if system else rendered[1:]


def corrective_message(error: str, *, constrained: bool) -> Message:
    form = (
        'one JSON object: {"thought", "action", "action_input"} or {"thought", "final_answer"}'
        if constrained
        else "Thought, then either Action and Action Input (a JSON object), or Final Answer"
    )
    return Message.user(f"Your last reply could not be used: {error}. Reply again with {form}.")


# --- parsing -----------------------------------------------------------------------------------

_MARKER = re.compile(r"^\s*(thought|action input|action|final answer)\s*:", re.IGNORECASE | re.MULTILINE)
_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
_OBSERVATION_LINE = re.compile(r"^\s*Observation:", re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    matches = list(_MARKER.finditer(text))
    for i, match in enumerate(matches):
        key = match.group(1).lower()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        found.setdefault(key, text[match.end() : end].strip())
    return found


def _parse_input(raw: str) -> dict[str, Any]:
    fenced = _FENCE.search(raw)
    body = first_json_object(fenced.group(1) if fenced else raw)
    if body is None:
        if not raw.strip() or raw.strip() in ("{}", "None", "none", "null"):
            return {}
        raise ReActParseError(f"the Action Input is not a JSON object: {raw.strip()[:200]!r}")
    value = loads_or_repair(body)
    if not isinstance(value, dict):
        raise ReActParseError(f"the Action Input is not a JSON object: {body[:200]!r}")
    return value


def parse_free(text: str, tool_names: Sequence[str]) -> ReActStep:
    """A free-text ReAct reply → an action or a final answer (``ReActParseError`` if neither)."""
    cleaned = _OBSERVATION_LINE.split(text, maxsplit=1)[0]
    sections = _sections(cleaned)
    thought = sections.get("thought", "")
    if "action" in sections and "final answer" in sections:
        raise ReActParseError("it has both an Action and a Final Answer; give one of them")
    if "final answer" in sections:
        return ReActFinal(thought, sections["final answer"])
    if "action" in sections:
        tool = sections["action"].splitlines()[0].strip().strip("`'\"*[]() ") if sections["action"] else ""
        if tool not in tool_names:
            raise ReActParseError(f"{tool!r} is not a tool; the tools are {', '.join(tool_names)}")
        return ReActAction(thought, tool, _parse_input(sections.get("action input", "")))
    if sections:
        raise ReActParseError("it has no Action and no Final Answer")
    if not cleaned.strip():
        raise ReActParseError("it is empty")
    return ReActFinal("", cleaned.strip())  # a plain answer without any marker: taken as it is


def parse_json(text: str, tool_names: Sequence[str]) -> ReActStep:
    """A constrained (JSON) ReAct reply → an action or a final answer."""
    body = first_json_object(text)
    if body is None:
        raise ReActParseError("it is not a JSON object")
    value = loads_or_repair(body)
    if not isinstance(value, dict):
        raise ReActParseError("it is not a JSON object")
    thought = str(value.get("thought", ""))
    has_action, has_final = "action" in value, "final_answer" in value
    if has_action and has_final:
        raise ReActParseError("it has both an action and a final_answer; give one of them")
    if has_final:
        return ReActFinal(thought, str(value["final_answer"]))
    if has_action:
        tool = value["action"]
        if tool not in tool_names:
            raise ReActParseError(f"{tool!r} is not a tool; the tools are {', '.join(tool_names)}")
        arguments = value.get("action_input") or {}
        if not isinstance(arguments, dict):
            raise ReActParseError("action_input is not a JSON object")
        return ReActAction(thought, tool, arguments)
    raise ReActParseError("it has neither an action nor a final_answer")


# --- streaming a free-text reply -----------------------------------------------------------------

_STREAM_MARKERS = ("Action:", "Final Answer:")


class FreeTextStreamer:
    """Streams a free ReAct reply as it comes: thoughts as reasoning, the Final Answer as text.

    Text before the first marker is held (a reply with no marker at all is the answer, decided
    at the end); text that could be the start of a marker is held until it is known.
    """

    def __init__(self) -> None:
        self.held = ""
        self.section: str | None = None  # None (before any marker), "thought", "action", "answer"
        self.answered = False
        self.saw_action = False  # a Final Answer after an Action is an error, not an answer

    def feed(self, text: str) -> list[StreamEvent]:
        self.held += text
        out: list[StreamEvent] = []
        while True:
            if self.section is None:
                stripped = self.held.lstrip()
                if stripped.startswith("Thought:"):
                    self.section, self.held = "thought", stripped[len("Thought:") :].lstrip(" ")
                    continue
                if any(stripped.startswith(m) for m in _STREAM_MARKERS):
                    self.section, self.held = "action", stripped
                    continue
                return out
            if self.section == "answer":
                self.answered = True
                out.append(TextDelta(text=self.held))
                self.held = ""
                return out
            if self.section == "action":
                answer_at = self.held.find("Final Answer:")
                action_at = self.held.find("Action:")
                if action_at != -1 and (answer_at == -1 or action_at < answer_at):
                    self.saw_action = True
                if answer_at != -1 and not self.saw_action:
                    self.section = "answer"
                    self.held = self.held.split("Final Answer:", 1)[1].lstrip(" ")
                    continue
                return out  # an Action is shown when it runs, not streamed
            # section == "thought"
            positions = [self.held.find(m) for m in _STREAM_MARKERS if m in self.held]
            if positions:
                cut = min(positions)
                if self.held[:cut].strip():
                    out.append(ReasoningDelta(text=self.held[:cut]))
                self.held = self.held[cut:]
                self.section = "action"
                continue
            keep = max((partial_suffix(self.held, m) for m in _STREAM_MARKERS), default=0)
            ready, self.held = self.held[: len(self.held) - keep], self.held[len(self.held) - keep :]
            if ready:
                out.append(ReasoningDelta(text=ready))
            return out

    def flush(self) -> str:
        rest, self.held = (self.held if self.section == "answer" else ""), ""
        return rest
