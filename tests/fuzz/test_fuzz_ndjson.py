"""Fuzzed NDJSON from Ollama: ``OllamaClient`` (the official ``ollama`` AsyncClient inside) over
``httpx.MockTransport``.

Properties: any body gives well-formed events or a typed error that says the reply was bad
(``BackendProtocolError``, ``BackendHTTPError`` for an ``{"error"}`` line, ``ModelNotFound``),
never ``BackendUnavailable`` (the server answered) and never a library exception; a valid
stream cut into any byte pieces gives exactly its text, thinking, calls and counts; any
``/api/show`` body gives capabilities with a positive context length, or a typed error.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fuzz_support import PiecesStream, cases, json_objects, json_text, junk, or_junk, run
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.client.ollama import OllamaClient
from a2ia.errors import A2iaError, BackendUnavailable
from a2ia.types import Done, Message, ReasoningDelta, TextDelta, ToolCallReady, ToolSpec, Usage

pytestmark = pytest.mark.fuzz

TOOLS = [ToolSpec(name="read_file"), ToolSpec(name="list_dir")]
STREAM_EVENTS = (TextDelta, ReasoningDelta, ToolCallReady, Usage, Done)


class Body:
    """What the mock Ollama answers, swapped per case; one client serves every case."""

    status = 200
    pieces: list[bytes] = [b""]
    show: bytes = b"{}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/show":
            return httpx.Response(200, content=self.show, headers={"content-type": "application/json"})
        return httpx.Response(self.status, content=PiecesStream(self.pieces), headers={"content-type": "application/x-ndjson"})


BODY = Body()
_CLIENT: OllamaClient | None = None


def client() -> OllamaClient:
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = OllamaClient("qwen2.5:7b", host="http://ollama.test:11434", transport=httpx.MockTransport(BODY))
    return _CLIENT


async def _collect(tools: list[ToolSpec]) -> list[Any]:
    return [e async for e in client().stream([Message.user("hi")], tools)]


_call = st.fixed_dictionaries(
    {"function": or_junk(st.fixed_dictionaries(
        {"name": or_junk(st.sampled_from(["read_file", "list_dir", "rm"]))},
        optional={"arguments": or_junk(json_objects), "index": st.integers(0, 3)},
    ))},
)
_message = st.fixed_dictionaries(
    {"role": or_junk(st.just("assistant"))},
    optional={
        "content": or_junk(st.text(max_size=12)),
        "thinking": or_junk(st.text(max_size=12)),
        "tool_calls": or_junk(st.lists(or_junk(_call), max_size=2)),
    },
)
_part = st.fixed_dictionaries(
    {"model": st.just("qwen2.5:7b"), "created_at": st.just("2026-11-21T10:00:00Z")},
    optional={
        "message": or_junk(_message),
        "done": or_junk(st.booleans()),
        "done_reason": or_junk(st.sampled_from(["stop", "length", "load"])),
        "prompt_eval_count": or_junk(st.integers(-5, 10**6)),
        "eval_count": or_junk(st.integers(-5, 10**6)),
    },
)
_line = st.one_of(
    _part.map(json.dumps),
    st.builds(lambda e: json.dumps({"error": e}), st.one_of(st.text(max_size=20), junk, st.just("model 'x' not found"))),
    json_text.map(lambda t: t.replace("\n", " ").replace("\r", " ")),
    st.just(""),
)


@st.composite
def ndjson_bodies(draw: st.DrawFn) -> list[bytes]:
    lines = draw(st.lists(_line, max_size=6))
    body = "".join(line + draw(st.sampled_from(["\n", "\r\n"])) for line in lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    if draw(st.integers(0, 9)) == 0:
        body += draw(st.binary(max_size=16))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def check_events(events: list[Any]) -> None:
    for event in events:
        assert isinstance(event, STREAM_EVENTS)
        if isinstance(event, (TextDelta, ReasoningDelta)):
            event.text.encode("utf-8")  # valid Unicode: no lone surrogate reaches the layers above
        if isinstance(event, ToolCallReady):
            json.dumps(event.call.arguments, ensure_ascii=False).encode("utf-8")
    calls = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert all(re.fullmatch(r"call_[0-9a-f]{12}", c.id) for c in calls), "Ollama sends no ids: each call gets its own"
    assert len({c.id for c in calls}) == len(calls)
    assert sum(isinstance(e, Done) for e in events) == 1 and isinstance(events[-1], Done)
    usage = [e for e in events if isinstance(e, Usage)]
    assert all(u.prompt_tokens >= 0 and u.completion_tokens >= 0 for u in usage)


@given(ndjson_bodies(), st.sampled_from([200] * 9 + [404, 500]), st.booleans())
def test_any_body_gives_events_or_a_typed_error(pieces: list[bytes], status: int, with_tools: bool) -> None:
    BODY.pieces, BODY.status = pieces, status
    try:
        events = run(_collect(TOOLS if with_tools else []))
    except BackendUnavailable as exc:
        raise AssertionError(f"the server answered, but the error says it is unavailable: {exc}") from None
    except A2iaError as exc:
        assert str(exc)
        return
    check_events(events)


_plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
_step = st.tuples(
    st.text(max_size=15),
    st.text(max_size=8),
    st.lists(st.tuples(st.sampled_from(["read_file", "list_dir"]), st.dictionaries(st.text(max_size=6), _plain_values, max_size=3)), max_size=2),
)


@st.composite
def valid_streams(draw: st.DrawFn) -> tuple[list[tuple[str, str, list]], tuple[int, int], list[bytes]]:
    steps = draw(st.lists(_step, max_size=5))
    counts = (draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)))
    lines = []
    for content, thinking, calls in steps:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if thinking:
            message["thinking"] = thinking
        if calls:
            message["tool_calls"] = [{"function": {"name": n, "arguments": a}} for n, a in calls]
        lines.append({"model": "qwen2.5:7b", "created_at": "2026-11-21T10:00:00Z", "message": message, "done": False})
    lines.append({
        "model": "qwen2.5:7b", "created_at": "2026-11-21T10:00:01Z", "message": {"role": "assistant", "content": ""},
        "done": True, "done_reason": "stop", "prompt_eval_count": counts[0], "eval_count": counts[1],
    })
    ascii_only = draw(st.booleans())
    body = "".join(json.dumps(line, ensure_ascii=ascii_only) + "\n" for line in lines).encode("utf-8", "surrogatepass")
    return steps, counts, _cut(draw, body)


def _cut(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=6)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a] or [b""]


@settings(max_examples=cases(0.1))
@given(valid_streams())
def test_a_valid_stream_in_any_pieces_gives_exactly_its_parts(stream: tuple) -> None:
    steps, counts, pieces = stream
    BODY.pieces, BODY.status = pieces, 200
    events = run(_collect([]))
    check_events(events)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "".join(s[0] for s in steps)
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "".join(s[1] for s in steps)
    expected = [(n, a) for s in steps for n, a in s[2]]
    assert [(e.call.name, e.call.arguments) for e in events if isinstance(e, ToolCallReady)] == expected
    assert events[-2:] == [
        Usage(prompt_tokens=counts[0], completion_tokens=counts[1]),
        Done(finish_reason="tool_calls" if expected else "stop"),
    ]


_show = st.fixed_dictionaries(
    {},
    optional={
        "capabilities": or_junk(st.lists(st.sampled_from(["completion", "tools", "thinking", "vision"]), max_size=4)),
        "model_info": or_junk(st.fixed_dictionaries(
            {"general.architecture": or_junk(st.sampled_from(["qwen2", "llama"]))},
            optional={"qwen2.context_length": or_junk(st.integers(-10, 10**6)), "llama.context_length": or_junk(st.integers(-10, 10**6))},
        )),
        "modelfile": st.text(max_size=8),
        "details": or_junk(json_objects),
    },
)


@settings(max_examples=cases(0.1))
@given(st.one_of(_show.map(json.dumps), json_text).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_show_gives_capabilities_or_a_typed_error(body: bytes) -> None:
    BODY.show = body
    probe = OllamaClient("qwen2.5:7b", host="http://ollama.test:11434", transport=httpx.MockTransport(BODY))
    try:
        caps = run(probe.capabilities())
    except BackendUnavailable as exc:
        raise AssertionError(f"the server answered, but the error says it is unavailable: {exc}") from None
    except A2iaError as exc:
        assert str(exc)
        return
    finally:
        run(probe.aclose())
    assert caps.context_length is not None and 0 < caps.context_length <= probe.num_ctx

