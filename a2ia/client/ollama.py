"""``OllamaClient``: Ollama's native ``/api/chat`` through the official ``ollama`` AsyncClient.

What differs from the OpenAI shape, and how it is handled here:

* Tool calls arrive whole (one message), with ``arguments`` as an object, often without an id:
  ids are made up in order.
* ``options.num_ctx`` is always sent: Ollama's small default context silently truncates the
  beginning of a long conversation.
* Capabilities come from ``/api/show``: ``tools``, ``thinking``, ``vision`` and the model's
  context length (``<architecture>.context_length`` in ``model_info``).
* There is no ``tool_choice``: a named choice offers only that tool; ``none`` offers none.
* Errors: a 404 "model … not found" → ``ModelNotFound`` with the ``ollama pull`` command;
  "does not support tools" → ``ToolsNotSupported``; an ``{"error": …}`` line in the middle of
  a 200 stream → ``BackendHTTPError``; no daemon → ``BackendUnavailable``.
* ``OLLAMA_HOST`` is honoured (the ollama library reads it when no host is given).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any

import httpx
import ollama

from a2ia.backends import ollama_host
from a2ia.client._sse import scrub_surrogates
from a2ia.client.base import LLMClient
from a2ia.config import DEFAULT_N_CTX
from a2ia.errors import (
    BackendHTTPError,
    BackendProtocolError,
    BackendUnavailable,
    ModelNotFound,
    ToolsNotSupported,
)
from a2ia.hints import setting
from a2ia.http_tls import verify_for
from a2ia.types import (
    Capabilities,
    ChatOptions,
    Done,
    Message,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolSpec,
    Usage,
    new_call_id,
)


def message_to_ollama(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments}} for c in message.tool_calls]
    if message.role == "tool" and message.name:
        out["tool_name"] = message.name
    if message.images:  # /api/chat takes a message's images as base64 strings
        out["images"] = [image.data for image in message.images]
    return out


def tool_to_ollama(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.input_schema},
    }


# Unicode line boundaries other than \n that ``str.splitlines`` (so httpx's ``aiter_lines``, which the
# ollama library reads NDJSON with) splits on, as UTF-8. Ollama's JSON encoder escapes U+2028 and
# U+2029 but writes NEL (U+0085) raw; other servers may write all three raw. Inside a JSON string
# (the only place they may appear in valid JSON) the escape ``\uXXXX`` means the same character.
_RAW_BREAKS = {b"\xc2\x85": b"\\u0085", b"\xe2\x80\xa8": b"\\u2028", b"\xe2\x80\xa9": b"\\u2029"}
_BREAK_PREFIXES = (b"\xc2", b"\xe2", b"\xe2\x80")


class _EscapedLines(httpx.AsyncByteStream):
    """A body with the raw Unicode line boundaries of ``_RAW_BREAKS`` escaped, across chunk cuts."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        carry = b""
        async for chunk in self._inner:
            data = carry + chunk
            carry = b""
            for prefix in sorted(_BREAK_PREFIXES, key=len, reverse=True):
                if data.endswith(prefix):  # the start of a boundary cut by the chunking: wait for the rest
                    data, carry = data[: -len(prefix)], prefix
                    break
            for raw, escaped in _RAW_BREAKS.items():
                data = data.replace(raw, escaped)
            if data:
                yield data
        if carry:
            yield carry

    async def aclose(self) -> None:
        await self._inner.aclose()


