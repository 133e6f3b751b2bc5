"""``ToolRegistry``: the one owner of every MCP client session a2ia holds.

Each server (the builtin one in-process, stdio servers, streamable-HTTP servers) is owned by a
task of its own that opens the SDK ``Client``, keeps it while a2ia runs and closes it, so a
slow or broken server delays nothing else: servers connect concurrently, each within its
connect timeout, and one that fails is reported with its reason, never fatal.

Calls are routed by the name the model sees: a tool's own name, or ``server__tool`` when two
servers offer the same name. Each call has a timeout. A stdio server that dies is restarted
once; the call that was in flight gets a tool error that says so. ``tools/list_changed``
refreshes that server's tools. Progress notifications reach the caller's callback. MCP
content (text, images, resources, links, structured content, ``is_error``) becomes a
``ToolResult`` the model can read, its head and tail when it is longer than ``MAX_RESULT_CHARS``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

import anyio
import httpx2
import platformdirs
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError, SubscriptionLost
from mcp.server import MCPServer
from mcp_types import (
    CONNECTION_CLOSED,
    REQUEST_TIMEOUT,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
    Tool,
    ToolListChangedNotification,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from a2ia.sandbox.base import Sandbox
from a2ia.text import head_and_tail
from a2ia.tools.mcp_config import BrokenServer, HttpServer, ServerConfig, StdioServer
from a2ia.types import ToolAnnotations, ToolCall, ToolResult, ToolSpec

if sys.version_info < (3, 11):  # anyio brings the backport
    from exceptiongroup import BaseExceptionGroup

log = logging.getLogger(__name__)

DEFAULT_CALL_TIMEOUT_S = 120.0
MAX_RESULT_CHARS = 64_000  # a tool's answer beyond this keeps its head and tail (builtin tools cap at 32,000)
DEFAULT_CONNECT_TIMEOUT_S = 30.0
CLOSE_GRACE_S = 5.0
SEPARATOR = "__"

State = Literal["connecting", "connected", "failed", "stopped"]
ProgressFn = Callable[[float, "float | None", "str | None"], Awaitable[None]]


@dataclass
class ServerStatus:
    """What ``a2ia-cli mcp list`` shows for one server."""

    name: str
    kind: Literal["builtin", "stdio", "http"]
    state: State
    error: str | None
    tools: list[str]
    source: str = ""


@dataclass
class _Server:
    name: str
    target: MCPServer | ServerConfig
    timeout_s: float
    state: State = "connecting"
    error: str | None = None
    client: Client | None = None
    tools: list[Tool] = field(default_factory=list)
    restarts_left: int = 1
    lost: Client | None = None  # the session whose death was counted (calls in flight share it)
    ready: anyio.Event = field(default_factory=anyio.Event)
    wake: anyio.Event = field(default_factory=anyio.Event)
    stopping: bool = False
    restart: bool = False
    running: bool = False
    scope: anyio.CancelScope | None = None

    @property
    def kind(self) -> Literal["builtin", "stdio", "http"]:
        if isinstance(self.target, StdioServer):
            return "stdio"
        return "http" if isinstance(self.target, HttpServer) else "builtin"

    @property
    def trusted(self) -> bool:
        """a2ia's own in-process server, or one whose config says ``"trust": true``."""
        return self.target.trust if isinstance(self.target, (StdioServer, HttpServer)) else True

    def offered(self) -> list[Tool]:
        config = self.target if isinstance(self.target, (StdioServer, HttpServer)) else None
        return [t for t in self.tools if config is None or config.offers(t.name)]


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:300] + "…"


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


