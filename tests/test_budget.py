"""The context budget keeps every request inside a small window, or refuses to send it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from a2ia.client.llamacpp import LlamaCppClient
from a2ia.client.scripted import ScriptedClient
from a2ia.errors import ContextOverflow
from a2ia.orchestrator.budget import MESSAGE_OVERHEAD, SAFETY_MARGIN, ContextBudget, estimate_tokens, shorten
from a2ia.orchestrator.events import Notice, TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ChatOptions, Message, ToolCall, ToolSpec

WINDOW = 2048
OPTIONS = ChatOptions(max_tokens=256)
TOOLS = [ToolSpec(name="read_file", description="Read a file.", input_schema={"type": "object", "properties": {"path": {"type": "string"}}})]


def by_estimate() -> ContextBudget:
    """A budget that counts with ``estimate_tokens`` (tested on its own below), as with no tokenizer."""
    return ContextBudget(window=WINDOW, count=estimate_tokens)


ROOM = WINDOW - OPTIONS.max_tokens - SAFETY_MARGIN
"""Where a request with no tool specs must fit: the window less the reply's tokens and the margin."""


def sent(messages, count=estimate_tokens) -> int:
    """A request's size, counted here: each message's text and calls, and its framing."""
    return sum(
        count(m.content + "".join(json.dumps(c.arguments) + c.name for c in m.tool_calls)) + MESSAGE_OVERHEAD
        for m in messages
    )


def turn(i: int, result_chars: int = 400) -> list[Message]:
    call = ToolCall(id=f"c{i}", name="read_file", arguments={"path": f"f{i}.txt"})
    return [
        Message.user(f"question {i} " + "word " * 40),
        Message(role="assistant", tool_calls=(call,)),
        Message(role="tool", content=f"result {i} " + "x" * result_chars, tool_call_id=f"c{i}", name="read_file"),
        Message(role="assistant", content=f"answer {i} " + "blah " * 30),
    ]


def test_small_requests_pass_unchanged() -> None:
    budget = ContextBudget(window=WINDOW)
    messages = [Message.system("sys"), *turn(1)]
    assert budget.fit(messages, TOOLS, OPTIONS) == (messages, [])


def test_no_window_known_means_no_fitting() -> None:
    messages = [Message.user("x" * 100_000)]
    assert ContextBudget(window=None).fit(messages, TOOLS, OPTIONS) == (messages, [])


def test_a_huge_tool_result_is_cut_head_and_tail_kept() -> None:
    budget = by_estimate()
    big = "HEAD " + "middle " * 20_000 + " TAIL"
    messages = [Message.system("sys"), Message.user("read it"), Message(role="assistant", tool_calls=(ToolCall(id="c", name="read_file"),)), Message(role="tool", content=big, tool_call_id="c", name="read_file")]
    fitted, notices = budget.fit(messages, [], OPTIONS)
    assert sent(fitted) <= ROOM
    result = fitted[-1].content
    assert result.startswith("HEAD") and result.endswith("TAIL") and "characters cut to fit the context window" in result
    assert len(fitted) == 4 and "shortened 1 long tool result" in notices[0].text


def test_a_long_history_drops_whole_old_turns_and_keeps_the_current_one() -> None:
    budget = by_estimate()
    messages = [Message.system("sys")] + [m for i in range(40) for m in turn(i)] + [Message.user("the current question")]
    fitted, notices = budget.fit(messages, [], OPTIONS)
    assert sent(fitted) <= ROOM
    assert fitted[0].content == "sys" and fitted[-1].content == "the current question"
    assert fitted[1].role == "user", "history starts at a whole turn"
    ids_called = {c.id for m in fitted for c in m.tool_calls}
    ids_answered = {m.tool_call_id for m in fitted if m.role == "tool"}
    assert ids_called == ids_answered, "no call without its result, no result without its call"
    assert "left out the" in notices[0].text and f"{WINDOW:,}-token" in notices[0].text
    # The same compaction on the next step is not announced again.
    assert budget.fit(messages, [], OPTIONS)[1] == []


def test_a_current_turn_that_cannot_fit_is_refused_not_sent() -> None:
    budget = ContextBudget(window=WINDOW)
    with pytest.raises(ContextOverflow, match="window leaves room for"):
        budget.fit([Message.user("word " * 5_000)], TOOLS, OPTIONS)


