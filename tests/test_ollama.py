"""OllamaClient against recorded Ollama wire fixtures, replayed over real HTTP.

No Ollama daemon can be installed here, so these replay its documented ``/api/chat`` and
``/api/show`` formats (``fixtures/ollama/``, one file per quirk) from a local server.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from a2ia.client.ollama import OllamaClient
from a2ia.errors import BackendHTTPError, BackendProtocolError, BackendUnavailable, ModelNotFound, ToolsNotSupported
from a2ia.types import ChatOptions, Done, Message, ReasoningDelta, TextDelta, ToolCall, ToolCallReady, ToolSpec, Usage

from servers import free_port

pytestmark = pytest.mark.anyio
TOOLS = [ToolSpec(name="list_dir"), ToolSpec(name="read_file")]


async def events_for(replay, fixture: str, tools=(), options=None, **kwargs) -> list:
    replay.chat = fixture
    async with OllamaClient("qwen2.5:7b", host=replay.url, **kwargs) as client:
        return [e async for e in client.stream([Message.user("hi")], tools, options)]


async def test_text_streams_and_counts_become_usage(replay) -> None:
    events = await events_for(replay, "chat_text_streamed.json")
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello there, how can I help?"
    assert sum(isinstance(e, TextDelta) for e in events) == 4
    assert events[-2:] == [Usage(prompt_tokens=26, completion_tokens=9), Done(finish_reason="stop")]


async def test_request_always_sets_num_ctx_and_keep_alive(replay) -> None:
    await events_for(replay, "chat_text_streamed.json", TOOLS, ChatOptions(temperature=0, seed=3, max_tokens=50), num_ctx=16384)
    body = replay.chat_bodies()[0]
    assert body["options"] == {"num_ctx": 16384, "temperature": 0, "seed": 3, "num_predict": 50}
    assert body["keep_alive"] == "10m" and body["stream"] is True
    assert [t["function"]["name"] for t in body["tools"]] == ["list_dir", "read_file"]


async def test_tool_calls_arrive_whole_with_object_arguments(replay) -> None:
    events = await events_for(replay, "chat_tool_calls_arrive_whole.json", TOOLS)
    calls = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert [(c.name, c.arguments) for c in calls] == [("list_dir", {"path": "."}), ("read_file", {"path": "README.md"})]
    # Ollama sends no ids: each call gets one of its own, unique in the session like every client's.
    assert all(re.fullmatch(r"call_[0-9a-f]{12}", c.id) for c in calls) and calls[0].id != calls[1].id
    assert events[-1] == Done(finish_reason="tool_calls")


async def test_history_with_tool_calls_and_results_is_sent_natively(replay) -> None:
    replay.chat = "chat_text_streamed.json"
    call = ToolCall(id="call_0", name="read_file", arguments={"path": "a"})
    history = [Message.user("read a"), Message(role="assistant", tool_calls=(call,)), Message(role="tool", content="A!", tool_call_id="call_0", name="read_file")]
    async with OllamaClient("qwen2.5:7b", host=replay.url) as client:
        await client.chat(history, TOOLS)
    sent = replay.chat_bodies()[0]["messages"]
    assert sent[1]["tool_calls"] == [{"function": {"name": "read_file", "arguments": {"path": "a"}}}]
    assert sent[2] == {"role": "tool", "content": "A!", "tool_name": "read_file"}


async def test_named_choice_offers_one_tool_and_none_offers_none(replay) -> None:
    await events_for(replay, "chat_text_streamed.json", TOOLS, ChatOptions(tool_choice="read_file"))
    await events_for(replay, "chat_text_streamed.json", TOOLS, ChatOptions(tool_choice="none"))
    first, second = replay.chat_bodies()
    assert [t["function"]["name"] for t in first["tools"]] == ["read_file"]
    assert not second.get("tools")


async def test_thinking_becomes_reasoning(replay) -> None:
    events = await events_for(replay, "chat_thinking_then_answer.json", think=True)
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["The user", " wants a greeting."]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hi!"]
    assert replay.chat_bodies()[0]["think"] is True


async def test_tool_call_written_as_text_is_recovered(replay) -> None:
    events = await events_for(replay, "chat_tool_call_as_text.json", TOOLS)
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert (ready.call.name, ready.call.arguments) == ("read_file", {"path": "a.txt"})
    assert not any(isinstance(e, TextDelta) for e in events)


async def test_error_line_in_a_200_stream(replay) -> None:
    with pytest.raises(BackendHTTPError, match="unexpected EOF"):
        await events_for(replay, "chat_error_line_mid_stream.json")


async def test_model_not_found_says_how_to_pull(replay) -> None:
    with pytest.raises(ModelNotFound) as info:
        await events_for(replay, "chat_model_not_found.json")
    assert info.value.hint == "ollama pull qwen2.5:7b"


async def test_model_without_tools(replay) -> None:
    with pytest.raises(ToolsNotSupported) as info:
        await events_for(replay, "chat_does_not_support_tools.json", TOOLS)
    assert info.value.status == 400 and "does not support tools" in info.value.body


async def test_stream_cut_before_done(replay) -> None:
    with pytest.raises(BackendProtocolError, match="without a final"):
        await events_for(replay, "chat_stream_cut_before_done.json")


async def test_capabilities_from_show(replay) -> None:
    async with OllamaClient("qwen2.5:7b", host=replay.url, num_ctx=8192) as client:
        caps = await client.capabilities()
    assert (caps.native_tools, caps.context_length, caps.model_id) == (True, 8192, "qwen2.5:7b")
    assert not caps.thinking and not caps.vision
    replay.show = "show_gemma_no_tools.json"
    async with OllamaClient("gemma:2b", host=replay.url, num_ctx=32768) as client:
        caps = await client.capabilities()
    assert (caps.native_tools, caps.context_length) == (False, 8192)
    assert [body["model"] for path, body in replay.requests if path == "/api/show"] == ["qwen2.5:7b", "gemma:2b"]


async def test_ollama_host_is_honoured(replay, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", replay.url)
    replay.chat = "chat_text_streamed.json"
    async with OllamaClient("qwen2.5:7b") as client:
        assert client.host == replay.url
        reply = await client.chat([Message.user("hi")])
    assert reply.content.startswith("Hello")


async def test_no_daemon_is_backend_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with OllamaClient("qwen2.5:7b", host=url) as client:
        with pytest.raises(BackendUnavailable, match="cannot reach Ollama at http://127.0.0.1"):
            await client.chat([Message.user("hi")])
        with pytest.raises(BackendUnavailable):
            await client.capabilities()


# --- found by the fuzz suite (tests/fuzz/test_fuzz_ndjson.py); each pins the input it found ---------
# These hand the client its body through httpx.MockTransport: the replay server writes JSON
# the way Python does, and the bugs below are in bytes it would never send.

DONE_LINE = b'{"model": "m", "created_at": "t", "message": {"role": "assistant", "content": ""}, "done": true}\n'


async def mock_events(body: bytes, pieces: int = 1) -> list:
    async def stream():
        size = -(-len(body) // pieces)
        for start in range(0, len(body), size):
            yield body[start : start + size]

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=stream()))
    async with OllamaClient("m", host="http://ollama.test:11434", transport=transport) as client:
        return [e async for e in client.stream([Message.user("hi")])]


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
@pytest.mark.parametrize("pieces", [1, 3, 200])
async def test_a_raw_unicode_line_boundary_inside_a_string_keeps_the_line_whole(char: str, pieces: int) -> None:
    # The library splits NDJSON with str.splitlines, which also breaks at these: thinking="\x85"
    # (Ollama writes NEL raw) was cut mid-line, "Unterminated string" (BackendProtocolError)
    line = json.dumps({"model": "m", "created_at": "t", "message": {"role": "assistant", "content": f"a{char}b", "thinking": char}, "done": False}, ensure_ascii=False)
    events = await mock_events(line.encode() + b"\n" + DONE_LINE, pieces)
    assert [e.text for e in events if isinstance(e, TextDelta)] == [f"a{char}b"]
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == [char]


@pytest.mark.parametrize(
    "line",
    [
        b"NaN",  # was BackendUnavailable ("'float' object has no attribute 'get'"): the server did answer
        b"[1]",
        b'{"error": {"a": 1}}',  # the library's ResponseError raised TypeError on a non-string error
        b'{"error": "[1]"}',  # ... and AttributeError on an error string that is JSON but not an object
        b'{"model": "m", "message": {"role": "assistant", "content": 5}, "done": false}',
        b"[" * 1991 + b"]" * 1991,
    ],
)
async def test_lines_of_the_wrong_shape_are_protocol_errors(line: bytes) -> None:
    with pytest.raises(BackendProtocolError):
        await mock_events(line + b"\n" + DONE_LINE)


async def test_lone_surrogates_and_negative_counts_are_made_valid() -> None:
    line = b'{"model": "m", "created_at": "t", "message": {"role": "assistant", "content": "a\\ud800"}, "done": false}\n'
    done = b'{"model": "m", "created_at": "t", "message": {"role": "assistant", "content": ""}, "done": true, "prompt_eval_count": -3}\n'
    events = await mock_events(line + done)
    assert events == [TextDelta(text="a\ufffd"), Usage(prompt_tokens=0, completion_tokens=0), Done(finish_reason="stop")]


async def test_a_show_reply_that_is_not_an_object_is_a_protocol_error() -> None:
    # body b"NaN" was BackendUnavailable ("ShowResponse() argument after ** must be a mapping, not float")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"NaN"))
    async with OllamaClient("m", host="http://ollama.test:11434", transport=transport) as client:
        with pytest.raises(BackendProtocolError):
            await client.capabilities()


@pytest.mark.parametrize("length", [-5, 0, True, "4096"])
async def test_a_context_length_that_is_not_a_positive_integer_is_passed_over(length) -> None:
    # /api/show with context_length -5 gave Capabilities(context_length=-5); True gave 1
    show = json.dumps({"model_info": {"general.architecture": "q", "q.context_length": length}}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=show))
    async with OllamaClient("m", host="http://ollama.test:11434", transport=transport) as client:
        assert (await client.capabilities()).context_length == client.num_ctx
