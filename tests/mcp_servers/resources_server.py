"""A stdio MCP server (the ``mcp`` SDK, protocol 2026-07-28) that offers resources: a text
note that a tool rewrites (and notifies subscribers of), one far longer than a2ia keeps, a
binary one, one that fails, and a template for many."""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

server = MCPServer("notes", log_level="ERROR")
readme = ["The project keeps its notes here."]


@server.resource("notes://readme", name="readme", description="The project's readme note.", mime_type="text/plain")
def read_me() -> str:
    return readme[0]


@server.resource("notes://big", name="big", description="A long log.", mime_type="text/plain")
def big() -> str:
    return "".join(f"line {i:06d}\n" for i in range(20_000))  # 240,000 characters


@server.resource("notes://logo", name="logo", mime_type="image/png")
def logo() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(64)


@server.resource("notes://broken", name="broken")
def broken() -> str:
    raise ValueError("this resource is broken on purpose")


@server.resource("notes://item/{item_id}", name="item", description="One item by its id.")
def item(item_id: str) -> str:
    return f"Item {item_id} is on the list."


@server.tool(description="Rewrite the readme note (subscribers are told).")
async def edit_readme(text: str, ctx: Context) -> str:
    readme[0] = text
    await ctx.notify_resource_updated("notes://readme")
    return "rewritten"


if __name__ == "__main__":
    server.run("stdio")