def test_many_results_in_the_current_turn_share_the_room() -> None:
    budget = by_estimate()
    calls = tuple(ToolCall(id=f"c{i}", name="read_file") for i in range(4))
    messages = [Message.user("read four"), Message(role="assistant", tool_calls=calls)]
    messages += [Message(role="tool", content="y" * 6_000, tool_call_id=f"c{i}", name="read_file") for i in range(4)]
    fitted, _ = budget.fit(messages, [], OPTIONS)
    assert sent(fitted) <= ROOM
    assert all("cut to fit" in m.content for m in fitted if m.role == "tool")


def test_shorten_and_estimate() -> None:
    assert shorten("abc", 10) == "abc"
    cut = shorten("a" * 100 + "b" * 100, 30)
    assert cut.startswith("a" * 20) and cut.endswith("b" * 10) and "170 characters cut" in cut
    assert estimate_tokens("x" * 10) == 4


@pytest.mark.anyio
async def test_orchestrator_fits_every_request_and_tells_the_person(workspace: Path) -> None:
    (workspace / "big.txt").write_text("line of text\n" * 3_000)

    client = ScriptedClient([ToolCall(id="c1", name="read_file", arguments={"path": "big.txt"}), "It is long."], context_length=WINDOW)
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(client, registry, options=OPTIONS)
        session = Session()
        events = [e async for e in orchestrator.run(session, "read big.txt")]
        for request in client.requests:
            specs = estimate_tokens(json.dumps([t.model_dump(mode="json", exclude={"builtin", "decoding_schema"}) for t in request.tools]))
            assert sent(request.messages) <= ROOM - specs, "the request, its tool definitions and the reply fit"
    assert any(isinstance(e, Notice) and "history compacted" in e.text for e in events)
    assert isinstance(events[-1], TurnDone)
    assert len(session.messages[2].content) > 30_000, "the session keeps the whole result; only the request is cut"


@pytest.mark.anyio
async def test_overflow_ends_the_turn_cleanly(workspace: Path) -> None:
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        events = [e async for e in Orchestrator(ScriptedClient(["x"], context_length=512), registry).run(Session(), "word " * 2_000)]
    assert isinstance(events[-1], TurnFailed) and events[-1].reason == "backend" and "window" in events[-1].message


@pytest.mark.anyio
@pytest.mark.model
async def test_real_tokenizer_counts_for_the_embedded_engine(smollm2: Path) -> None:
    async with LlamaCppClient(smollm2, n_ctx=2048) as client:
        caps = await client.capabilities()
        budget = ContextBudget.for_client(client, caps.context_length)
        text = "The quick brown fox jumps over the lazy dog. " * 20
        counted = budget.count(text)
        assert counted == client.count_tokens(text) and 150 < counted < estimate_tokens(text) + 50


@pytest.mark.anyio
async def test_unknown_window_assumes_the_fallback_and_says_so(workspace: Path) -> None:
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        orchestrator = Orchestrator(ScriptedClient(["x"], context_length=None), registry, fallback_window=3000)
        events = [e async for e in orchestrator.run(Session(), "hi")]
    assert isinstance(events[0], Notice) and "assuming 3,000 tokens" in events[0].text
    assert orchestrator.budget.window == 3000


class CountingClient(ScriptedClient):
    """A client with a 'tokenizer' (4 characters a token) that records what it was asked to count."""

    def __init__(self) -> None:
        super().__init__()
        self.counted: list[str] = []

    def count_tokens(self, text: str) -> int | None:
        self.counted.append(text)
        return len(text) // 4 + 1


def test_fitting_every_step_counts_each_text_and_the_tool_specs_once() -> None:
    """``fit`` runs before every step over the whole history; with a real tokenizer that cost 8.6 ms
    a step for 5,000 tokens. A text is counted once; the same spec objects are counted once."""
    client = CountingClient()
    budget = ContextBudget.for_client(client, WINDOW)
    messages = [Message.system("sys"), *turn(1)]
    for _ in range(5):
        budget.fit(messages, list(TOOLS), OPTIONS)  # a new list of the same (frozen) specs, as each turn has
    assert len(client.counted) == len(set(client.counted)) == len(messages) + 1
    other = [TOOLS[0].model_copy(update={"description": "Read one whole file, as text, from the workspace."})]
    assert budget.room(other, OPTIONS) != budget.room(TOOLS, OPTIONS), "other specs are counted again"
