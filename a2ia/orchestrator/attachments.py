"""The MCP resources a person's message attaches (``@<server>:<uri>``, ``tools/resources.py``),
read and put after the message for the model; and, at the next message, the new content of an
attached resource its server said changed (a subscription).

Only the person's own text is read for mentions: the text of an MCP prompt or of a tool
result comes from a server, and must not make a2ia read another server's data. A resource
that cannot be read is said so, to the person and to the model, and the message goes on.
"""

from __future__ import annotations

from a2ia.errors import ServerRequestFailed
from a2ia.orchestrator.events import Notice
from a2ia.orchestrator.session import SessionState
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.resources import Mention, attachment, find_mentions


async def attach_resources(tools: ToolRegistry, state: SessionState, text: str) -> tuple[str, list[Notice]]:
    """``text`` with the attached resources after it, and what to tell the person."""
    blocks: list[str] = []
    notices: list[Notice] = []
    mentions = find_mentions(text, tools.resource_servers(), {r.uri for r in tools.resources()})
    for mention, seen in list(state.attached.items()):
        version = tools.resource_version(mention.server, mention.uri)
        if version <= seen or mention in mentions:
            continue
        state.attached[mention] = version
        try:
            content = await tools.read_resource(mention.server, mention.uri)
        except ServerRequestFailed as exc:
            notices.append(Notice(level="warning", text=f"{mention.text} changed, and could not be read again: {exc.message}"))
            continue
        blocks.append(attachment(mention, content, changed=True))
        notices.append(Notice(text=f"{mention.text} changed since it was attached; the model gets its new content"))
    for mention in mentions:
        block, notice = await _attach(tools, state, mention)
        blocks.append(block)
        notices.append(notice)
    return ("\n\n".join([text, *blocks]) if blocks else text), notices


async def _attach(tools: ToolRegistry, state: SessionState, mention: Mention) -> tuple[str, Notice]:
    try:
        content = await tools.read_resource(mention.server, mention.uri)
    except ServerRequestFailed as exc:
        return (f"[resource {mention.text} could not be read: {exc.message}]",
                Notice(level="warning", text=f"could not attach {mention.text}: {exc.message}"))
    watched = await tools.subscribe(mention.server, mention.uri)
    if watched:
        state.attached[mention] = tools.resource_version(mention.server, mention.uri)
    shown = f"attached {mention.text} ({len(content):,} characters" + ("; its changes are followed)" if watched else ")")
    return attachment(mention, content), Notice(text=shown)
