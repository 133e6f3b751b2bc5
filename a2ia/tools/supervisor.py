"""``ServerSupervisor``: one MCP server's connection, as an explicit state machine.

::

    connecting ──► ready ──► lost ──► restarting ──► ready …
        │            │         └────► failed        (no restart left: it died a second time)
        └──► failed  └──► stopping ──► stopped      (stop(): a2ia closes, or the server is disconnected)

Every change of state goes through ``_enter`` and is checked against ``TRANSITIONS``; the
table is the whole life of a connection. ``stopping`` may also follow ``connecting`` and
``restarting``, and ``failed`` may lead to ``lost``: a call that was in flight when its
session broke reports the loss after the supervisor saw the failure.

The supervisor's task (``run``) holds the SDK ``Client`` from connection to close, so a slow
or broken server delays nothing else. A call that sees the session die reports it with
``lost``: calls in flight together lose the same session, and only the first one counts the
death (and restarts the server, once). While a server restarts, ``ready`` is unset, so calls
wait for the new session rather than fail.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import anyio
from mcp import Client
from mcp.server import MCPServer
from mcp_types import Tool

from a2ia.tools.catalog import Catalog, load_catalog
from a2ia.tools.changes import ChangeListener
from a2ia.tools.mcp_config import HttpServer, ServerConfig, StdioServer
from a2ia.tools.mcp_content import describe_error

log = logging.getLogger(__name__)

Phase = Literal["connecting", "ready", "lost", "restarting", "stopping", "failed", "stopped"]
Kind = Literal["builtin", "stdio", "http"]

TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    "connecting": frozenset({"ready", "failed", "stopping"}),
    "ready": frozenset({"lost", "failed", "stopping"}),
    "lost": frozenset({"restarting", "failed"}),
    "restarting": frozenset({"ready", "failed", "stopping"}),
    "failed": frozenset({"lost"}),
    "stopping": frozenset({"stopped"}),
    "stopped": frozenset(),
}
LIVE: frozenset[Phase] = frozenset({"connecting", "ready", "restarting"})
"""Phases whose tools are offered: a server being restarted keeps them, and a call waits for it."""

RESTARTS = 1


class InvalidTransition(RuntimeError):
    """A change of state the table does not allow: a bug in the supervisor, never the server's doing."""


