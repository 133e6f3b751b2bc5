"""A stdio MCP server with many tools (for the 200-tools measurement). Run: many_tools.py NAME COUNT"""

from __future__ import annotations

import sys

from mcp.server import MCPServer

name, count = sys.argv[1], int(sys.argv[2])
server = MCPServer(name, log_level="ERROR")


def make(index: int):
    def tool(text: str, times: int = 1) -> str:
        return f"{name}.{index}: " + " ".join([text] * times)

    tool.__name__ = f"{name}_tool_{index}"
    tool.__doc__ = f"Tool {index} of {name}: repeats the text (a stand-in for a real tool with a schema)."
    return tool


for i in range(count):
    server.tool(structured_output=False)(make(i))

if __name__ == "__main__":
    server.run("stdio")
