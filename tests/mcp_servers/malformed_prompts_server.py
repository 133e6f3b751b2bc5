"""A stdio MCP server written by hand (newline-delimited JSON-RPC, protocol 2025-06-18) whose
prompt list is malformed: what a broken or hostile server may send. Its one tool works."""

from __future__ import annotations

import json
import sys

BAD_PROMPTS = {"prompts": [{"name": 5, "arguments": "not a list"}, {"description": ["no name"]}]}


def answer(request: dict) -> dict | None:
    method, rid = request.get("method"), request.get("id")
    if rid is None:  # a notification
        return None
    if method == "initialize":
        result = {
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}, "prompts": {"listChanged": False}},
            "serverInfo": {"name": "malformed", "version": "0"},
        }
    elif method == "tools/list":
        result = {"tools": [{"name": "ping", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": "pong"}]}
    elif method == "prompts/list":
        result = BAD_PROMPTS
    else:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"no method {method}"}}
    return {"jsonrpc": "2.0", "id": rid, "result": result}


for line in sys.stdin:
    if line.strip():
        reply = answer(json.loads(line))
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
