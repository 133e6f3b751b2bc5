"""The transport each kind of MCP server is reached through: a stdio process (confined by the
sandbox where its config says ``"sandbox": true``, its stderr to a log file), a streamable-HTTP
client, or a2ia's own server in-process. A new one is made for every session."""

from __future__ import annotations

from typing import Any

import httpx2
from mcp import StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import MCPServer

from a2ia.sandbox.base import Sandbox
from a2ia.tools.mcp_config import HttpServer, ServerConfig, StdioServer
from a2ia.tools.oauth import SignInProbe, signed_in_auth, token_file
from a2ia.tools.server_logs import ServerLogs


def http_client(name: str, target: HttpServer, auth: httpx2.Auth | None = None) -> httpx2.AsyncClient:
    """The HTTP client of one server: its configured headers, and its sign-in where one is kept
    (``oauth.py``; ``auth`` given: ``mcp auth``'s own flow)."""
    kept = token_file(name, target.url)
    if auth is None and "authorization" not in {h.lower() for h in target.headers}:
        auth = signed_in_auth(name, target.url, kept) if kept.exists() else SignInProbe(name)
    return httpx2.AsyncClient(headers=target.headers, timeout=httpx2.Timeout(30.0, read=300.0), auth=auth)


def open_transport(name: str, target: MCPServer | ServerConfig, sandbox: Sandbox | None, logs: ServerLogs) -> Any:
    if isinstance(target, StdioServer):
        command, args = target.command, list(target.args)
        if target.sandbox:
            if sandbox is None:
                raise RuntimeError("it is configured \"sandbox\": true, and the sandbox is not available here (a2ia-cli doctor)")
            command, args = sandbox.server(command, args, target.cwd)
        params = StdioServerParameters(command=command, args=args, env=target.env or None, cwd=target.cwd)
        return stdio_client(params, errlog=logs.open(name))
    if isinstance(target, HttpServer):
        return streamable_http_client(target.url, http_client=http_client(name, target))
    return target
