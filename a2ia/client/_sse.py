"""Wire parsing for OpenAI-style streams: SSE events (read by ``httpx-sse``) → chunk dicts.

Only parsing lives here; turning chunks into events is ``_accumulate``'s job.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from a2ia.errors import BackendHTTPError, BackendProtocolError
from a2ia.json_text import JSONTextError, loads

DONE = "[DONE]"
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def scrub_surrogates(value: Any) -> Any:
    """``value`` with each lone UTF-16 surrogate in its strings replaced by U+FFFD.

    JSON may escape one (``"\\ud800"``) and Python's parser keeps it, but such a string cannot
    be written as UTF-8: not to the terminal, a session file or an MCP server. Wire text stops
    being wire text here, so it is made valid Unicode here.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [scrub_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
    return value


def parse_data(data: str) -> dict[str, Any] | None:
    """One SSE ``data:`` payload → a chunk dict, or ``None`` at ``[DONE]``.

    An ``{"error": …}`` payload (servers report failures mid-stream this way) raises
    ``BackendHTTPError``; anything that is not a JSON object raises ``BackendProtocolError``.
    """
    text = data.strip()
    if text == DONE:
        return None
    try:
        chunk = loads(text)
    except JSONTextError as exc:
        raise BackendProtocolError(f"the server sent a stream event that is not JSON ({exc.why}): {text[:200]}") from None
    if not isinstance(chunk, dict):
        raise BackendProtocolError(f"the server sent a stream event that is not a JSON object: {text[:200]}")
    if _SURROGATE_ESCAPE.search(text):
        try:
            chunk = scrub_surrogates(chunk)
        except RecursionError:
            raise BackendProtocolError(f"the server sent a stream event nested too deeply: {text[:200]}") from None
    error = chunk.get("error")
    if error:
        message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599 else 500
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