class ServerSupervisor:
    """One server's connection. ``transport`` makes a new one for each session (a stdio process,
    an HTTP client, or the in-process server); ``spawn`` starts a task in the registry's task
    group; ``on_change`` is told whenever the state or the tool list changes."""

    def __init__(
        self,
        name: str,
        target: MCPServer | ServerConfig,
        *,
        timeout_s: float,
        transport: Callable[[], Any],
        spawn: Callable[[Callable[[], Awaitable[None]]], None],
        on_change: Callable[[], None],
        on_updated: Callable[[str, str], None] = lambda server, uri: None,
        client_options: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        self.name, self.target, self.timeout_s = name, target, timeout_s
        self._transport, self._spawn, self._on_change = transport, spawn, on_change
        self.state: Phase = "failed" if error else "connecting"
        self.error = error
        self.client: Client | None = None
        self.catalog = Catalog()
        self._client_options = client_options or {}  # the callbacks a2ia answers servers' requests with
        self.changes = ChangeListener(name, lambda: self.client, lambda: self.catalog, spawn, on_change, on_updated)
        self.ready = anyio.Event()  # set once ready, failed or stopped: what callers wait for
        self._wake = anyio.Event()  # ends the session held by the task
        self._exited = anyio.Event()
        self._running = False
        self._restarts_left = RESTARTS
        self._counted: Client | None = None  # the session whose death was counted
        self._scope: anyio.CancelScope | None = None
        if error:
            self.ready.set()
            self._exited.set()

    # --- what the registry reads ----------------------------------------------------------------

    @property
    def kind(self) -> Kind:
        if isinstance(self.target, StdioServer):
            return "stdio"
        return "http" if isinstance(self.target, HttpServer) else "builtin"

    @property
    def trusted(self) -> bool:
        """a2ia's own in-process server, or one whose config says ``"trust": true``."""
        return self.target.trust if isinstance(self.target, (StdioServer, HttpServer)) else True

    def offered(self) -> list[Tool]:
        config = self.target if isinstance(self.target, (StdioServer, HttpServer)) else None
        return [t for t in self.catalog.tools if config is None or config.offers(t.name)]

    # --- transitions ------------------------------------------------------------------------------

    def _enter(self, state: Phase, error: str | None = None) -> None:
        if state not in TRANSITIONS[self.state]:
            raise InvalidTransition(f"MCP server {self.name!r}: {self.state} → {state}")
        log.debug("MCP server %s: %s → %s%s", self.name, self.state, state, f" ({error})" if error else "")
        self.state, self.error = state, error
        self._on_change()

    def start(self) -> None:
        self._running, self._exited = True, anyio.Event()
        self._spawn(self.run)

    def stop(self) -> None:
        """Close the session (the task does it); a failed or stopped server stays as it is."""
        if self.state in ("failed", "stopping", "stopped"):
            return
        self._enter("stopping")
        self._wake.set()
        if not self._running:
            self._enter("stopped")
            self.ready.set()

    async def close(self, grace_s: float) -> None:
        """Stop, and wait until the session is closed: cancelled after ``grace_s`` seconds."""
        self.stop()
        with anyio.move_on_after(grace_s):
            await self._exited.wait()
        self.cancel()
        await self._exited.wait()

    def cancel(self) -> None:
        if self._running and self._scope is not None:
            self._scope.cancel()

    def lost(self, client: Client, exc: BaseException | None = None) -> str:
        """A call on ``client`` saw the session die: restart the server once; say what happened."""
        why = f" ({describe_error(exc)})" if exc else ""
        where = f"the MCP server {self.name!r} stopped"
        restarting = f"{where} during this call{why}; it is being restarted, the call was not completed"
        if self._counted is client or self.state in ("connecting", "restarting"):
            # Counted by another call in flight on the same session (or a newer one is coming).
            if self.state in LIVE:
                return restarting
            if self.state == "failed":
                return f"{where} during this call{why}; it is not restarted a second time"
            return f"{where} during this call{why}; a2ia is closing it"
        self._counted = client
        if self.state not in ("ready", "failed"):  # stopping: a2ia is closing it anyway
            return f"{where} during this call{why}; a2ia is closing it"
        self._enter("lost")
        if self._restarts_left <= 0:
            self._enter("failed", "it stopped during a call a second time; not restarted")
            self._wake.set()
            return f"{where} again during this call{why}; it is not restarted a second time"
        self._restarts_left -= 1
        self._enter("restarting")
        self.client, self.ready = None, anyio.Event()
        if self._running:
            self._wake.set()  # the task closes the dead session and connects again
        else:
            self._wake = anyio.Event()
            self.start()
        return restarting

    # --- the task that holds the session ------------------------------------------------------------

    async def run(self) -> None:
        try:
            while True:
                await self._session()
                if self.state != "restarting":
                    return
                self._wake = anyio.Event()
        finally:
            self._running, self.client = False, None
            if self.state in ("connecting", "ready", "restarting"):  # cancelled from outside
                self._enter("stopping")
            if self.state == "stopping":
                self._enter("stopped")
            self.ready.set()
            self._exited.set()

    async def _session(self) -> None:
        """One session: connect, list what it offers, hold it until woken. Failures become the state."""
        if self.state == "stopping":  # stopped before it began
            return
        woken = self._wake
        with anyio.CancelScope() as scope:
            self._scope = scope
            scope.deadline = anyio.current_time() + self.timeout_s
            try:
                client = Client(self._transport(), read_timeout_seconds=self.timeout_s, message_handler=self.changes.on_message,
                                **self._client_options)
                async with client, anyio.create_task_group() as listeners:
                    self.catalog = await load_catalog(client, self.name)
                    self.client = client
                    await self.changes.begin(client, listeners)
                    scope.deadline = math.inf
                    if self.state in ("connecting", "restarting"):
                        self._enter("ready")
                        self.ready.set()
                    await woken.wait()
                    listeners.cancel_scope.cancel()
            except Exception as exc:  # noqa: BLE001 - reported as the server's state
                log.debug("MCP server %s failed", self.name, exc_info=True)
                if not woken.is_set() and self.state in LIVE:
                    self._enter("failed", describe_error(exc))
        if scope.cancelled_caught and not woken.is_set() and self.state in ("connecting", "restarting"):
            self._enter("failed", f"did not answer within {self.timeout_s:g} s")
        self.client = None
        self._on_change()
