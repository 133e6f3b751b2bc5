"""Core values shared by every layer: messages, tools, calls, results and stream events.

Everything here is a frozen pydantic model of plain values. Wire formats (OpenAI chunks,
Ollama NDJSON, llama.cpp dicts) stop at the client boundary; above ``client/`` there is one
message model and one tool-call model, whatever the backend.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]


class Record(BaseModel):
    """Base of every value type: frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolCall(Record):
    """A complete, parsed request from the model to run one tool."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    arguments_error: str | None = None
    """Set when the model's arguments did not parse; the call is then answered with a tool
    error that quotes the problem, and never run."""


def new_call_id() -> str:
    """An id for a call whose wire gave it none (Ollama, the embedded engine, a call written as
    text). Unique in the session: templates and servers pair calls with results by id, and a
    ``call_0`` in every turn would pair a result with the wrong call."""
    return f"call_{uuid.uuid4().hex[:12]}"


class ToolResult(Record):
    """What a tool gave back. ``is_error`` results are data the model sees, not exceptions."""

    call_id: str
    content: str
    is_error: bool = False


class ImagePart(Record):
    """An image the person attached, for a model that sees images (``Capabilities.vision``)."""

    mime_type: str
    data: str  # base64
    source: str = ""  # where it came from, as the person named it


class Message(Record):
    """One turn of the conversation."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    images: tuple[ImagePart, ...] = ()

    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role="system", content=text)

    @classmethod
    def user(cls, text: str, images: tuple[ImagePart, ...] = ()) -> Message:
        return cls(role="user", content=text, images=images)

    @classmethod
    def tool(cls, result: ToolResult, name: str) -> Message:
        return cls(role="tool", content=result.content, tool_call_id=result.call_id, name=name)


class ToolAnnotations(Record):
    """The MCP behaviour hints a2ia uses (approvals come in a later layer)."""

    read_only: bool = False
    destructive: bool = True
    open_world: bool = True


class ToolSpec(Record):
    """What the model is offered: a tool's name, description and JSON-schema input."""

    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    annotations: ToolAnnotations = Field(default_factory=ToolAnnotations)
    server: str = ""
    builtin: bool = False
    """a2ia's own in-process server offers it: an identity no configured server can claim by name."""
    decoding_schema: dict[str, Any] | None = None
    """Where a backend constrains decoding, the schema the arguments are decoded under when it is
    narrower than ``input_schema`` (paths grounded in the workspace, ``tools.grounding``). Calls
    are still checked against ``input_schema``."""

    @property
    def schema_for_decoding(self) -> dict[str, Any]:
        return self.decoding_schema if self.decoding_schema is not None else self.input_schema


ToolChoice = Union[Literal["auto", "required", "none"], str]
"""``auto``/``required``/``none``, or the name of one offered tool to force."""


class ChatOptions(Record):
    """Per-request generation settings, the same for every backend."""

    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    tool_choice: ToolChoice = "auto"
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None
    """Constrain the reply to JSON matching this schema (backends with constrained decoding)."""


class Capabilities(Record):
    """What a backend can do, as far as the client knows."""

    native_tools: bool
    constrained_decoding: bool
    context_length: int | None
    model_id: str
    thinking: bool = False
    vision: bool = False
    tool_format: str | None = None
    """The syntax the model is prompted to call tools in, where the client chooses it (the
    embedded engine: a family's own, ``functions`` or ``react``; see ``client._tool_formats``)."""


# --- stream events: what LLMClient.stream yields -------------------------------------------


class TextDelta(Record):
    kind: Literal["text"] = "text"
    text: str


class ReasoningDelta(Record):
    kind: Literal["reasoning"] = "reasoning"
    text: str


class ToolCallReady(Record):
    kind: Literal["tool_call"] = "tool_call"
    call: ToolCall


class Usage(Record):
    kind: Literal["usage"] = "usage"
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Done(Record):
    kind: Literal["done"] = "done"
    finish_reason: str = "stop"


StreamEvent = Annotated[
    Union[TextDelta, ReasoningDelta, ToolCallReady, Usage, Done],
    Field(discriminator="kind"),
]
