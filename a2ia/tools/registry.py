"""``ToolRegistry``: the one owner of every MCP client session a2ia holds.

It connects to MCP servers (for now the builtin one, in-process), lists their tools as
``ToolSpec``s and routes each ``ToolCall`` to the server that offers it. What a tool returns,
errors included, comes back as a ``ToolResult``; only a broken connection raises ``ToolError``.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from mcp import Client, MCPError
from mcp.server import MCPServer
from mcp_types import CallToolResult, TextContent, Tool

from a2ia.errors import ToolError
from a2ia.types import ToolAnnotations, ToolCall, ToolResult, ToolSpec

DEFAULT_CALL_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class _Route:
    server: str
    client: Client
    spec: ToolSpec


def _spec_from_mcp(tool: Tool, server: str) -> ToolSpec:
    hints = tool.annotations
    read_only = bool(hints and hints.read_only_hint)
    destructive = not read_only and (hints is None or hints.destructive_hint is not False)
    return ToolSpec(
        name=tool.name,
        description=tool.description or "",
        input_schema=dict(tool.input_schema),
        annotations=ToolAnnotations(read_only=read_only, destructive=destructive),
        server=server,
    )


def _result_text(result: CallToolResult) -> str:
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, TextContent):
            parts.append(block.text)
        else:
            parts.append(f"[{block.type} content not shown]")
    return "\n".join(parts)


class ToolRegistry:
    """Use as ``async with ToolRegistry() as tools: await tools.add_server(...)``."""

    def __init__(self, call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S) -> None:
        self._stack = AsyncExitStack()
        self._routes: dict[str, _Route] = {}
        self.call_timeout_s = call_timeout_s

    async def __aenter__(self) -> ToolRegistry:
        await self._stack.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._routes.clear()
        await self._stack.__aexit__(*exc)  # type: ignore[arg-type]

    async def add_server(self, name: str, server: MCPServer) -> None:
        """Connect to an in-process MCP server and take in its tools."""
        client = await self._stack.enter_async_context(Client(server, raise_exceptions=False))
        listing = await client.list_tools()
        for tool in listing.tools:
            self._routes[tool.name] = _Route(name, client, _spec_from_mcp(tool, name))

    def specs(self) -> list[ToolSpec]:
        return [route.spec for route in self._routes.values()]

    def spec(self, name: str) -> ToolSpec | None:
        route = self._routes.get(name)
        return route.spec if route else None

    async def call(self, call: ToolCall) -> ToolResult:
        route = self._routes.get(call.name)
        if route is None:
            offered = ", ".join(sorted(self._routes)) or "none"
            return ToolResult(
                call_id=call.id, content=f"unknown tool {call.name!r}; the tools are: {offered}", is_error=True
            )
        try:
            result = await route.client.call_tool(
                call.name, call.arguments, read_timeout_seconds=self.call_timeout_s
            )
        except MCPError as exc:
            return ToolResult(call_id=call.id, content=f"the tool call failed: {exc}", is_error=True)
        except (OSError, EOFError, RuntimeError) as exc:
            raise ToolError(f"MCP server {route.server!r} is not answering: {exc}") from exc
        return ToolResult(call_id=call.id, content=_result_text(result), is_error=bool(result.is_error))
