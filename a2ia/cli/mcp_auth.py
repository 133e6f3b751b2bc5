"""``a2ia-cli mcp auth NAME`` and ``mcp logout NAME``: sign in to a remote MCP server that asks
for OAuth, and forget that sign-in (``tools/oauth.py`` holds how)."""

from __future__ import annotations

import click
from mcp import Client
from mcp.client.auth import OAuthFlowError
from mcp.client.streamable_http import streamable_http_client

from a2ia.cli.runtime import open_workspace
from a2ia.config import Settings
from a2ia.errors import ConfigError, SignInFailed
from a2ia.tools.mcp_config import HttpServer, load_servers
from a2ia.tools.mcp_content import describe_error, innermost
from a2ia.tools.oauth import SIGN_IN_TIMEOUT_S, CallbackReceiver, sign_in_auth, token_file
from a2ia.tools.transports import http_client


def _http_server(settings: Settings, name: str) -> HttpServer:
    servers = load_servers(open_workspace(settings).root, settings.mcp_config, include_project=settings.project_trusted)
    server = servers.get(name)
    if not isinstance(server, HttpServer):
        remote = sorted(n for n, s in servers.items() if isinstance(s, HttpServer))
        what = "is not a remote (HTTP) server" if server is not None else "is not configured"
        raise ConfigError(f"the MCP server {name!r} {what}", hint=f"the remote servers are: {', '.join(remote) or 'none'}")
    return server


async def sign_in(settings: Settings, name: str, timeout_s: float = SIGN_IN_TIMEOUT_S) -> int:
    server = _http_server(settings, name)
    kept = token_file(name, server.url)
    kept.remove()  # a sign-in starts afresh: a new client registration for this callback port
    receiver = CallbackReceiver()
    auth = sign_in_auth(server.url, kept, receiver, lambda text: click.echo(text, err=True), timeout_s)
    try:
        async with Client(streamable_http_client(server.url, http_client=http_client(name, server, auth))) as client:
            tools = await client.list_tools()
    except Exception as exc:  # noqa: BLE001 - one line, what went wrong, nothing kept
        kept.remove()
        cause = innermost(exc)
        if isinstance(cause, SignInFailed):
            raise cause from None
        if isinstance(cause, OAuthFlowError) and "state" in str(cause).lower():
            raise SignInFailed(f"could not sign in to {name!r}: the answer that came back is not to a2ia's request "
                               "(its state does not match); nothing was kept") from None
        raise SignInFailed(f"could not sign in to {name!r}: {describe_error(cause)}; nothing was kept") from None
    finally:
        receiver.close()
    click.echo(f"signed in to {name}: {len(tools.tools)} tool(s); the sign-in is kept in {kept.path} (only you can read it)")
    return 0


def sign_out(settings: Settings, name: str) -> int:
    server = _http_server(settings, name)
    kept = token_file(name, server.url)
    click.echo(f"signed out of {name}" if kept.remove() else f"no sign-in is kept for {name}")
    return 0