class _KeepLinesWhole(httpx.AsyncBaseTransport):
    """Wraps the transport so that each NDJSON line reaches the ollama library whole.

    The library splits the body with ``aiter_lines`` (``str.splitlines``), which also breaks at
    U+0085, U+2028 and U+2029: a reply containing one was cut mid-JSON and failed to parse.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
            return response  # compressed bytes: nothing to escape at this level
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_EscapedLines(stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class OllamaClient(LLMClient):
    def __init__(
        self,
        model: str,
        *,
        host: str | None = None,
        num_ctx: int = DEFAULT_N_CTX,
        keep_alive: str | float | None = "10m",
        think: bool | None = None,
        timeout: float = 300.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.model = model
        self.host = ollama_host(host)
        self.num_ctx = num_ctx
        self.keep_alive = keep_alive
        self.think = think
        url = self.host if "://" in self.host else f"http://{self.host}"  # Ollama's default scheme
        inner = transport if transport is not None else httpx.AsyncHTTPTransport(verify=verify_for(url))
        self._client = ollama.AsyncClient(host=self.host, timeout=timeout, transport=_KeepLinesWhole(inner))
        self._show: dict[str, Any] | None = None

    async def aclose(self) -> None:
        await self._client.close()

    # --- errors, translated where they enter ---------------------------------------------------

    def _translate(self, exc: BaseException) -> Exception:
        if isinstance(exc, ollama.ResponseError):
            text = str(exc.error)
            lowered = text.lower()
            if "not found" in lowered and "model" in lowered:
                return ModelNotFound(
                    f"Ollama at {self.host} does not have the model {self.model!r}: {text}",
                    hint=f"ollama pull {self.model}",
                )
            if "does not support tools" in lowered:
                return ToolsNotSupported(
                    f"the Ollama model {self.model!r} cannot take tools: {text}",
                    status=exc.status_code if exc.status_code > 0 else 400,
                    body=text,
                    hint=f"pick a model with the 'tools' capability (ollama show MODEL), or use {setting('react')}",
                )
            status = exc.status_code if exc.status_code > 0 else 500
            return BackendHTTPError(f"Ollama at {self.host} failed: {text}", status=status, body=text)
        if isinstance(exc, (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout)):
            return BackendUnavailable(
                f"cannot reach Ollama at {self.host}",
                hint=f"start it with `ollama serve`, or set {setting('ollama_url')} (or OLLAMA_HOST)",
            )
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return BackendUnavailable(f"the connection to Ollama at {self.host} was lost mid-reply: {exc}")
        if isinstance(exc, httpx.TimeoutException):
            return BackendUnavailable(f"Ollama at {self.host} timed out ({type(exc).__name__})")
        if isinstance(exc, httpx.DecodingError):
            return BackendProtocolError(f"Ollama at {self.host} sent a body that cannot be decoded: {exc}")
        if isinstance(exc, json.JSONDecodeError) or (isinstance(exc, ValueError) and "integer string conversion" in str(exc)):
            return BackendProtocolError(f"Ollama at {self.host} sent a line that is not valid JSON: {exc}")
        if isinstance(exc, (ValueError, TypeError, AttributeError, KeyError, RecursionError)):
            # The library parses each line and builds its models from it: a line of the wrong
            # shape (an array, a field of the wrong type, nesting too deep) fails in there.
            first = str(exc).splitlines()[0][:300] if str(exc) else ""
            return BackendProtocolError(
                f"Ollama at {self.host} sent a reply that does not have the Ollama API's shape ({type(exc).__name__}: {first})"
            )
        return BackendUnavailable(f"talking to Ollama at {self.host} failed: {exc}")

    # --- discovery ---------------------------------------------------------------------------

    async def show(self) -> dict[str, Any]:
        """``/api/show`` for the model (cached): capabilities and model info."""
        if self._show is None:
            try:
                response = await self._client.show(self.model)
            except Exception as exc:  # noqa: BLE001 - translated, never swallowed
                raise self._translate(exc) from None
            self._show = response.model_dump()
        return self._show

    async def capabilities(self) -> Capabilities:
        shown = await self.show()
        caps = set(shown.get("capabilities") or ())
        info = shown.get("modelinfo") or shown.get("model_info") or {}
        arch = info.get("general.architecture", "")
        model_ctx = info.get(f"{arch}.context_length")
        usable = isinstance(model_ctx, int) and not isinstance(model_ctx, bool) and model_ctx > 0
        context = min(self.num_ctx, model_ctx) if usable else self.num_ctx
        return Capabilities(
            native_tools="tools" in caps,
            constrained_decoding=True,
            context_length=context,
            model_id=self.model,
            thinking="thinking" in caps,
            vision="vision" in caps,
        )

    # --- chat --------------------------------------------------------------------------------

    def request(self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions) -> dict[str, Any]:
        choice = options.tool_choice
        offered = [] if choice == "none" else [t for t in tools if choice in ("auto", "required") or t.name == choice]
        model_options: dict[str, Any] = {"num_ctx": self.num_ctx}
        for key, value in (("temperature", options.temperature), ("seed", options.seed), ("num_predict", options.max_tokens)):
            if value is not None:
                model_options[key] = value
        if options.stop:
            model_options["stop"] = list(options.stop)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [message_to_ollama(m) for m in messages],
            "tools": [tool_to_ollama(t) for t in offered] or None,
            "stream": True,
            "options": model_options,
            "keep_alive": self.keep_alive,
        }
        if self.think is not None:
            request["think"] = self.think
        if options.json_schema is not None:
            request["format"] = options.json_schema
        return request

    async def _stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        async with aclosing(self._events(self.request(messages, tools, options))) as events:
            async for event in events:
                yield event

    async def _events(self, request: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        calls = 0
        try:
            parts = await self._client.chat(**request)
            async for part in parts:
                message = part.message
                if message.thinking:
                    yield ReasoningDelta(text=scrub_surrogates(message.thinking))
                if message.content:
                    yield TextDelta(text=scrub_surrogates(message.content))
                for tool_call in message.tool_calls or ():
                    yield ToolCallReady(
                        call=ToolCall(
                            id=getattr(tool_call, "id", None) or new_call_id(),
                            name=scrub_surrogates(tool_call.function.name),
                            arguments=scrub_surrogates(dict(tool_call.function.arguments or {})),
                        )
                    )
                    calls += 1
                if part.done:
                    yield Usage(
                        prompt_tokens=max(part.prompt_eval_count or 0, 0), completion_tokens=max(part.eval_count or 0, 0)
                    )
                    yield Done(finish_reason="tool_calls" if calls else (part.done_reason or "stop"))
                    return
        except Exception as exc:  # noqa: BLE001 - every library error is translated here
            raise self._translate(exc) from None
        raise BackendProtocolError(f"the stream from Ollama at {self.host} ended without a final (done) line")
