"""Fuzzed SSE parsing and tool-call accumulation: ``_sse``, ``_accumulate`` and ``OpenAICompatClient``.

Properties: a ``data:`` payload is a chunk dict, ``None`` at ``[DONE]``, or a typed backend
error; any sequence of chunk-shaped JSON gives well-formed events or ``BackendProtocolError``;
accumulating well-formed deltas cut at any points gives the same calls as uncut ones; the
whole client, fed any body through ``httpx.MockTransport``, yields events or ``A2iaError``s.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fuzz_support import PiecesStream, cases, json_objects, json_text, junk, or_junk, run, splits
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.client._accumulate import ChunkAccumulator, parse_arguments
from a2ia.client._sse import parse_data
from a2ia.client.openai_compat import OpenAICompatClient
from a2ia.errors import A2iaError, BackendHTTPError, BackendProtocolError
from a2ia.types import Done, ReasoningDelta, TextDelta, ToolCall, ToolCallReady, ToolSpec, Usage

pytestmark = pytest.mark.fuzz

TOOL = ToolSpec(name="read_file")
STREAM_EVENTS = (TextDelta, ReasoningDelta, ToolCallReady, Usage, Done)


# --- chunk-shaped junk, for the primary test --------------------------------------------------------

_names = st.sampled_from(["read_file", "list_dir", "", "read", "_file"])
_function = st.fixed_dictionaries(
    {},
    optional={
        "name": or_junk(_names),
        "arguments": or_junk(st.one_of(st.text(max_size=12), st.sampled_from(['{"path": "a"}', '{"path": ', "{oops", "null", "[1]"]), json_objects)),
    },
)
_call_delta = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.integers(0, 3)),
        "id": or_junk(st.text(max_size=4)),
        "type": st.just("function"),
        "function": or_junk(_function),
    },
)
_delta = st.fixed_dictionaries(
    {},
    optional={
        "role": st.just("assistant"),
        "content": or_junk(st.text(max_size=8)),
        "reasoning_content": or_junk(st.text(max_size=8)),
        "reasoning": or_junk(st.text(max_size=8)),
        "tool_calls": or_junk(st.lists(or_junk(_call_delta), max_size=2)),
    },
)
_choice = st.fixed_dictionaries(
    {},
    optional={
        "index": or_junk(st.sampled_from([0, 0, 0, 1])),
        "delta": or_junk(_delta),
        "finish_reason": or_junk(st.sampled_from([None, "stop", "length", "tool_calls"])),
    },
)
_usage = st.fixed_dictionaries(
    {}, optional={"prompt_tokens": or_junk(st.integers(0, 10**6)), "completion_tokens": or_junk(st.integers(0, 10**6))}
)
chunks = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=4),
        "choices": or_junk(st.lists(or_junk(_choice), max_size=2)),
        "usage": or_junk(_usage),
        "error": st.one_of(st.none(), junk, st.fixed_dictionaries({"message": or_junk(st.text(max_size=8)), "code": junk})),
    },
)
payloads = st.one_of(
    chunks.map(json.dumps),
    chunks.map(json.dumps),
    chunks.map(lambda c: json.dumps(c, ensure_ascii=False)),
    json_text,
    st.sampled_from(["[DONE]", " [DONE] ", "[DONE]x", '{"choices": [{"delta": {"content": "\\ud800"}}]}']),
)


def check_events(events: list[Any]) -> None:
    for event in events:
        assert isinstance(event, STREAM_EVENTS)
        if isinstance(event, (TextDelta, ReasoningDelta)):
            event.text.encode("utf-8")  # valid Unicode: no lone surrogate reaches the layers above
        if isinstance(event, ToolCallReady):
            call = event.call
            assert call.id and isinstance(call.name, str) and isinstance(call.arguments, dict)
            assert call.arguments_error is None or call.arguments == {}
            json.dumps(call.arguments, ensure_ascii=False).encode("utf-8")
        if isinstance(event, Usage):
            assert event.prompt_tokens >= 0 and event.completion_tokens >= 0


@given(st.lists(payloads, max_size=6))
def test_payloads_parse_and_accumulate_into_events_or_typed_errors(sequence: list[str]) -> None:
    """The primary SSE target: each ``data:`` payload through ``parse_data``, then ``ChunkAccumulator``."""
    accumulator = ChunkAccumulator()
    events: list[Any] = []
    for text in sequence:
        try:
            chunk = parse_data(text)
        except (BackendProtocolError, BackendHTTPError) as exc:
            assert str(exc)
            return
        if chunk is None:
            assert text.strip() == "[DONE]"
            break
        assert isinstance(chunk, dict) and not chunk.get("error")
        try:
            events += accumulator.feed(chunk)
        except BackendProtocolError as exc:
            assert str(exc)
            return
    events += accumulator.finish()
    check_events(events)
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1
    assert accumulator.finish() == []


@settings(max_examples=cases(0.05))
@given(json_objects)
def test_any_json_object_without_an_error_is_passed_through(obj: dict) -> None:
    if obj.get("error"):
        with pytest.raises(BackendHTTPError):
            parse_data(json.dumps(obj))
    else:
        assert parse_data(json.dumps(obj)) == json.loads(json.dumps(obj))


@settings(max_examples=cases(0.2))
@given(st.one_of(json_text, json_objects, st.none()), st.booleans())
def test_parse_arguments_never_raises(raw: Any, repair: bool) -> None:
    arguments, error = parse_arguments(raw, repair=repair)
    assert isinstance(arguments, dict)
    assert error is None or (isinstance(error, str) and arguments == {})


# --- split invariance ------------------------------------------------------------------------------

_plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
_calls = st.lists(
    st.builds(
        ToolCall,
        id=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8),
        name=st.text(min_size=1, max_size=12),
        arguments=st.dictionaries(st.text(max_size=6), _plain_values, max_size=4),
    ),
    max_size=3,
)


@st.composite
def streamed_reply(draw: st.DrawFn) -> tuple[str, list[ToolCall], list[dict], list[dict]]:
    """A reply (text, calls) as one whole chunk per part, and as deltas cut at random points.

    A name arrives whole, once (OpenAI, vLLM) or repeated in every delta (llama.cpp's server):
    a name cut into pieces cannot be told from a repeated one, and no server cuts names.
    """
    text = draw(st.text(max_size=40))
    calls = draw(_calls)
    whole: list[dict] = [{"choices": [{"index": 0, "delta": {"content": text}}]}] if text else []
    whole += [
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": i, "id": c.id, "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
        ]}}]}
        for i, c in enumerate(calls)
    ]
    pieces: list[tuple[int, dict]] = []  # (order key, delta) — calls' deltas may interleave
    for piece in draw(splits(text)):
        pieces.append((0, {"content": piece}))
    repeat = draw(st.booleans())
    for i, call in enumerate(calls):
        fragments = draw(splits(json.dumps(call.arguments)))
        first = {"index": i, "id": call.id, "type": "function", "function": {"name": call.name}}
        parts = [first] + [
            {"index": i, **({"id": call.id} if repeat else {}), "function": {**({"name": call.name} if repeat else {}), "arguments": f}}
            for f in fragments
        ]
        pieces += [(1 + i, {"tool_calls": [p]}) for p in parts]
    # interleave the calls' deltas (each call's own stay in order), text first as servers send it
    order = draw(st.permutations(range(len(pieces))))
    by_key: dict[int, list[dict]] = {}
    for key, delta in pieces:
        by_key.setdefault(key, []).append(delta)
    sequence = list(by_key.get(0, []))
    queues = {k: list(v) for k, v in by_key.items() if k}
    for n in order:
        live = [k for k in sorted(queues) if queues[k]]
        if not live:
            break
        key = live[n % len(live)]
        sequence.append(queues[key].pop(0))
    split = [{"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in sequence]
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}]}
    return text, calls, [*whole, finish], [*split, finish]


def accumulate(sequence: list[dict]) -> list[Any]:
    accumulator = ChunkAccumulator()
    events = [e for chunk in sequence for e in accumulator.feed(chunk)]
    return events + accumulator.finish()


def text_of(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def calls_of(events: list[Any]) -> list[ToolCall]:
    return [e.call for e in events if isinstance(e, ToolCallReady)]


@settings(max_examples=cases(0.1))
@given(streamed_reply())
def test_accumulation_is_split_invariant(reply: tuple[str, list[ToolCall], list[dict], list[dict]]) -> None:
    text, calls, whole, split = reply
    from_whole, from_split = accumulate(whole), accumulate(split)
    assert text_of(from_whole) == text_of(from_split) == text
    assert calls_of(from_whole) == calls_of(from_split) == calls
    assert from_whole[-1] == from_split[-1] == Done(finish_reason="tool_calls" if calls else "stop")


# --- the whole client over httpx.MockTransport -----------------------------------------------------


class Body:
    """The transport's reply, swapped per case; one client serves every case."""

    status = 200
    content_type = "text/event-stream"
    encoding: str | None = None
    pieces: list[bytes] = [b""]
    models: bytes = b'{"data": [{"id": "m", "max_model_len": 4096}]}'

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, content=self.models, headers={"content-type": "application/json"})
        headers = {"content-type": self.content_type, **({"content-encoding": self.encoding} if self.encoding else {})}
        return httpx.Response(self.status, content=PiecesStream(self.pieces), headers=headers)


