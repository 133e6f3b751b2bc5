"""What one MCP server offers: its tools, prompts, resources and resource templates.

Listed when a session starts (tools must list, or the server has failed; the others are
listed only when the server declares them, and a listing that fails leaves them out) and
again when the server says a list changed. Lists are paged by the server: a2ia follows the
cursor up to ``MAX_PAGES`` pages, since a server is outside input and could page for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp import Client
from mcp_types import Prompt, Resource, ResourceTemplate, Tool

from a2ia.tools.mcp_content import describe_error

log = logging.getLogger(__name__)

MAX_PAGES = 50
Listing = Literal["tools", "prompts", "resources", "templates"]


@dataclass
class Catalog:
    tools: list[Tool] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    templates: list[ResourceTemplate] = field(default_factory=list)


def declared(client: Client, listing: Listing) -> bool:
    """Whether the server says it has this kind of list (tools are always asked for)."""
    capabilities = client.server_capabilities
    if listing == "prompts":
        return capabilities.prompts is not None
    if listing in ("resources", "templates"):
        return capabilities.resources is not None
    return True


async def _pages(fetch: Callable[..., Awaitable[Any]], items: str, refresh: bool) -> list[Any]:
    found: list[Any] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await fetch(cursor=cursor, cache_mode="refresh" if refresh else "use")
        found.extend(getattr(page, items))
        cursor = page.next_cursor
        if not cursor:
            break
    return found


async def fetch_listing(client: Client, listing: Listing, refresh: bool = False) -> list[Any]:
    """One whole list from the server (every page); raises what the SDK raises."""
    if listing == "tools":
        return await _pages(client.list_tools, "tools", refresh)
    if listing == "prompts":
        return await _pages(client.list_prompts, "prompts", refresh)
    if listing == "resources":
        return await _pages(client.list_resources, "resources", refresh)
    return await _pages(client.list_resource_templates, "resource_templates", refresh)


async def load_catalog(client: Client, server: str) -> Catalog:
    """Everything a new session offers; the tools must list (else the connection failed)."""
    catalog = Catalog(tools=await fetch_listing(client, "tools"))
    for listing in ("prompts", "resources", "templates"):
        await update_listing(client, catalog, listing, server)
    return catalog


async def update_listing(client: Client, catalog: Catalog, listing: Listing, server: str, refresh: bool = False) -> None:
    """List one kind again; a listing that fails keeps the old one (its tools still work)."""
    if not declared(client, listing):
        setattr(catalog, listing, [])
        return
    try:
        setattr(catalog, listing, await fetch_listing(client, listing, refresh))
    except Exception as exc:  # noqa: BLE001 - the server's other lists still work
        log.warning("could not list the %s of MCP server %s: %s", listing, server, describe_error(exc))
