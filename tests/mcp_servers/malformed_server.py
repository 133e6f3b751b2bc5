"""A stdio MCP server written by hand (newline-delimited JSON-RPC, protocol 2025-06-18) that
sends what a broken or hostile server may: a malformed prompt list, a resource list that pages
for ever, a malformed template list, and a malformed answer to a read. Its one tool works."""

from __future__ import annotations

import json
import sys

BAD_PROMPTS = {"prompts": [{"name": 5, "arguments": "not a list"}, {"description": ["no name"]}]}
BAD_TEMPLATES = {"resourceTemplates": [{"uriTemplate": 7}]}
BAD_READ = {"contents": "not a list"}


def answer(request: dict) -> dict | None:
    method, rid = request.get("method"), request.get("id")
    if rid is None:  # a notification
        return None
    if method == "initialize":
        result = {
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}, "prompts": {"listChanged": False}, "resources": {"subscribe": True}},
            "serverInfo": {"name": "malformed", "version": "0"},
        }
    elif method == "tools/list":
        result = {"tools": [{"name": "ping", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": "pong"}]}
    elif method == "prompts/list":
        result = BAD_PROMPTS
    elif method == "resources/list":  # every page says there is another
        page = int(request.get("params", {}).get("cursor") or 0)
        result = {"resources": [{"uri": f"loop://page/{page}", "name": f"page {page}"}], "nextCursor": str(page + 1)}
    elif method == "resources/templates/list":
        result = BAD_TEMPLATES
    elif method == "resources/read":
        result = BAD_READ
    elif method == "resources/subscribe":
        result = {}
    else:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"no method {method}"}}
    return {"jsonrpc": "2.0", "id": rid, "result": result}


for line in sys.stdin:
    if line.strip():
        reply = answer(json.loads(line))
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