BODY = Body()
_CLIENT: OpenAICompatClient | None = None


def client() -> OpenAICompatClient:
    global _CLIENT
    if _CLIENT is None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(BODY))
        _CLIENT = OpenAICompatClient("http://testserver/v1", model="m", http=http, max_retries=0, backoff_s=0.0)
    return _CLIENT


async def _collect(tools: list[ToolSpec]) -> list[Any]:
    from a2ia.types import Message

    return [e async for e in client().stream([Message.user("hi")], tools)]


_sse_line = st.one_of(
    chunks.map(lambda c: "data: " + json.dumps(c)),
    chunks.map(lambda c: "data:" + json.dumps(c)),
    json_text.map(lambda t: "data: " + t.replace("\n", " ").replace("\r", " ")),
    st.sampled_from(["data: [DONE]", "data:[DONE]", "data:", ": keep-alive", "event: error", "id: 7", "retry: 10", "data"]),
    st.text(max_size=30).map(lambda t: t.replace("\n", " ").replace("\r", " ")),
)


@st.composite
def sse_bodies(draw: st.DrawFn) -> list[bytes]:
    lines = draw(st.lists(_sse_line, max_size=8))
    ends = draw(st.lists(st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\r\r"]), min_size=len(lines), max_size=len(lines)))
    body = "".join(line + end for line, end in zip(lines, ends, strict=True)).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]  # the connection closed mid-event
    if draw(st.integers(0, 9)) == 0:
        body += draw(st.binary(max_size=20))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=cases(0.1))
