"""``ChangeListener``: one MCP server's change notifications, and its resource subscriptions.

A server says a list changed (tools, prompts, resources) or that a subscribed resource was
updated. Through protocol 2025-11-25 it sends these as notifications (``on_message``) and a
client subscribes to a resource with ``resources/subscribe``; on 2026-07-28 connections the
client opens ``subscriptions/listen`` streams and the changes come through them. Either way
a changed list is listed again (``catalog.update_listing``) and an updated resource is
reported to ``on_updated(server, uri)``.

A subscription outlives its session: after a restart each resource is subscribed again. A
listen stream reports itself started once the server acknowledged it (there is no replay:
a change before that would be missed).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc
from mcp import Client, MCPError
from mcp.client.subscriptions import (
    ListenNotSupportedError,
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    SubscriptionLost,
    ToolsListChanged,
)
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import (
    PromptListChangedNotification,
    ResourceListChangedNotification,
    ResourceUpdatedNotification,
    ToolListChangedNotification,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from a2ia.tools.catalog import Catalog, Listing, update_listing
from a2ia.tools.mcp_content import describe_error

log = logging.getLogger(__name__)

LISTEN_FAILURES = (ListenNotSupportedError, SubscriptionLost, MCPError, TimeoutError)
CHANGED: dict[type, tuple[Listing, ...]] = {
    ToolListChangedNotification: ("tools",), ToolsListChanged: ("tools",),
    PromptListChangedNotification: ("prompts",), PromptsListChanged: ("prompts",),
    ResourceListChangedNotification: ("resources", "templates"), ResourcesListChanged: ("resources", "templates"),
}


def modern(client: Client) -> bool:
    return client.protocol_version in MODERN_PROTOCOL_VERSIONS


class ChangeListener:
    """``client`` and ``catalog`` read the supervisor's current session; ``on_change`` is told
    when the tools changed (the registry's routes are rebuilt)."""

    def __init__(
        self,
        server: str,
        client: Callable[[], Client | None],
        catalog: Callable[[], Catalog],
        spawn: Callable[[Callable[[], Awaitable[None]]], None],
        on_change: Callable[[], None],
        on_updated: Callable[[str, str], None],
    ) -> None:
        self.server = server
        self._client, self._catalog, self._spawn = client, catalog, spawn
        self._on_change, self._on_updated = on_change, on_updated
        self.subscribed: set[str] = set()
        self._listeners: anyio.abc.TaskGroup | None = None

    async def begin(self, client: Client, listeners: anyio.abc.TaskGroup) -> None:
        """A new session: listen for its list changes, subscribe again to what was subscribed."""
        self._listeners = listeners
        await listeners.start(self._listen_lists, client)
        for uri in sorted(self.subscribed):
            await self._subscribe_on(client, uri)

    # --- lists --------------------------------------------------------------------------------------

    async def refresh(self, *listings: Listing) -> None:
        client = self._client()
        if client is None:
            return
        for listing in listings:
            await update_listing(client, self._catalog(), listing, self.server, refresh=True)
        if "tools" in listings:
            self._on_change()

    async def on_message(self, message: Any) -> None:
        """Notifications of servers on protocols up to 2025-11-25 (a 2026 session also passes
        its listen streams' events here: those are taken from the streams)."""
        client = self._client()
        if client is None or modern(client):
            return
        if isinstance(message, ResourceUpdatedNotification):
            self._on_updated(self.server, str(message.params.uri))
        elif listings := CHANGED.get(type(message)):
            self._spawn(lambda: self.refresh(*listings))

    async def _listen_lists(self, client: Client, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        capabilities = client.server_capabilities
        wanted = {
            "tools_list_changed": bool(capabilities.tools and capabilities.tools.list_changed),
            "prompts_list_changed": bool(capabilities.prompts and capabilities.prompts.list_changed),
            "resources_list_changed": bool(capabilities.resources and capabilities.resources.list_changed),
        }
        if not modern(client) or not any(wanted.values()):
            task_status.started()
            return
        acknowledged = False
        try:
            async with client.listen(**wanted) as subscription:
                acknowledged = True
                task_status.started()
                async for event in subscription:
                    if listings := CHANGED.get(type(event)):
                        await self.refresh(*listings)
        except LISTEN_FAILURES as exc:
            log.debug("no list-change subscription for MCP server %s: %s", self.server, exc)
            if not acknowledged:
                task_status.started()

    # --- resources ----------------------------------------------------------------------------------

    async def subscribe(self, uri: str) -> bool:
        """Ask to be told when ``uri`` changes; whether the server agreed (once is enough)."""
        client = self._client()
        if uri in self.subscribed:
            return True
        if client is None or not await self._subscribe_on(client, uri):
            return False
        self.subscribed.add(uri)
        return True

    async def _subscribe_on(self, client: Client, uri: str) -> bool:
        resources = client.server_capabilities.resources
        try:
            if modern(client):
                if self._listeners is None:
                    return False
                return bool(await self._listeners.start(self._listen_resource, client, uri))
            if not (resources and resources.subscribe):
                return False
            with warnings.catch_warnings():  # resources/subscribe is how 2025 servers do it
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await client.subscribe_resource(uri)
            return True
        except Exception as exc:  # noqa: BLE001 - the resource is attached all the same, unwatched
            log.debug("MCP server %s: no subscription to %s: %s", self.server, uri, describe_error(exc))
            return False

    async def _listen_resource(self, client: Client, uri: str, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        started = False
        try:
            async with client.listen(resource_subscriptions=[uri]) as subscription:
                honored = subscription.honored
                started = True
                task_status.started(bool(honored and uri in (honored.resource_subscriptions or ())))
                async for event in subscription:
                    if isinstance(event, ResourceUpdated):
                        self._on_updated(self.server, event.uri)
        except LISTEN_FAILURES as exc:
            log.debug("MCP server %s: the subscription to %s ended: %s", self.server, uri, exc)
            if not started:
                task_status.started(False)
