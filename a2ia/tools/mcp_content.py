"""MCP's data as a2ia's: a server's ``Tool`` as the ``ToolSpec`` the model is offered, a
``CallToolResult`` as the text the model reads, a prompt's messages as conversation messages,
a connection failure as one line a person reads."""

from __future__ import annotations

import json
import sys

from mcp_types import (
    CallToolResult,
    EmbeddedResource,
    GetPromptResult,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
    Tool,
)

from a2ia.errors import A2iaError
from a2ia.hints import plain
from a2ia.types import Message, ToolAnnotations, ToolSpec

if sys.version_info < (3, 11):  # anyio brings the backport
    from exceptiongroup import BaseExceptionGroup

MAX_ERROR_CHARS = 300


def innermost(exc: BaseException) -> BaseException:
    """The first exception inside task-group wrappings: the one that says what happened."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe_error(exc: BaseException) -> str:
    """The innermost cause of a failed connection, short: what ``a2ia-cli mcp list`` shows."""
    exc = innermost(exc)
    if isinstance(exc, A2iaError):  # a2ia's own (a sign-in needed): its words and what to do
        return plain(f"{exc.message}; {exc.hint}" if exc.hint else exc.message)
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    text = str(exc) or type(exc).__name__
    return text if len(text) < MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + "…"


def spec_from_mcp(tool: Tool, server: str, name: str | None = None, *, trusted: bool = True, builtin: bool = False) -> ToolSpec:
    """The tool as offered to the model; an untrusted server's read-only claim is not believed."""
    hints = tool.annotations
    read_only = trusted and bool(hints and hints.read_only_hint)
    destructive = not read_only and (hints is None or hints.destructive_hint is not False)
    open_world = hints is None or hints.open_world_hint is not False
    return ToolSpec(
        name=name or tool.name,
        description=tool.description or "",
        input_schema=dict(tool.input_schema),
        annotations=ToolAnnotations(read_only=read_only, destructive=destructive, open_world=open_world),
        server=server,
        builtin=builtin,
    )


def block_text(block: object) -> str:
    """One block of MCP content as text the model can read."""
    if isinstance(block, TextContent):
        return block.text
    if isinstance(block, ImageContent):
        return f"[image {block.mime_type}, {len(block.data) * 3 // 4} bytes; not shown to a text model]"
    if isinstance(block, EmbeddedResource):
        resource = block.resource
        if isinstance(resource, TextResourceContents):
            return f"[resource {resource.uri}]\n{resource.text}"
        return f"[resource {resource.uri} ({resource.mime_type or 'binary'}), not text]"
    if isinstance(block, ResourceLink):
        return f"[resource link {block.name}: {block.uri}" + (f" ({block.description})]" if block.description else "]")
    return f"[{getattr(block, 'type', 'unknown')} content]"


def prompt_messages(result: GetPromptResult) -> list[Message]:
    """A prompt's messages as the conversation's: each role kept, each block as text."""
    return [
        Message(role="assistant" if m.role == "assistant" else "user", content=block_text(m.content))
        for m in result.messages
    ]


def result_text(result: CallToolResult) -> str:
    """Every kind of MCP content as text the model can read."""
    parts = [block_text(block) for block in result.content]
    if result.structured_content is not None and not any(isinstance(b, TextContent) for b in result.content):
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)