@given(
    sse_bodies(),
    st.sampled_from([200] * 8 + [400, 500]),
    st.sampled_from(["text/event-stream"] * 8 + ["application/json", "text/plain"]),
    st.sampled_from([None] * 12 + ["gzip", "deflate", "identity", "x-unknown"]),
    st.booleans(),
)
def test_client_gives_events_or_typed_errors(
    pieces: list[bytes], status: int, content_type: str, encoding: str | None, with_tools: bool
) -> None:
    BODY.pieces, BODY.status, BODY.content_type, BODY.encoding = pieces, status, content_type, encoding
    try:
        events = run(_collect([TOOL] if with_tools else []))
    except A2iaError as exc:
        assert str(exc)
        return
    check_events(events)
    assert sum(isinstance(e, Done) for e in events) == 1 and isinstance(events[-1], Done)


@st.composite
def valid_sse(draw: st.DrawFn) -> tuple[str, list[ToolCall], list[bytes]]:
    text, calls, _, split = draw(streamed_reply())
    usage = {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}
    end = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\r\r"]))
    body = "".join(f"data: {json.dumps(c, ensure_ascii=draw(st.booleans()))}{end}" for c in [*split, usage])
    body += draw(st.sampled_from(["data: [DONE]" + end, ""]))
    raw = body.encode("utf-8", "surrogatepass")
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=6)))  # mid-line, mid-character
    bounds = [0, *cuts, len(raw)]
    return text, calls, [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=cases(0.1))
@given(valid_sse())
def test_client_reads_any_framing_of_a_valid_stream(reply: tuple[str, list[ToolCall], list[bytes]]) -> None:
    text, calls, pieces = reply
    BODY.pieces, BODY.status, BODY.content_type, BODY.encoding = pieces, 200, "text/event-stream", None
    events = run(_collect([]))
    assert text_of(events) == text
    assert calls_of(events) == calls
    assert events[-2:] == [Usage(prompt_tokens=3, completion_tokens=4), Done(finish_reason="tool_calls" if calls else "stop")]


_models_body = st.one_of(
    st.builds(lambda d: json.dumps({"data": d}), st.lists(st.one_of(json_objects, junk), max_size=3)),
    st.builds(lambda e: json.dumps({"data": [e]}), st.fixed_dictionaries({}, optional={"id": or_junk(st.text(max_size=4)), "max_model_len": or_junk(st.integers(-5, 10**6))})),
    json_text,
)


@settings(max_examples=cases(0.05))
@given(_models_body.map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_model_list_gives_capabilities_or_a_typed_error(body: bytes) -> None:
    BODY.models = body
    probe = OpenAICompatClient("http://testserver/v1", http=client()._http, max_retries=0, backoff_s=0.0)
    try:
        caps = run(probe.capabilities())
    except A2iaError as exc:
        assert str(exc)
        return
    assert caps.context_length is None or caps.context_length > 0
    assert isinstance(caps.model_id, str) and caps.model_id
