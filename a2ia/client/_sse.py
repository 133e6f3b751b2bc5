"""Wire parsing for OpenAI-style streams: SSE events (read by ``httpx-sse``) → chunk dicts.

Only parsing lives here; turning chunks into events is ``_accumulate``'s job.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from a2ia.errors import BackendHTTPError, BackendProtocolError

DONE = "[DONE]"


def parse_data(data: str) -> dict[str, Any] | None:
    """One SSE ``data:`` payload → a chunk dict, or ``None`` at ``[DONE]``.

    An ``{"error": …}`` payload (servers report failures mid-stream this way) raises
    ``BackendHTTPError``; anything that is not a JSON object raises ``BackendProtocolError``.
    """
    text = data.strip()
    if text == DONE:
        return None
    try:
        chunk = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackendProtocolError(f"the server sent a stream event that is not JSON ({exc.msg}): {text[:200]}") from None
    if not isinstance(chunk, dict):
        raise BackendProtocolError(f"the server sent a stream event that is not a JSON object: {text[:200]}")
    error = chunk.get("error")
    if error:
        message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) else 500
        raise BackendHTTPError(f"the server reported an error mid-stream: {message}", status=status, body=text[:2000])
    return chunk


async def iter_chunks(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The chunks of a streamed chat completion, until ``[DONE]`` or the end of the body."""
    try:
        async for event in EventSource(response).aiter_sse():
            if not event.data:
                continue
            chunk = parse_data(event.data)
            if chunk is None:
                return
            yield chunk
    except SSEError as exc:
        raise BackendProtocolError(f"the server's reply is not an event stream: {exc}") from None
