"""Tool-calling modes, the switch to ReAct, argument checks, repeats and concurrency.

Driven by the shipped ScriptedClient with real builtin tools; the tools-rejected errors are
the real bodies: vLLM 0.32's 400 (seen on the real server, see test_vllm_real) and Ollama's
"does not support tools" (recorded fixture).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from mcp.server import MCPServer
from turn_support import approve_all, run_turn

from a2ia.client.scripted import ScriptedClient
from a2ia.errors import ToolsNotSupported
from a2ia.orchestrator.events import Notice, ToolFinished, ToolStarted, TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ReasoningDelta, TextDelta, ToolCall

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parent / "fixtures"
VLLM_400 = '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
OLLAMA_400 = json.loads((FIXTURES / "ollama" / "chat_does_not_support_tools.json").read_text())["body"]["error"]


def no_native_tools(replies, **capabilities) -> ScriptedClient:
    return ScriptedClient(replies, native_tools=False, **capabilities)




def answer(events) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


REACT_CALL = 'Thought: I should read it.\nAction: read_file\nAction Input: {"path": "README.md"}'
REACT_FINAL = "Thought: I know now.\nFinal Answer: It is a demo project."


async def test_react_round_trip_when_the_model_has_no_native_tools(tools: ToolRegistry) -> None:
    client = no_native_tools([REACT_CALL, REACT_FINAL])
    events = await run_turn(Orchestrator(client, tools))
    assert isinstance(events[0], Notice) and "using react prompting" in events[0].text
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.call.name == "read_file" and finished.result.content.startswith("# Demo project")
    assert answer(events) == "It is a demo project."
    assert "I should read it." in "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    first, second = client.requests
    assert first.tools == () and "Observation:" in first.options.stop
    assert "Final Answer" in first.messages[0].content and "read_file" in first.messages[0].content
    assert second.messages[-1].content.startswith("Observation: # Demo project")
    assert isinstance(events[-1], TurnDone)


@pytest.mark.parametrize("rejection", [VLLM_400, OLLAMA_400], ids=["vllm-400", "ollama-does-not-support-tools"])
async def test_tools_rejected_switches_to_react_with_a_notice(tools: ToolRegistry, rejection: str) -> None:
    def reply(request):
        if request.tools:
            return ToolsNotSupported(f"the server does not accept tools: {rejection}", status=400, body=rejection)
        return REACT_CALL if not any(m.content.startswith("Observation:") for m in request.messages) else REACT_FINAL

    client = ScriptedClient(reply)
    orchestrator = Orchestrator(client, tools, approver=approve_all)
    session = Session()
    events = await run_turn(orchestrator, session=session)
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and notices[0].level == "warning" and "switching to react prompting" in notices[0].text
    assert any(isinstance(e, ToolFinished) for e in events)
    assert answer(events) == "It is a demo project." and isinstance(events[-1], TurnDone)
    # The session stays in ReAct: the next turn asks no tools of the server and gets no notice.
    more = await run_turn(orchestrator, session, "again")
    assert not any(isinstance(e, Notice) for e in more)
    assert all(r.tools == () for r in client.requests[1:])


async def test_forced_native_mode_does_not_switch(tools: ToolRegistry) -> None:
    client = ScriptedClient([ToolsNotSupported("the server does not accept tools: no", status=400)])
    events = await run_turn(Orchestrator(client, tools, mode="native"))
    assert isinstance(events[-1], TurnFailed) and events[-1].reason == "backend"


async def test_react_forced_on_a_native_backend(tools: ToolRegistry) -> None:
    client = ScriptedClient([REACT_FINAL])
    events = await run_turn(Orchestrator(client, tools, mode="react", approver=approve_all))
    assert client.requests[0].tools == () and answer(events) == "It is a demo project."
    assert not any(isinstance(e, Notice) for e in events)


async def test_unparseable_react_reply_gets_a_corrective_message(tools: ToolRegistry) -> None:
    client = no_native_tools(["Thought: hmm\nAction: delete_all\nAction Input: {}", REACT_FINAL])
    events = await run_turn(Orchestrator(client, tools))
    assert any(isinstance(e, Notice) and "'delete_all' is not a tool" in e.text for e in events)
    correction = client.requests[1].messages[-1]
    assert correction.role == "user" and "could not be used" in correction.content and "delete_all" in correction.content
    assert answer(events) == "It is a demo project."
    # A retry samples differently: the same greedy decoding would give the same reply again.
    first, retry = client.requests[0].options, client.requests[1].options
    assert (first.temperature or 0.0) < retry.temperature


async def test_corrections_are_bounded_and_nothing_is_lost(tools: ToolRegistry) -> None:
    bad = "Thought: x\nAction: nope\nAction Input: {}"
    client = no_native_tools([bad, bad, bad, "never asked"])
    events = await run_turn(Orchestrator(client, tools))
    assert len(client.requests) == 3
    assert any(isinstance(e, Notice) and e.level == "warning" and "shown as it is" in e.text for e in events)
    assert answer(events) == bad and isinstance(events[-1], TurnDone)


async def test_constrained_react_sends_the_schema_and_parses_json(tools: ToolRegistry) -> None:
    call = json.dumps({"thought": "read it", "action": "read_file", "action_input": {"path": "README.md"}})
    final = json.dumps({"thought": "done", "final_answer": "A demo."})
    client = no_native_tools([call, final], constrained_decoding=True)
    events = await run_turn(Orchestrator(client, tools))
    assert "react-constrained" in events[0].text
    schema = client.requests[0].options.json_schema
    assert {v["properties"].get("action", {}).get("const") for v in schema["anyOf"]} >= {"read_file", "list_dir"}
    assert any(isinstance(e, ToolFinished) and not e.result.is_error for e in events)
    assert answer(events) == "A demo."


async def test_arguments_are_checked_against_the_schema_before_running(tools: ToolRegistry) -> None:
    bad = ToolCall(id="c1", name="read_file", arguments={"path": 5, "extra": True})
    client = ScriptedClient([bad, "ok"])
    events = await run_turn(Orchestrator(client, tools))
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.result.is_error
    assert "do not match the tool's schema" in finished.result.content and "path: 5 is not of type 'string'" in finished.result.content
    missing = ScriptedClient([ToolCall(id="c2", name="read_file", arguments={}), "ok"])
    events = await run_turn(Orchestrator(missing, tools))
    assert "'path' is a required property" in next(e for e in events if isinstance(e, ToolFinished)).result.content


async def test_repeated_call_stops_the_loop(tools: ToolRegistry) -> None:
    same = ToolCall(id="c1", name="list_dir", arguments={"path": "."})
    client = ScriptedClient([same, same.model_copy(update={"id": "c2"}), "From the listing: a README."])
    events = await run_turn(Orchestrator(client, tools))
    assert sum(isinstance(e, ToolStarted) for e in events) == 1
    notice = next(e for e in events if isinstance(e, Notice) and e.level == "warning")
    assert "list_dir" in notice.text and "same arguments" in notice.text
    assert client.requests[-1].options.tool_choice == "none" and answer(events) == "From the listing: a README."
    assert isinstance(events[-1], TurnDone)
    # The repeated call got a result, so the history stays well-formed for the next request.
    repeated = client.requests[-1].messages
    assert repeated[-2].role == "tool" and repeated[-2].tool_call_id == "c2" and "already made" in repeated[-2].content
    silent = ScriptedClient([same, same.model_copy(update={"id": "c3"}), same.model_copy(update={"id": "c4"})])
    failed = await run_turn(Orchestrator(silent, tools))
    assert isinstance(failed[-1], TurnFailed) and failed[-1].reason == "repeated_call", "no text even then: the turn fails"


async def test_a_call_repeated_later_but_not_consecutively_runs(tools: ToolRegistry) -> None:
    a = ToolCall(id="a", name="list_dir", arguments={"path": "."})
    b = ToolCall(id="b", name="read_file", arguments={"path": "README.md"})
    client = ScriptedClient([a, b, a.model_copy(update={"id": "a2"}), "done"])
    events = await run_turn(Orchestrator(client, tools))
    assert sum(isinstance(e, ToolStarted) for e in events) == 3 and isinstance(events[-1], TurnDone)


async def test_a_cycle_of_two_steps_counts_as_a_repeat(tools: ToolRegistry) -> None:
    """A model alternating list_dir and read_file on the same arguments used to run to the step limit."""
    a = ToolCall(id="a", name="list_dir", arguments={"path": "."})
    b = ToolCall(id="b", name="read_file", arguments={"path": "README.md"})
    client = ScriptedClient([a, b, a.model_copy(update={"id": "a2"}), b.model_copy(update={"id": "b2"}), "done"])
    events = await run_turn(Orchestrator(client, tools, max_steps=8))
    assert sum(isinstance(e, ToolStarted) for e in events) == 3, "A B A run; the second B is the cycle"
    notice = next(e for e in events if isinstance(e, Notice) and e.level == "warning")
    assert "read_file" in notice.text and "cycle" in notice.text
    assert isinstance(events[-1], TurnDone) and answer(events) == "done"


async def test_independent_calls_run_concurrently_results_in_call_order(workspace: Path) -> None:
    """No wall clock: each call waits until all three are running (run one after another, the
    first would wait for ever and fail its deadline), then they finish in the order of their
    sleeps."""
    slow = MCPServer("slow", log_level="WARNING")
    running: set[str] = set()
    all_running = asyncio.Event()

    @slow.tool(structured_output=False)
    async def wait(seconds: float, label: str) -> str:
        """Wait, then say the label."""
        running.add(label)
        if len(running) == 3:
            all_running.set()
        await asyncio.wait_for(all_running.wait(), timeout=30)
        await asyncio.sleep(seconds)
        return label

    async with ToolRegistry() as registry:
        await registry.add_server("slow", slow)
        calls = [
            ToolCall(id="first", name="wait", arguments={"seconds": 0.4, "label": "one"}),
            ToolCall(id="second", name="wait", arguments={"seconds": 0.1, "label": "two"}),
            ToolCall(id="third", name="wait", arguments={"seconds": 0.2, "label": "three"}),
        ]
        session = Session()
        policy = ApprovalPolicy(allow=["wait"])  # not annotated read-only: it would be asked about
        events = await run_turn(Orchestrator(ScriptedClient([calls, "done"]), registry, approval=policy), session, "go")
    assert all(not e.result.is_error for e in events if isinstance(e, ToolFinished)), "all three ran at once"
    finished = [e.call.id for e in events if isinstance(e, ToolFinished)]
    assert finished == ["second", "third", "first"], "finish events come as calls complete"
    assert [m.tool_call_id for m in session.messages if m.role == "tool"] == ["first", "second", "third"]
    assert [m.content for m in session.messages if m.role == "tool"] == ["one", "two", "three"]
