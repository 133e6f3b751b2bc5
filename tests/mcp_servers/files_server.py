"""A stdio MCP server (the ``mcp`` SDK) whose tools write a file and open a connection where
they are told: the sandbox tests run it configured ``"sandbox": true``."""

from __future__ import annotations

import socket

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("files", log_level="ERROR")


@server.tool(structured_output=False)
def write(path: str, text: str) -> str:
    """Write text to a file."""
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise ToolError(str(exc)) from None
    return f"wrote {path}"


@server.tool(structured_output=False)
def connect(port: int) -> str:
    """Open a TCP connection to 127.0.0.1:port."""
    socket.create_connection(("127.0.0.1", port), timeout=3).close()
    return "connected"


if __name__ == "__main__":
    server.run("stdio")
