"""A stdio MCP server for the fault suite: a tool whose answer is 10 MB of text.

Run: python flood_server.py
"""

from __future__ import annotations

from mcp.server import MCPServer

server = MCPServer("flood", log_level="ERROR")


@server.tool(structured_output=False)
def flood(megabytes: int = 10) -> str:
    """Answer with MEGABYTES million characters: HEAD, then x's, then TAIL."""
    return "HEAD" + "x" * (megabytes * 1_000_000) + "TAIL"


if __name__ == "__main__":
    server.run("stdio")
