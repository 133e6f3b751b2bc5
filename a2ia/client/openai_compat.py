"""``OpenAICompatClient``: any server that speaks ``/v1/chat/completions`` with SSE streaming.

vLLM, llama.cpp's servers, SGLang, LM Studio. The transport is injected (an
``httpx.AsyncClient``), so tests hand it a ``MockTransport`` or point it at a real local
server. Bytes → chunks is ``_sse``; chunks → events is ``_accumulate``; tool calls written as
text are recovered by ``text_calls``. httpx errors are translated here, where they enter:

* connection refused / unreachable (after bounded retries) → ``BackendUnavailable`` naming the URL
* 429 and 503 → retried with backoff before the first byte, then ``BackendHTTPError``
* a 400 saying the server was started without tool support → ``ToolsNotSupported``
* any other HTTP error → ``BackendHTTPError`` with status and body
* the connection lost mid-reply → ``BackendUnavailable`` (never retried: text already went out)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any

import anyio
import httpx

from a2ia.client._accumulate import ChunkAccumulator
from a2ia.client._sse import iter_chunks
from a2ia.client.base import LLMClient
from a2ia.errors import BackendHTTPError, BackendProtocolError, BackendUnavailable, ToolsNotSupported
from a2ia.hints import setting
from a2ia.http_tls import verify_for
from a2ia.json_text import JSONTextError, loads
from a2ia.types import Capabilities, ChatOptions, Message, StreamEvent, ToolSpec

RETRY_STATUSES = frozenset({429, 503})
TOOLS_REJECTED_MARKERS = ("enable-auto-tool-choice", "does not support tools", "tool choice", "tools are not supported")
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=300.0, write=30.0, pool=10.0)


def message_to_openai(message: Message) -> dict[str, Any]:
    if message.role == "assistant":
        # "" rather than null: llama_cpp.server rejects a null content (seen), vLLM and OpenAI take "".
        out: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            out["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                for c in message.tool_calls
            ]
        return out
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    if message.images:  # the OpenAI content-parts form: the text, then each image as a data URL
        parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
        parts += [{"type": "image_url", "image_url": {"url": f"data:{i.mime_type};base64,{i.data}"}} for i in message.images]
        return {"role": message.role, "content": parts}
    return {"role": message.role, "content": message.content}


def tool_to_openai(tool: ToolSpec, *, strict: bool = False) -> dict[str, Any]:
    """A strict tool's arguments are decoded under its schema (vLLM), so it gets the decoding
    schema: a grounded path's ``enum`` of what exists (``tools/grounding.py``)."""
    parameters = tool.schema_for_decoding if strict else tool.input_schema
    function: dict[str, Any] = {"name": tool.name, "description": tool.description, "parameters": parameters}
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def tool_choice_to_openai(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _error_message(body: str) -> str | None:
    """The human part of an error body: OpenAI's ``{"error": {"message"}}`` or FastAPI's ``detail``."""
    try:
        detail = loads(body)
    except JSONTextError:
        return None
    if not isinstance(detail, dict):
        return None
    error = detail.get("error", detail.get("detail"))
    if isinstance(error, dict):
        error = error.get("message")
    return error if isinstance(error, str) else (json.dumps(error) if error else None)


class OpenAICompatClient(LLMClient):
    """A client for one OpenAI-compatible server. ``base_url`` ends in ``/v1``."""

    strict_tools = False
    constrained_decoding = False
    unreachable_hint = f"is the server running? check the URL ({setting('base_url')} / {setting('vllm_url')})"

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        http: httpx.AsyncClient | None = None,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        context_length: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self._context_length = context_length
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, verify=verify_for(base_url))
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._models_read = False

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    # --- discovery -------------------------------------------------------------------------

    async def _read_models(self) -> None:
        """Served model id and context length from ``/v1/models`` (vLLM reports ``max_model_len``)."""
        if self._models_read:
            return
        response = await self._send(self._http.build_request("GET", f"{self.base_url}/models", headers=self._headers))
        try:
            try:
                await response.aread()
            except httpx.DecodingError as exc:
                raise BackendProtocolError(f"{self.base_url}/models sent a body that cannot be decoded: {exc}") from None
            except httpx.HTTPError as exc:
                raise BackendUnavailable(f"reading {self.base_url}/models failed: {str(exc) or type(exc).__name__}") from None
            await self._raise_for_status(response)
            try:
                listing = loads(response.content)
            except JSONTextError:
                listing = None
            entries = listing.get("data") if isinstance(listing, dict) else None
            if not isinstance(entries, list) and not (isinstance(listing, dict) and entries is None):
                raise BackendProtocolError(f"{self.base_url}/models did not answer with a JSON model list")
        finally:
            await response.aclose()
        # Entries without a string id, and lengths that are not positive integers, are passed over.
        models = [e for e in entries or () if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]]
        chosen = next((e for e in models if e["id"] == self.model), models[0] if models else None)
        if chosen is not None:
            self.model = self.model or chosen["id"]
            length = chosen.get("max_model_len")
            if isinstance(length, int) and not isinstance(length, bool) and length > 0:
                self._context_length = self._context_length or length
        self._models_read = True

    async def capabilities(self) -> Capabilities:
        await self._read_models()
        return Capabilities(
            native_tools=True,
            constrained_decoding=self.constrained_decoding,
            context_length=self._context_length,
            model_id=self.model or "unknown",
        )

    # --- requests --------------------------------------------------------------------------

    def payload(self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [message_to_openai(m) for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools and options.tool_choice != "none":
            body["tools"] = [tool_to_openai(t, strict=self.strict_tools) for t in tools]
            body["tool_choice"] = tool_choice_to_openai(options.tool_choice)
        for key, value in (
            ("temperature", options.temperature),
            ("max_tokens", options.max_tokens),
            ("seed", options.seed),
        ):
            if value is not None:
                body[key] = value
        if options.stop:
            body["stop"] = list(options.stop)
        if options.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": options.json_schema, "strict": True},
            }
        return body

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send with bounded retries for connect errors, 429 and 503; returns an open stream."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = await self._http.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last:
                    raise BackendUnavailable(
                        f"cannot reach the model server at {self.base_url}: {str(exc) or type(exc).__name__}",
                        hint=self.unreachable_hint,
                    ) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                # No response at all: a kept-alive connection the server had closed (llama_cpp.server
                # drops it after a handler error). A fresh connection is safe: nothing was answered.
                if last:
                    raise BackendUnavailable(f"talking to {self.base_url} failed: {str(exc) or type(exc).__name__}") from None
            except httpx.TimeoutException as exc:
                raise BackendUnavailable(f"the model server at {self.base_url} timed out: {type(exc).__name__}") from None
            except httpx.HTTPError as exc:
                raise BackendUnavailable(f"talking to {self.base_url} failed: {str(exc) or type(exc).__name__}") from None
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                await response.aclose()
                retry_after = response.headers.get("retry-after", "")
                if retry_after.isdigit():
                    await anyio.sleep(min(float(retry_after), 30.0))
                    continue
            await anyio.sleep(self.backoff_s * (2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            body = (await response.aread()).decode("utf-8", errors="replace")
        except httpx.HTTPError as exc:  # a body that cannot be decoded or read: the status still says enough
            body = f"(the error body could not be read: {str(exc) or type(exc).__name__})"
        message = _error_message(body) or body[:500] or response.reason_phrase
        where = f"{response.request.method} {response.request.url}"
        if response.status_code == 400 and any(m in message.lower() for m in TOOLS_REJECTED_MARKERS):
            raise ToolsNotSupported(
                f"the server at {self.base_url} does not accept tools: {message}",
                status=400,
                body=body,
                hint=f"start vLLM with --enable-auto-tool-choice --tool-call-parser <parser>, or use {setting('react')}",
            )
        raise BackendHTTPError(f"{where} failed with HTTP {response.status_code}: {message}", status=response.status_code, body=body)

    async def _stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        if self.model is None:
            await self._read_models()
        async with aclosing(self._stream_events(self.payload(messages, tools, options))) as events:
            async for event in events:
                yield event

    async def _stream_events(self, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        request = self._http.build_request("POST", f"{self.base_url}/chat/completions", json=body, headers=self._headers)
        response = await self._send(request)
        try:
            await self._raise_for_status(response)
            accumulator = ChunkAccumulator()
            try:
                async for chunk in iter_chunks(response):
                    for event in accumulator.feed(chunk):
                        yield event
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise BackendUnavailable(
                    f"the connection to {self.base_url} was lost mid-reply: {exc}",
                    hint="the model server may have crashed or restarted; check its log",
                ) from None
            except httpx.TimeoutException:
                raise BackendUnavailable(f"the model server at {self.base_url} stopped sending (read timeout)") from None
            except httpx.DecodingError as exc:
                raise BackendProtocolError(
                    f"the reply from {self.base_url} cannot be decoded ({response.headers.get('content-encoding')}): {exc}"
                ) from None
            for event in accumulator.finish():
                yield event
        finally:
            await response.aclose()
