"""One request to an MCP server that is not a tool call (a prompt, a resource), and its
failures translated where they enter: ``ServerRequestFailed`` says why there is no answer,
and a session that died on the way is reported to its supervisor (which restarts it once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from mcp import Client, MCPError
from mcp_types import CONNECTION_CLOSED
from pydantic import ValidationError

from a2ia.errors import ServerRequestFailed
from a2ia.tools.supervisor import ServerSupervisor

T = TypeVar("T")

SESSION_ENDED = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError)


async def ask_server(server: ServerSupervisor | None, name: str, what: str, timeout_s: float,
                     send: Callable[[Client], Awaitable[T]]) -> T:
    """``send`` on the server's session within ``timeout_s``; ``what`` names the request in errors."""
    client = server.client if server is not None else None
    if server is None or client is None:
        raise ServerRequestFailed(f"the MCP server {name!r} is not connected")
    try:
        with anyio.fail_after(timeout_s):
            return await send(client)
    except TimeoutError:
        raise ServerRequestFailed(f"{what} did not answer within {timeout_s:g} s") from None
    except MCPError as exc:
        if exc.code == CONNECTION_CLOSED:
            raise ServerRequestFailed(server.lost(client)) from None
        raise ServerRequestFailed(f"{what} failed: {exc}") from None
    except SESSION_ENDED as exc:
        raise ServerRequestFailed(server.lost(client, exc)) from None
    except ValidationError as exc:  # the server answered, with something that is not MCP
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ())) or "its answer"
        raise ServerRequestFailed(f"{what}: the server's answer is malformed ({where}: {first.get('msg', exc)})") from None
