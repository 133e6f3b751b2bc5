"""A stdio MCP server (the ``mcp`` SDK) that offers prompts: one without arguments, one with a
required and an optional argument, one whose messages mix roles and carry an embedded resource
and an image, and one that fails."""

from __future__ import annotations

from mcp.server import MCPServer

server = MCPServer("kit", log_level="ERROR")


@server.prompt(description="Say hello to the project.")
def hello() -> str:
    return "Hello, project. What is in this folder?"


@server.prompt(description="Review one file, optionally with a focus.")
def review(path: str, focus: str = "") -> str:
    return f"Review {path}" + (f", looking at {focus}" if focus else "") + "."


@server.prompt(description="A conversation to continue: a question, an answer, a follow-up.")
def follow_up(topic: str) -> list[dict]:
    return [
        {"role": "user", "content": f"Tell me about {topic}."},
        {"role": "assistant", "content": f"{topic} is a test topic."},
        {"role": "user", "content": {"type": "resource", "resource": {"uri": "file:///notes.txt", "text": "notes on it"}}},
        {"role": "user", "content": {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"}},
    ]


@server.prompt(description="Always fails.")
def broken() -> str:
    raise ValueError("this prompt is broken on purpose")


if __name__ == "__main__":
    server.run("stdio")
