"""MCP resources as attachments: ``@<server>:<uri>`` in what the person types.

A server's resources are data it can be asked for by URI (a file, a database row, a page);
its templates are URI patterns (``demo://item/{id}``) that name many. The person attaches
one by writing ``@<server>:<uri>`` anywhere in a message; a2ia reads it from that server and
the model gets its content after the message. Only the name of a connected server makes a
mention, so ``me@example.com:8080`` or an ``@decorator:`` in pasted code stays text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection
from dataclasses import dataclass

from mcp_types import BlobResourceContents, ReadResourceResult, Resource, ResourceTemplate, TextResourceContents

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_][A-Za-z0-9_.-]*):(\S+)")
TRAILING = ".,;:!?)]}'\""  # punctuation after a mention ends the sentence, not the URI


@dataclass(frozen=True)
class ServerResource:
    server: str
    uri: str
    name: str
    description: str
    mime_type: str

    @property
    def mention(self) -> str:
        return f"@{self.server}:{self.uri}"


@dataclass(frozen=True)
class ServerTemplate:
    server: str
    uri_template: str
    name: str
    description: str

    @property
    def prefix(self) -> str:
        """The URI up to its first variable: what completion offers to type on from."""
        return self.uri_template.split("{", 1)[0]


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def server_resource(server: str, resource: Resource) -> ServerResource:
    return ServerResource(server, resource.uri, _one_line(resource.title or resource.name),
                          _one_line(resource.description), resource.mime_type or "")


def server_template(server: str, template: ResourceTemplate) -> ServerTemplate:
    return ServerTemplate(server, template.uri_template, _one_line(template.title or template.name),
                          _one_line(template.description))


@dataclass(frozen=True)
class Mention:
    server: str
    uri: str

    @property
    def text(self) -> str:
        return f"@{self.server}:{self.uri}"


def find_mentions(text: str, servers: Collection[str], known_uris: Collection[str] = ()) -> list[Mention]:
    """The resources ``text`` attaches, each once, in order. A URI keeps a trailing punctuation
    mark only when a server lists it with that mark."""
    found: dict[Mention, None] = {}
    for match in MENTION.finditer(text):
        server, uri = match.group(1), match.group(2)
        if server not in servers:
            continue
        while uri and uri not in known_uris and uri[-1] in TRAILING:
            uri = uri[:-1]
        if uri:
            found[Mention(server, uri)] = None
    return list(found)


def contents_text(result: ReadResourceResult) -> str:
    """What the model reads of a resource: its text parts; a binary part is described, not shown."""
    parts = []
    for item in result.contents:
        if isinstance(item, TextResourceContents):
            parts.append(item.text)
        elif isinstance(item, BlobResourceContents):
            parts.append(_blob_text(item))
    return "\n".join(parts)


def _blob_text(item: BlobResourceContents) -> str:
    """A text type sent as base64 is read as text; other data is described, with its size."""
    mime = item.mime_type or "binary"
    try:
        data = base64.b64decode(item.blob, validate=True)
    except ValueError:  # not base64 (binascii.Error), or not even ASCII
        return f"[{item.uri}: {mime} data that is not valid base64; not shown]"
    if mime.startswith("text/") or mime in ("application/json", "application/xml"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return f"[{item.uri}: {mime} data, {len(data):,} bytes; not shown to a text model]"


def attachment(mention: Mention, text: str, changed: bool = False) -> str:
    """The block the model gets after the message, marked so it knows where it came from."""
    heading = f"[resource {mention.text}" + (" changed since it was attached; it now reads" if changed else "") + "]"
    return f"{heading}\n{text}\n[end of {mention.text}]"
