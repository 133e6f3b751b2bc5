"""OpenAICompatClient's wire handling and error mapping, over ``httpx.MockTransport``.

The streams replayed here are the shapes the real servers were seen to send (vLLM 0.32 on
the CPU, ``scripts/vllm-cpu/README.md``; llama_cpp.server); the same client also runs against
both real servers in ``test_conformance.py``.
"""

from __future__ import annotations

import json

import httpx
import pytest

from a2ia.client._sse import parse_data
from a2ia.client.openai_compat import OpenAICompatClient
from a2ia.client.vllm import VLLMClient
from a2ia.errors import BackendHTTPError, BackendProtocolError, BackendUnavailable, ToolsNotSupported
from a2ia.types import ChatOptions, Done, Message, TextDelta, ToolCallReady, ToolSpec, Usage

pytestmark = pytest.mark.anyio
TOOL = ToolSpec(name="read_file", input_schema={"type": "object", "properties": {"path": {"type": "string"}}})
MODELS = {"object": "list", "data": [{"id": "smollm2", "max_model_len": 2048}]}


def sse(*chunks: object) -> bytes:
    lines = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def delta(d: dict, finish: str | None = None, **extra) -> dict:
    return {"id": "x", "choices": [{"index": 0, "delta": d, "finish_reason": finish}], **extra}