def result_text(result: CallToolResult) -> str:
    """Every kind of MCP content as text the model can read."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, ImageContent):
            parts.append(f"[image {block.mime_type}, {len(block.data) * 3 // 4} bytes; not shown to a text model]")
        elif isinstance(block, EmbeddedResource):
            resource = block.resource
            if isinstance(resource, TextResourceContents):
                parts.append(f"[resource {resource.uri}]\n{resource.text}")
            else:
                parts.append(f"[resource {resource.uri} ({resource.mime_type or 'binary'}), not text]")
        elif isinstance(block, ResourceLink):
            parts.append(f"[resource link {block.name}: {block.uri}" + (f" ({block.description})]" if block.description else "]"))
        else:
            parts.append(f"[{getattr(block, 'type', 'unknown')} content]")
    if result.structured_content is not None and not any(isinstance(b, TextContent) for b in result.content):
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)


class ToolRegistry:
    """Use as ``async with ToolRegistry() as tools: await tools.add_server(...)``."""

    def __init__(
        self,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        log_dir: Path | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.sandbox = sandbox  # confines stdio servers configured "sandbox": true
        self.call_timeout_s = call_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.log_dir = log_dir
        self._servers: dict[str, _Server] = {}
        self._tg: anyio.abc.TaskGroup | None = None
        self._routes: dict[str, tuple[_Server, str]] | None = None
        self._specs: dict[str, ToolSpec] = {}
        self._specs_for: dict[str, tuple[_Server, str]] | None = None  # the route table they were built from
        self._logs: list[TextIO] = []

    async def __aenter__(self) -> ToolRegistry:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for server in self._servers.values():
            server.stopping = True
            server.wake.set()
        with anyio.move_on_after(CLOSE_GRACE_S):
            for server in self._servers.values():
                await server.ready.wait()
        for server in self._servers.values():
            if server.scope is not None and server.state != "stopped":
                server.scope.cancel()
        assert self._tg is not None
        await self._tg.__aexit__(None, None, None)
        for handle in self._logs:
            handle.close()

    # --- connecting ----------------------------------------------------------------------------

    async def add_server(self, name: str, target: MCPServer | ServerConfig | BrokenServer) -> ServerStatus:
        """Connect one server and wait until it is connected or has failed."""
        await self.add_servers({name: target})
        return self.status(name)

    async def add_servers(self, targets: dict[str, MCPServer | ServerConfig | BrokenServer]) -> None:
        """Connect servers concurrently; returns when each is connected or has failed."""
        assert self._tg is not None, "use ToolRegistry as an async context manager"
        started = []
        for name, target in targets.items():
            if isinstance(target, BrokenServer):
                server = _Server(name, target=StdioServer(command="", source=target.source), timeout_s=0)
                server.state, server.error = "failed", target.error
                server.ready.set()
                self._servers[name] = server
                continue
            timeout = getattr(target, "timeout_s", None) or self.connect_timeout_s
            server = _Server(name, target=target, timeout_s=timeout)
            self._servers[name] = server
            self._tg.start_soon(self._own, server, name=f"mcp-{name}")
            started.append(server)
        for server in started:
            await server.ready.wait()
        self._routes = None

    def _transport(self, server: _Server) -> Any:
        target = server.target
        if isinstance(target, StdioServer):
            command, args = target.command, list(target.args)
            if target.sandbox:
                if self.sandbox is None:
                    raise RuntimeError("it is configured \"sandbox\": true, and the sandbox is not available here (a2ia-cli doctor)")
                command, args = self.sandbox.server(command, args, target.cwd)
            params = StdioServerParameters(command=command, args=args, env=target.env or None, cwd=target.cwd)
            return stdio_client(params, errlog=self._errlog(server.name))
        if isinstance(target, HttpServer):
            http = httpx2.AsyncClient(headers=target.headers, timeout=httpx2.Timeout(30.0, read=300.0))
            return streamable_http_client(target.url, http_client=http)
        return target

    def _errlog(self, name: str) -> TextIO:
        """Where a stdio server's stderr goes: a log file per server, not the person's terminal."""
        folder = self.log_dir or platformdirs.user_log_path("a2ia")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = (folder / f"mcp-{name}.log").open("a", encoding="utf-8")
        except OSError:
            handle = open(os.devnull, "w")  # noqa: SIM115 - closed in __aexit__
        self._logs.append(handle)
        return handle

    async def _own(self, server: _Server) -> None:
        """The task that holds one server's session; reconnects when asked to restart."""
        server.running = True
        try:
            await self._hold(server)
        finally:
            server.running = False

    async def _hold(self, server: _Server) -> None:
        while True:
            server.state, server.error = "connecting", None
            with anyio.CancelScope() as scope:
                server.scope = scope
                scope.deadline = anyio.current_time() + server.timeout_s
                try:
                    client = Client(self._transport(server), read_timeout_seconds=server.timeout_s, message_handler=self._on_message(server))
                    async with client, anyio.create_task_group() as listeners:
                        listing = await client.list_tools()
                        await listeners.start(self._listen, server, client)
                        scope.deadline = math.inf
                        server.client, server.tools, server.state = client, list(listing.tools), "connected"
                        self._routes = None
                        server.ready.set()
                        await server.wake.wait()
                        listeners.cancel_scope.cancel()
                except Exception as exc:  # noqa: BLE001 - reported as the server's status
                    server.state, server.error = "failed", _describe(exc)
                    log.debug("MCP server %s failed", server.name, exc_info=True)
            if scope.cancelled_caught and server.state == "connecting":
                server.state, server.error = "failed", f"did not answer within {server.timeout_s:g} s"
            server.client = None
            self._routes = None
            if server.state == "connected":
                server.state = "stopped"
            if server.stopping or not server.restart:
                server.ready.set()
                return
            # Restarting: `ready` stays unset until the new session is up, so calls wait for it.
            server.restart, server.wake = False, anyio.Event()

    async def _listen(self, server: _Server, client: Client, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """On 2026-07-28 connections, tool-list changes come through ``subscriptions/listen``.

        Reports itself started once the server acknowledged the subscription (there is no
        replay: a change before that would be missed).
        """
        capability = client.server_capabilities.tools
        if client.protocol_version not in MODERN_PROTOCOL_VERSIONS or not (capability and capability.list_changed):
            task_status.started()
            return  # earlier versions notify through the message handler (_on_message)
        acknowledged = False
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                acknowledged = True
                task_status.started()
                async for _event in subscription:
                    await self._refresh(server)
        except (ListenNotSupportedError, SubscriptionLost, MCPError, TimeoutError) as exc:
            log.debug("no tool-list subscription for MCP server %s: %s", server.name, exc)
            if not acknowledged:
                task_status.started()

    def _on_message(self, server: _Server) -> Callable[[Any], Awaitable[None]]:
        async def handle(message: Any) -> None:
            if isinstance(message, ToolListChangedNotification) and server.client is not None and self._tg is not None:
                self._tg.start_soon(self._refresh, server)

        return handle

    async def _refresh(self, server: _Server) -> None:
        client = server.client
        if client is None:
            return
        try:
            server.tools = list((await client.list_tools(cache_mode="refresh")).tools)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not refresh the tools of MCP server %s: %s", server.name, _describe(exc))
        self._routes = None

    # --- what the model is offered ------------------------------------------------------------

    def _route_table(self) -> dict[str, tuple[_Server, str]]:
        if self._routes is None:
            # A server being restarted keeps its routes: a call then waits for it to come back.
            live = ("connected", "connecting")
            offered = [(s, t) for s in self._servers.values() if s.state in live for t in s.offered()]
            counts: dict[str, int] = {}
            for _, tool in offered:
                counts[tool.name] = counts.get(tool.name, 0) + 1
            self._routes = {
                (tool.name if counts[tool.name] == 1 else f"{server.name}{SEPARATOR}{tool.name}"): (server, tool.name)
                for server, tool in offered
            }
        return self._routes

    def _spec_table(self) -> dict[str, ToolSpec]:
        """The specs, built once per route table: the same objects every step until a list changes
        (with 200 tools, rebuilding them cost ~1.5 ms a step, and the budget counts specs by identity)."""
        routes = self._route_table()
        if self._specs_for is not routes:
            self._specs = {
                name: spec_from_mcp(self._tool(s, t), s.name, name, trusted=s.trusted, builtin=s.kind == "builtin")
                for name, (s, t) in routes.items()
            }
            self._specs_for = routes
        return self._specs

    def specs(self) -> list[ToolSpec]:
        return list(self._spec_table().values())

    def spec(self, name: str) -> ToolSpec | None:
        return self._spec_table().get(name)

    @staticmethod
    def _tool(server: _Server, name: str) -> Tool:
        return next(t for t in server.tools if t.name == name)

    def status(self, name: str) -> ServerStatus:
        server = self._servers[name]
        source = getattr(server.target, "source", "")
        return ServerStatus(name, server.kind, server.state, server.error, [t.name for t in server.offered()], source)

    def statuses(self) -> list[ServerStatus]:
        return [self.status(name) for name in self._servers]

    # --- calling -------------------------------------------------------------------------------

    async def call(self, call: ToolCall, progress: ProgressFn | None = None) -> ToolResult:
        route = self._route_table().get(call.name)
        if route is None:
            offered = ", ".join(sorted(self._route_table())) or "none"
            return ToolResult(call_id=call.id, content=f"unknown tool {call.name!r}; the tools are: {offered}", is_error=True)
        server, tool = route
        if server.state == "connecting":
            with anyio.move_on_after(server.timeout_s):
                await server.ready.wait()
        client = server.client
        if client is None:
            return self._error(call, f"the MCP server {server.name!r} is not connected ({server.error or server.state})")
        try:
            result = await client.call_tool(tool, call.arguments, read_timeout_seconds=self.call_timeout_s, progress_callback=progress)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                return self._error(call, f"{call.name} did not answer within {self.call_timeout_s:g} s")
            if exc.code == CONNECTION_CLOSED:
                return self._error(call, self._lost(server, client))
            return self._error(call, f"{call.name} failed: {exc}")
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError) as exc:
            return self._error(call, self._lost(server, client, exc))
        # A server may answer megabytes: the model, the session file and memory get head and tail.
        text = head_and_tail(result_text(result), MAX_RESULT_CHARS, "of the tool's answer cut")
        return ToolResult(call_id=call.id, content=text, is_error=bool(result.is_error))

    @staticmethod
    def _error(call: ToolCall, text: str) -> ToolResult:
        return ToolResult(call_id=call.id, content=text, is_error=True)

    def _lost(self, server: _Server, client: Client, exc: BaseException | None = None) -> str:
        """The server died during a call: restart it once, and say what happened.

        ``client`` is the session the call was made on. Calls in flight together all lose it: the
        first one counts the death (and restarts the server); the others only report it.
        """
        why = f" ({_describe(exc)})" if exc else ""
        if server.lost is client:  # this death was counted by another call
            if server.stopping:
                return f"the MCP server {server.name!r} stopped during this call{why}; it is not restarted a second time"
            return f"the MCP server {server.name!r} stopped during this call{why}; it is being restarted, the call was not completed"
        server.lost = client
        if server.restarts_left > 0 and not server.stopping:
            server.restarts_left -= 1
            server.state, server.client, server.ready = "connecting", None, anyio.Event()
            if server.running:
                server.restart = True
                server.wake.set()
            elif self._tg is not None:
                server.restart, server.wake = False, anyio.Event()
                self._tg.start_soon(self._own, server)
            return f"the MCP server {server.name!r} stopped during this call{why}; it is being restarted, the call was not completed"
        server.stopping = True
        server.wake.set()
        return f"the MCP server {server.name!r} stopped again during this call{why}; it is not restarted a second time"
