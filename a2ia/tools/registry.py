"""``ToolRegistry``: the one owner of every MCP client session a2ia holds.

Each server (the builtin one in-process, stdio servers, streamable-HTTP servers) has a
``ServerSupervisor`` (``supervisor.py``: its connection as a state machine, restarts included),
whose task holds the SDK ``Client``: servers connect concurrently, each within its connect
timeout, and one that fails is reported with its reason, never fatal. ``disconnect`` closes one.

This module names and routes what the model calls: a tool's own name, or ``server__tool`` when
two servers offer the same name. Each call has a timeout; progress notifications reach the
caller's callback; a call whose session dies gets a tool error that says so (and the server is
restarted once). What a server offers besides tools is listed with them (``catalog.py``): its
prompts, got on request (``get_prompt``: the slash commands of ``tools/prompts.py``), and its
resources, read on request (``read_resource``: the ``@server:uri`` of ``tools/resources.py``)
and followed when subscribed (``resource_version`` counts a resource's changes). MCP content becomes a
``ToolResult`` the model can read (``mcp_content.py``),
its head and tail when it is longer than ``MAX_RESULT_CHARS``. Stdio servers' stderr goes to a
log file per server (``server_logs.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp import MCPError
from mcp.server import MCPServer
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, PromptReference, Tool

from a2ia.sandbox.base import Sandbox
from a2ia.text import head_and_tail
from a2ia.tools.asking import SESSION_ENDED, ask_server
from a2ia.tools.catalog import declared
from a2ia.tools.mcp_config import BrokenServer, ServerConfig, StdioServer
from a2ia.tools.mcp_content import prompt_messages, result_text, spec_from_mcp
from a2ia.tools.prompts import ArgumentAt, ServerPrompt, server_prompt
from a2ia.tools.resources import ServerResource, ServerTemplate, contents_text, server_resource, server_template
from a2ia.tools.roots import Folders, roots_callback, tell_roots_changed
from a2ia.tools.server_logs import ServerLogs
from a2ia.tools.supervisor import LIVE, Kind, Phase, ServerSupervisor
from a2ia.tools.transports import open_transport
from a2ia.types import Message, ToolCall, ToolResult, ToolSpec

DEFAULT_CALL_TIMEOUT_S = 120.0
MAX_RESULT_CHARS = 64_000  # a tool's answer beyond this keeps its head and tail (builtin tools cap at 32,000)
COMPLETION_TIMEOUT_S = 2.0  # a completion the person waits for at each Tab
MAX_COMPLETIONS = 100  # what the protocol allows in one answer
DEFAULT_CONNECT_TIMEOUT_S = 30.0
CLOSE_GRACE_S = 5.0
SEPARATOR = "__"

State = Literal["connecting", "connected", "restarting", "failed", "stopped"]
SHOWN_AS: dict[Phase, State] = {
    "connecting": "connecting", "ready": "connected", "lost": "restarting", "restarting": "restarting",
    "stopping": "stopped", "failed": "failed", "stopped": "stopped",
}
ProgressFn = Callable[[float, "float | None", "str | None"], Awaitable[None]]


@dataclass
class ServerStatus:
    """What ``a2ia-cli mcp list`` shows for one server."""

    name: str
    kind: Kind
    state: State
    error: str | None
    tools: list[str]
    source: str = ""
    prompts: list[str] = field(default_factory=list)  # each as its usage: /server:prompt <arg> [arg]
    resources: list[str] = field(default_factory=list)  # URIs
    templates: list[str] = field(default_factory=list)  # URI templates


class ToolRegistry:
    """Use as ``async with ToolRegistry() as tools: await tools.add_server(...)``."""

    def __init__(
        self,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        log_dir: Path | None = None,
        sandbox: Sandbox | None = None,
        roots: Folders | None = None,
        sampling: Callable[[str], Any] | None = None,
        elicitation: Callable[[str], Any] | None = None,
    ) -> None:
        """``roots``: the folders servers are given as roots; ``sampling(server)`` and
        ``elicitation(server)``: the callbacks that answer that server's ``sampling/createMessage``
        and ``elicitation/create``. Without one, its capability is not declared."""
        self.sandbox = sandbox  # confines stdio servers configured "sandbox": true
        self._client_options: dict[str, Any] = {"list_roots_callback": roots_callback(roots)} if roots is not None else {}
        self._callbacks = {"sampling_callback": sampling, "elicitation_callback": elicitation}
        self.call_timeout_s = call_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._logs = ServerLogs(log_dir)
        self._servers: dict[str, ServerSupervisor] = {}
        self._tg: anyio.abc.TaskGroup | None = None
        self._routes: dict[str, tuple[ServerSupervisor, str]] | None = None
        self._specs: dict[str, ToolSpec] = {}
        self._specs_for: dict[str, tuple[ServerSupervisor, str]] | None = None  # the route table they were built from
        self._updates: dict[tuple[str, str], int] = {}  # (server, uri) → changes notified
        self._watchers: list[Callable[[str, str], None]] = []

    async def __aenter__(self) -> ToolRegistry:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Servers still connecting get a grace to finish (a half-open stdio process is left
        # behind by a cancel); the sessions themselves are then cancelled, which closes them.
        for server in self._servers.values():
            server.stop()
        try:
            with anyio.move_on_after(CLOSE_GRACE_S):
                for server in self._servers.values():
                    await server.ready.wait()
        finally:  # cancelled from outside (an app closing) or not, the task group is left, in this task
            for server in self._servers.values():
                if server.state != "stopped":
                    server.cancel()
            assert self._tg is not None
            await self._tg.__aexit__(None, None, None)
            self._logs.close()

    # --- connecting ----------------------------------------------------------------------------

    async def add_server(self, name: str, target: MCPServer | ServerConfig | BrokenServer) -> ServerStatus:
        """Connect one server and wait until it is connected or has failed."""
        await self.add_servers({name: target})
        return self.status(name)

    async def add_servers(self, targets: dict[str, MCPServer | ServerConfig | BrokenServer]) -> None:
        """Connect servers concurrently; returns when each is connected or has failed.

        A name already taken by a server that is still live is refused (``disconnect`` it first)."""
        tg = self._tg
        assert tg is not None, "use ToolRegistry as an async context manager"
        taken = [n for n in targets if n in self._servers and self._servers[n].state in LIVE]
        if taken:
            raise ValueError(f"MCP server {taken[0]!r} is already connected")
        started = []
        for name, target in targets.items():
            if isinstance(target, BrokenServer):
                broken = StdioServer(command="", source=target.source)
                self._servers[name] = self._supervisor(name, broken, 0, error=target.error)
                continue
            timeout = getattr(target, "timeout_s", None) or self.connect_timeout_s
            server = self._servers[name] = self._supervisor(name, target, timeout)
            server.start()
            started.append(server)
        for server in started:
            await server.ready.wait()

    async def disconnect(self, name: str) -> ServerStatus:
        """Close one server's session (its process ends); its tools are no longer offered.

        It stays listed as stopped, and ``add_server`` may connect it again under the same name."""
        await self._servers[name].close(CLOSE_GRACE_S)
        return self.status(name)

    def _supervisor(self, name: str, target: MCPServer | ServerConfig, timeout_s: float, error: str | None = None) -> ServerSupervisor:
        assert self._tg is not None
        tg = self._tg
        return ServerSupervisor(
            name,
            target,
            timeout_s=timeout_s,
            transport=lambda: open_transport(name, target, self.sandbox, self._logs),
            spawn=lambda task: tg.start_soon(task, name=f"mcp-{name}"),
            on_change=self._invalidate,
            on_updated=self._updated,
            client_options={**self._client_options, **{k: make(name) for k, make in self._callbacks.items() if make}},
            error=error,
        )

    def _invalidate(self) -> None:
        """Every change of a server's state or tools comes here (``on_change``): the routes are rebuilt."""
        self._routes = None

    # --- what the model is offered ------------------------------------------------------------

    def _route_table(self) -> dict[str, tuple[ServerSupervisor, str]]:
        if self._routes is None:
            offered = [(s, t) for s in self._servers.values() if s.state in LIVE for t in s.offered()]
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
    def _tool(server: ServerSupervisor, name: str) -> Tool:
        return next(t for t in server.catalog.tools if t.name == name)

    def status(self, name: str) -> ServerStatus:
        server = self._servers[name]
        source = getattr(server.target, "source", "")
        live = server.state in LIVE
        catalog = server.catalog
        return ServerStatus(
            name, server.kind, SHOWN_AS[server.state], server.error, [t.name for t in server.offered()], source,
            prompts=[server_prompt(name, p).usage for p in catalog.prompts] if live else [],
            resources=[r.uri for r in catalog.resources] if live else [],
            templates=[t.uri_template for t in catalog.templates] if live else [],
        )

    def statuses(self) -> list[ServerStatus]:
        return [self.status(name) for name in self._servers]

    # --- calling -------------------------------------------------------------------------------

    async def call(self, call: ToolCall, progress: ProgressFn | None = None) -> ToolResult:
        route = self._route_table().get(call.name)
        if route is None:
            offered = ", ".join(sorted(self._route_table())) or "none"
            return ToolResult(call_id=call.id, content=f"unknown tool {call.name!r}; the tools are: {offered}", is_error=True)
        server, tool = route
        if server.state in ("connecting", "restarting"):
            with anyio.move_on_after(server.timeout_s):
                await server.ready.wait()
        client = server.client
        if client is None:
            return self._error(call, f"the MCP server {server.name!r} is not connected ({server.error or SHOWN_AS[server.state]})")
        try:
            result = await client.call_tool(tool, call.arguments, read_timeout_seconds=self.call_timeout_s, progress_callback=progress)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                return self._error(call, f"{call.name} did not answer within {self.call_timeout_s:g} s")
            if exc.code == CONNECTION_CLOSED:
                return self._error(call, server.lost(client))
            return self._error(call, f"{call.name} failed: {exc}")
        except SESSION_ENDED as exc:
            return self._error(call, server.lost(client, exc))
        # A server may answer megabytes: the model, the session file and memory get head and tail.
        text = head_and_tail(result_text(result), MAX_RESULT_CHARS, "of the tool's answer cut")
        return ToolResult(call_id=call.id, content=text, is_error=bool(result.is_error))

    # --- prompts -------------------------------------------------------------------------------

    def prompts(self) -> list[ServerPrompt]:
        """Every live server's prompts, as slash commands (``/<server>:<prompt>``)."""
        return [server_prompt(s.name, p) for s in self._live() for p in s.catalog.prompts]

    def prompt(self, command: str) -> ServerPrompt | None:
        """The prompt a slash command names (``/<server>:<prompt>``), if a live server offers it."""
        return next((p for p in self.prompts() if p.command == command), None)

    async def get_prompt(self, prompt: ServerPrompt, arguments: dict[str, str]) -> list[Message]:
        """The prompt's messages from its server; ``ServerRequestFailed`` says why there are none."""
        result = await ask_server(self._servers.get(prompt.server), prompt.server, prompt.command, self.call_timeout_s,
                                  lambda client: client.get_prompt(prompt.name, arguments))
        return [
            m.model_copy(update={"content": head_and_tail(m.content, MAX_RESULT_CHARS, "of the prompt cut")})
            for m in prompt_messages(result)
        ]

    async def complete_argument(self, prompt: ServerPrompt, at: ArgumentAt) -> list[str]:
        """The server's completions for one argument (``completion/complete``), or none: a server
        without the capability, or one that fails or is slow, completes nothing."""
        server = self._servers.get(prompt.server)
        client = server.client if server is not None else None
        if client is None or client.server_capabilities.completions is None:
            return []
        try:
            with anyio.fail_after(COMPLETION_TIMEOUT_S):
                result = await client.complete(PromptReference(name=prompt.name), {"name": at.name, "value": at.typed}, at.given or None)
        except Exception:  # noqa: BLE001 - completion is a convenience: no values
            return []
        return [value for value in result.completion.values[:MAX_COMPLETIONS] if isinstance(value, str)]

    # --- resources -----------------------------------------------------------------------------

    def resources(self) -> list[ServerResource]:
        """Every live server's resources (what ``@<server>:<uri>`` attaches)."""
        return [server_resource(s.name, r) for s in self._live() for r in s.catalog.resources]

    def templates(self) -> list[ServerTemplate]:
        return [server_template(s.name, t) for s in self._live() for t in s.catalog.templates]

    def resource_servers(self) -> list[str]:
        """The live servers that offer resources: the names a mention may start with."""
        return [s.name for s in self._live() if s.client is not None and declared(s.client, "resources")]

    async def read_resource(self, server: str, uri: str) -> str:
        """The resource's text, its head and tail when long; ``ServerRequestFailed`` says why not."""
        result = await ask_server(self._servers.get(server), server, f"@{server}:{uri}", self.call_timeout_s,
                                  lambda client: client.read_resource(uri))
        return head_and_tail(contents_text(result), MAX_RESULT_CHARS, "of the resource cut")

    async def subscribe(self, server: str, uri: str) -> bool:
        """Be told when the resource changes (``resource_version`` counts it); whether the server will tell."""
        supervisor = self._servers.get(server)
        return supervisor is not None and await supervisor.changes.subscribe(uri)

    def resource_version(self, server: str, uri: str) -> int:
        """How many times the server said the resource changed since a2ia subscribed to it."""
        return self._updates.get((server, uri), 0)

    def watch_resources(self, watcher: Callable[[str, str], None]) -> None:
        """``watcher(server, uri)`` is called when a subscribed resource changes (a front end shows it)."""
        self._watchers.append(watcher)

    def _updated(self, server: str, uri: str) -> None:
        self._updates[(server, uri)] = self._updates.get((server, uri), 0) + 1
        for watcher in self._watchers:
            watcher(server, uri)

    async def roots_changed(self) -> list[str]:
        """Tell the servers the roots changed (``roots/list_changed``); the ones that were told."""
        return [s.name for s in self._live() if s.client is not None and await tell_roots_changed(s.client, s.name)]

    def _live(self) -> list[ServerSupervisor]:
        return [s for s in self._servers.values() if s.state in LIVE]

    @staticmethod
    def _error(call: ToolCall, text: str) -> ToolResult:
        return ToolResult(call_id=call.id, content=text, is_error=True)