class Server:
    """A scripted OpenAI-compatible server: each chat request takes the next response."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json=MODELS)
        return self.responses.pop(0)

    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith("/chat/completions")]


def stream_response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


def client_for(server: Server, cls=OpenAICompatClient, **kwargs) -> OpenAICompatClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return cls("http://testserver/v1", http=http, backoff_s=0.0, **kwargs)


async def events_of(client, tools=(), options=None) -> list:
    return [e async for e in client.stream([Message.user("hi")], tools, options)]


async def test_request_payload_and_text_usage() -> None:
    server = Server(stream_response(sse(
        delta({"role": "assistant", "content": ""}),
        delta({"reasoning_content": "think"}),
        delta({"content": "Hi"}),
        delta({}, "stop", token_ids=[1, 2]),
        {"id": "x", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 1}},
    )))
    events = await events_of(client_for(server), [TOOL], ChatOptions(temperature=0, max_tokens=5, seed=1))
    assert [e.kind for e in events] == ["reasoning", "text", "usage", "done"]
    body = server.bodies()[0]
    assert body["model"] == "smollm2" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["tools"][0]["function"]["name"] == "read_file" and "strict" not in body["tools"][0]["function"]
    assert (body["tool_choice"], body["temperature"], body["max_tokens"], body["seed"]) == ("auto", 0, 5, 1)


async def test_vllm_strict_tools_and_named_choice() -> None:
    server = Server(stream_response(sse(
        delta({"tool_calls": [{"id": "chatcmpl-tool-1", "type": "function", "index": 0, "function": {"name": "read_file"}}]}),
        delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"path": '}}]}),
        delta({"tool_calls": [{"index": 0, "function": {"arguments": '"a.txt"}'}}]}),
        delta({}, "stop"),
    )))
    client = client_for(server, VLLMClient)
    grounded = {"type": "object", "properties": {"path": {"type": "string", "enum": ["a.txt"]}}, "required": ["path"]}
    events = await events_of(client, [TOOL.model_copy(update={"decoding_schema": grounded})], ChatOptions(tool_choice="read_file"))
    body = server.bodies()[0]
    assert body["tools"][0]["function"]["strict"] is True
    assert body["tools"][0]["function"]["parameters"] == grounded, "the server decodes under the grounded schema"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "read_file"}}
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert (ready.call.id, ready.call.arguments) == ("chatcmpl-tool-1", {"path": "a.txt"})
    assert (await client.capabilities()).context_length == 2048


async def test_vllm_tool_call_block_left_in_content_is_recovered() -> None:
    text = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a"}}\n</tool_call>'
    server = Server(stream_response(sse(delta({"content": text[:20]}), delta({"content": text[20:]}), delta({}, "stop"))))
    events = await events_of(client_for(server, VLLMClient), [TOOL])
    assert not any(isinstance(e, TextDelta) for e in events)
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert (ready.call.name, ready.call.arguments) == ("read_file", {"path": "a"})
    assert events[-1] == Done(finish_reason="tool_calls")


async def test_call_cut_mid_json_by_max_tokens_is_kept_as_text() -> None:
    text = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a'
    server = Server(stream_response(sse(delta({"content": text}), delta({}, "length"))))
    events = await events_of(client_for(server, VLLMClient), [TOOL])
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == text
    assert events[-1] == Done(finish_reason="length")


async def test_429_and_503_are_retried_before_the_first_byte() -> None:
    ok = stream_response(sse(delta({"content": "ok"}), delta({}, "stop")))
    server = Server(httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(503), ok)
    events = await events_of(client_for(server, max_retries=3))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["ok"]
    assert len(server.bodies()) == 3


async def test_retries_are_bounded() -> None:
    server = Server(*[httpx.Response(503, text="busy")] * 3)
    with pytest.raises(BackendHTTPError) as info:
        await events_of(client_for(server, max_retries=2))
    assert info.value.status == 503 and len(server.bodies()) == 3


async def test_connection_refused_names_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client = OpenAICompatClient("http://10.1.2.3:8000/v1", model="m", http=httpx.AsyncClient(transport=httpx.MockTransport(refuse)), max_retries=2, backoff_s=0)
    with pytest.raises(BackendUnavailable, match=r"http://10\.1\.2\.3:8000/v1.*Connection refused"):
        await events_of(client)


async def test_tools_rejected_is_typed() -> None:
    error = {"error": {"message": '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set', "type": "BadRequestError", "param": None, "code": 400}}
    server = Server(httpx.Response(400, json=error))
    with pytest.raises(ToolsNotSupported) as info:
        await events_of(client_for(server), [TOOL])
    assert info.value.status == 400 and "enable-auto-tool-choice" in info.value.body


async def test_other_http_errors_keep_status_and_body() -> None:
    server = Server(httpx.Response(500, text="CUDA out of memory"))
    with pytest.raises(BackendHTTPError) as info:
        await events_of(client_for(server))
    assert (info.value.status, info.value.body) == (500, "CUDA out of memory")
    assert not isinstance(info.value, ToolsNotSupported)


async def test_malformed_stream_and_error_events() -> None:
    bad_json = stream_response(b"data: {not json\n\n")
    with pytest.raises(BackendProtocolError, match="not JSON"):
        await events_of(client_for(Server(bad_json)))
    mid_error = stream_response(sse(delta({"content": "a"}), {"error": {"message": "engine died", "code": 500}}))
    with pytest.raises(BackendHTTPError, match="engine died"):
        await events_of(client_for(Server(mid_error)))
    not_sse = httpx.Response(200, json={"choices": []})
    with pytest.raises(BackendProtocolError, match="not an event stream"):
        await events_of(client_for(Server(not_sse)))


async def test_stream_without_done_marker_still_finishes() -> None:
    body = f"data: {json.dumps(delta({'content': 'a'}))}\n\n".encode()
    events = await events_of(client_for(Server(stream_response(body))))
    assert isinstance(events[-1], Done)


async def test_usage_is_optional_and_api_key_is_sent() -> None:
    server = Server(stream_response(sse(delta({"content": "a"}), delta({}, "stop"))))
    events = await events_of(client_for(server, api_key="sk-test"))
    assert not any(isinstance(e, Usage) for e in events)
    assert server.requests[-1].headers["authorization"] == "Bearer sk-test"


async def test_two_tool_calls_in_one_reply() -> None:
    server = Server(stream_response(sse(
        delta({"tool_calls": [{"id": "t0", "type": "function", "index": 0, "function": {"name": "read_file"}}]}),
        delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"path": "a"}'}}]}),
        delta({"tool_calls": [{"id": "t1", "type": "function", "index": 1, "function": {"name": "read_file"}}]}),
        delta({"tool_calls": [{"index": 1, "function": {"arguments": '{"path": "b"}'}}]}),
        delta({}, "tool_calls"),
    )))
    events = await events_of(client_for(server), [TOOL])
    calls = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert [(c.id, c.arguments) for c in calls] == [("t0", {"path": "a"}), ("t1", {"path": "b"})]


# --- found by the fuzz suite (tests/fuzz/test_fuzz_sse.py); each pins the input it found ----------


@pytest.mark.parametrize("payload", ["1" * 4301, "[" * 1991 + "]" * 1991])
def test_stream_events_json_cannot_read_are_protocol_errors(payload: str) -> None:
    # were ValueError (integer over the 4,300-digit limit) and RecursionError (deep nesting)
    with pytest.raises(BackendProtocolError, match="not JSON"):
        parse_data(payload)


async def test_a_lone_surrogate_escape_becomes_a_replacement_character() -> None:
    # json.loads keeps "\ud800" as a lone surrogate, which cannot be written as UTF-8 (a session
    # file, the terminal, an MCP server): it is replaced where the wire text enters
    body = b'data: {"choices": [{"index": 0, "delta": {"content": "a\\ud800b"}}]}\n\n'
    events = await events_of(client_for(Server(stream_response(body))))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["a\ufffdb"]
    assert parse_data('{"x": "\\ud83d\\ude00"}') == {"x": "\U0001f600"}  # a valid pair stays itself


async def test_a_body_that_cannot_be_decoded_is_a_protocol_error() -> None:
    # httpx.DecodingError escaped the client: pieces=[b'data: {}\n\n'], content-encoding deflate
    async def body():
        yield b"data: {}\n\n"

    broken = httpx.Response(200, content=body(), headers={"content-type": "text/event-stream", "content-encoding": "deflate"})
    with pytest.raises(BackendProtocolError, match="cannot be decoded"):
        await events_of(client_for(Server(broken)))


@pytest.mark.parametrize(
    ("body", "model", "context"),
    [
        (b'{"data": [null]}', "unknown", None),  # was AttributeError: 'NoneType' object has no attribute 'get'
        (b'{"data": [{"id": true}]}', "unknown", None),  # was a pydantic ValidationError (model_id=True)
        (b'{"data": [{"id": "m", "max_model_len": -5}, {"id": "n"}]}', "m", None),
        (b'{"data": [{"id": "m", "max_model_len": "4096"}]}', "m", None),
        (b'{"data": [7, {"id": "n", "max_model_len": 2048}]}', "n", 2048),
    ],
)
async def test_model_lists_of_the_wrong_shape_are_passed_over(body: bytes, model: str, context: int | None) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    caps = await OpenAICompatClient("http://testserver/v1", http=http).capabilities()
    assert (caps.model_id, caps.context_length) == (model, context)


@pytest.mark.parametrize("body", [b'{"data": 5}', b"[1]", b"[" * 1991 + b"]" * 1991])
async def test_a_model_list_that_is_not_one_is_a_protocol_error(body: bytes) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    with pytest.raises(BackendProtocolError, match="model list"):
        await OpenAICompatClient("http://testserver/v1", http=http).capabilities()
