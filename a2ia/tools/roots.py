"""MCP roots: the folders a2ia works in (the workspace root and the added folders), given to
a server that asks (``roots/list``), and ``notifications/roots/list_changed`` when one is added.

Declaring roots is declaring the capability: a server may then ask for them at any time. The
notification exists through protocol 2025-11-25; on 2026-07-28 connections it is gone (a
server asks again when it needs them), so it is sent to older sessions only.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import ListRootsResult, Root
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

log = logging.getLogger(__name__)

Folders = Callable[[], Sequence[Path]]


def roots_callback(folders: Folders):
    """The SDK's ``list_roots_callback``: the folders as ``file://`` roots, named by their last part."""

    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=path.as_uri(), name=path.name or str(path)) for path in folders()])

    return list_roots


async def tell_roots_changed(client: Client, server: str) -> bool:
    """Send ``roots/list_changed`` to a session that has it; whether it was sent."""
    if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return False
    try:
        with warnings.catch_warnings():  # deprecated by 2026-07-28, which older servers do not speak
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await client.send_roots_list_changed()
    except Exception as exc:  # noqa: BLE001 - the server asks for roots when it needs them anyway
        log.debug("MCP server %s: roots/list_changed not sent: %s", server, exc)
        return False
    return True
