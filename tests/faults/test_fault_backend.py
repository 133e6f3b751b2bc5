"""Faults of the model backend, through the real Orchestrator, the real clients and the real ToolRegistry.

* A real model-server process (``sse_server.py``) SIGKILLed mid-stream, then started again on the
  same port: the turn fails clearly, the next turn in the same session is answered (through the
  Orchestrator, and in the real TUI under its pilot).
* HTTP 429, 503 and 500, malformed SSE, an error event mid-stream, a connection cut mid-reply:
  ``OpenAICompatClient`` over ``httpx.MockTransport`` replaying the documented wire format.
* An Ollama stream cut mid-reply, an error line mid-stream, a line that is not JSON, HTTP 500 and
  503: ``OllamaClient`` against ``tests/ollama_replay.py`` (no Ollama daemon can run here; the
  replay serves Ollama's documented NDJSON over real HTTP, fixtures in ``fixtures/ollama``).

Each test asserts the three things the fault suite is for: a clear ``TurnFailed`` (reason,
message, hint), a next turn that succeeds, and nothing completed lost (session and file).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fault_support import answer, assert_kept, final, saved_session, turn
from pilot_support import wait_pilot

from a2ia.cli.tui.app import make_app
from a2ia.cli.tui.widgets import AssistantMessage, NoticeLine
from a2ia.client.ollama import OllamaClient
from a2ia.client.openai_compat import OpenAICompatClient
from a2ia.config import load_settings
from a2ia.orchestrator.events import TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import Message, TextDelta

pytestmark = [pytest.mark.faults, pytest.mark.anyio]


def assert_clear_failure(events: list, reason: str | tuple[str, ...], *words: str, hint: str = "") -> TurnFailed:
    failed = final(events)
    assert isinstance(failed, TurnFailed), f"expected TurnFailed, got {failed!r}"
    reasons = (reason,) if isinstance(reason, str) else reason
    assert failed.reason in reasons, failed
    for word in words:
        assert word in failed.message, f"{word!r} not in {failed.message!r}"
    assert failed.hint and hint in failed.hint, f"no hint ({hint!r}) for the person: {failed!r}"
    return failed


# --- a real server process, killed mid-stream ------------------------------------------------------


async def test_model_server_killed_mid_stream_then_restarted(model_server, workspace: Path, tmp_path: Path) -> None:
    session, path = saved_session(tmp_path)
    client = OpenAICompatClient(model_server.url, backoff_s=0.05, max_retries=1)
    async with client, ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools)
        first = await turn(orchestrator, session, "hello")
        assert isinstance(final(first), TurnDone) and answer(first) == "echo: hello"
        completed = list(session.messages)

        def kill_after_first_text(event) -> None:
            if isinstance(event, TextDelta):
                model_server.kill()

        killed = await turn(orchestrator, session, "slow answer please", kill_after_first_text)
        failed = assert_clear_failure(killed, ("backend_unavailable", "backend"), model_server.url)
        assert "lost mid-reply" in failed.message
        assert "word0" in answer(killed) and "word199" not in answer(killed), "it was killed mid-stream"

        down = await turn(orchestrator, session, "are you there?")
        assert_clear_failure(down, "backend_unavailable", "cannot reach")

        model_server.start()  # the same port
        after = await turn(orchestrator, session, "back again")
        assert isinstance(final(after), TurnDone) and answer(after) == "echo: back again"
    assert [m.content for m in session.messages] == [
        "hello", "echo: hello", "slow answer please", "are you there?", "back again", "echo: back again",
    ], "the partial reply is not kept; every completed message is"
    assert_kept(session, path, completed)


# --- HTTP errors and malformed streams, OpenAI wire format ------------------------------------------

MODELS = {"object": "list", "data": [{"id": "m", "max_model_len": 4096}]}


def sse(*chunks: object) -> bytes:
    lines = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def text_chunk(text: str, finish: str | None = None) -> dict:
    return {"id": "x", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


def stream(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


OK = sse(text_chunk("fine"), text_chunk("", "stop"))


def cut_mid_reply() -> httpx.Response:
    async def body():
        yield f"data: {json.dumps(text_chunk('Half an'))}\n\n".encode()
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})


OPENAI_FAULTS = {
    # name: (the responses to the failing turn's requests, reason, words in the message, words in the hint)
    "429": (lambda: [httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"message": "rate limited"}})] * 3,
            "backend", ("HTTP 429", "rate limited"), "busy"),
    "503": (lambda: [httpx.Response(503, text="Service Unavailable: model loading")] * 3,
            "backend", ("HTTP 503", "model loading"), "busy"),
    "500": (lambda: [httpx.Response(500, json={"error": {"message": "CUDA out of memory"}})],
            "backend", ("HTTP 500", "CUDA out of memory"), "server failed"),
    "sse-not-json": (lambda: [stream(b"data: {not json\n\n")], "backend", ("not JSON",), "wire format"),
    "error-event": (lambda: [stream(sse(text_chunk("Part"), {"error": {"message": "engine died", "code": 500}}))],
                    "backend", ("engine died",), "server failed"),
    "not-sse": (lambda: [httpx.Response(200, json={"choices": []})], "backend", ("not an event stream",), "wire format"),
    "cut-mid-reply": (lambda: [cut_mid_reply()], ("backend_unavailable", "backend"), ("lost mid-reply",), "log"),
}


@pytest.mark.parametrize("fault", list(OPENAI_FAULTS))
async def test_openai_http_errors_and_malformed_streams(fault: str, workspace: Path, tmp_path: Path) -> None:
    failing, reason, words, hint = OPENAI_FAULTS[fault]
    queue = [stream(OK), *failing(), stream(OK)]

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json=MODELS)
        return queue.pop(0)

    client = OpenAICompatClient("http://testserver/v1", http=httpx.AsyncClient(transport=httpx.MockTransport(serve)),
                                backoff_s=0.0, max_retries=2)
    session, path = saved_session(tmp_path)
    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools)
        assert isinstance(final(await turn(orchestrator, session, "first")), TurnDone)
        completed = list(session.messages)
        assert_clear_failure(await turn(orchestrator, session, "second"), reason, *words, hint=hint)
        after = await turn(orchestrator, session, "third")
        assert isinstance(final(after), TurnDone) and answer(after) == "fine", "the next turn is answered"
    assert not queue, "every response was asked for (429/503 were retried)"
    assert [m.content for m in session.messages] == ["first", "fine", "second", "third", "fine"]
    assert_kept(session, path, completed)


# --- Ollama's NDJSON, over real HTTP from the replay server ----------------------------------------

OLLAMA_FAULTS = {
    "cut-mid-stream": ("chat_cut_mid_stream.json", ("backend_unavailable", "backend"), ("Ollama",), "reachable"),
    "no-done-line": ("chat_stream_cut_before_done.json", "backend", ("without a final (done) line",), "wire format"),
    "error-line": ("chat_error_line_mid_stream.json", "backend", ("unexpected EOF",), "server failed"),
    "line-not-json": ("chat_line_not_json.json", "backend", ("not valid JSON",), "wire format"),
    "500": ("chat_server_error_500.json", "backend", ("llama runner process has terminated",), "server failed"),
    "503": ("chat_server_busy_503.json", "backend", ("server busy",), "busy"),
}


@pytest.mark.parametrize("fault", list(OLLAMA_FAULTS))
async def test_ollama_errors_and_malformed_ndjson(fault: str, ollama_server, workspace: Path, tmp_path: Path) -> None:
    fixture, reason, words, hint = OLLAMA_FAULTS[fault]
    ollama_server.reset()
    client = OllamaClient("qwen2.5:7b", host=ollama_server.url)
    session, path = saved_session(tmp_path)
    async with client, ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools)
        first = await turn(orchestrator, session, "first")
        assert isinstance(final(first), TurnDone)
        completed = list(session.messages)
        ollama_server.chat = fixture
        assert_clear_failure(await turn(orchestrator, session, "second"), reason, *words, hint=hint)
        ollama_server.chat = None
        after = await turn(orchestrator, session, "third")
        assert isinstance(final(after), TurnDone) and answer(after) == answer(first), "the next turn is answered"
    assert [m.role for m in session.messages] == ["user", "assistant", "user", "user", "assistant"]
    assert_kept(session, path, completed)


async def test_a_failed_turn_leaves_a_history_the_server_accepts(model_server, workspace: Path, tmp_path: Path) -> None:
    """After a kill mid-tool-loop the next request carries a valid history (every call has its result)."""
    session, path = saved_session(tmp_path)
    client = OpenAICompatClient(model_server.url, backoff_s=0.05, max_retries=0)
    async with client, ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, tools)

        def kill_when_tool_finished(event) -> None:
            if event.kind == "tool_finished":
                model_server.kill()  # the reply after the tool result never comes

        events = await turn(orchestrator, session, 'call list_dir {"path": "."}', kill_when_tool_finished)
        assert_clear_failure(events, "backend_unavailable", "cannot reach")
        completed = list(session.messages)
        assert [m.role for m in completed] == ["user", "assistant", "tool"]
        model_server.start()
        after = await turn(orchestrator, session, "next")
        assert isinstance(final(after), TurnDone) and answer(after) == "echo: next"
    assert_kept(session, path, completed)
    assert isinstance(session.messages[-1], Message) and session.messages[-1].content == "echo: next"


async def test_the_tui_shows_a_killed_server_and_goes_on(model_server, workspace: Path) -> None:
    """The same kill, in the real Textual app under its pilot: the error is shown, the app stays."""
    app = make_app(load_settings(backend="openai", base_url=model_server.url, workspace=str(workspace)))
    async with app.run_test(size=(100, 40)) as pilot:
        async def wait(predicate, what: str) -> None:
            await wait_pilot(pilot, predicate, what)

        def idle() -> bool:
            return not any(w.group == "turn" and w.is_running for w in app.workers)

        async def send(text: str) -> None:
            prompt = app.query_one("#prompt")
            prompt.text = text
            prompt.focus()
            await pilot.press("enter")

        await wait(lambda: app.agent is not None, "the agent")
        await send("slow story")
        await wait(lambda: app.query(AssistantMessage) and "word1" in app.query(AssistantMessage).last().source, "the reply")
        model_server.kill()
        await wait(lambda: idle() and any("lost mid-reply" in str(n.render()) for n in app.query(NoticeLine)), "the error")
        error = next(str(n.render()) for n in app.query(NoticeLine) if "lost mid-reply" in str(n.render()))
        assert error.startswith("error: ") and " — " in error, "the message and the hint are shown"
        assert app.is_running
        model_server.start()
        await send("back?")
        await wait(lambda: idle() and app.query(AssistantMessage).last().source == "echo: back?", "the next answer")
        assert [m.content for m in app.agent.session.messages] == ["slow story", "back?", "echo: back?"]
        assert_kept(app.agent.session, app.agent.session.file.path, [])
