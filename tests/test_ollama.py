"""OllamaClient against recorded Ollama wire fixtures, replayed over real HTTP.

No Ollama daemon can be installed here, so these replay its documented ``/api/chat`` and
``/api/show`` formats (``fixtures/ollama/``, one file per quirk) from a local server.
"""

from __future__ import annotations

import pytest

from a2ia.client.ollama import OllamaClient
from a2ia.errors import BackendHTTPError, BackendProtocolError, BackendUnavailable, ModelNotFound, ToolsNotSupported
from a2ia.types import ChatOptions, Done, Message, ReasoningDelta, TextDelta, ToolCall, ToolCallReady, ToolSpec, Usage

from ollama_replay import ollama_replay
from servers import free_port

pytestmark = pytest.mark.anyio
TOOLS = [ToolSpec(name="list_dir"), ToolSpec(name="read_file")]


@pytest.fixture(scope="module")
def replay_server():
    with ollama_replay() as replay:
        yield replay


@pytest.fixture
def replay(replay_server):
    replay_server.reset()
    return replay_server


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
    assert calls == [
        ToolCall(id="call_0", name="list_dir", arguments={"path": "."}),
        ToolCall(id="call_1", name="read_file", arguments={"path": "README.md"}),
    ]
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
