"""The agent loop, driven deterministically by the shipped ScriptedClient and real builtin tools."""

from __future__ import annotations

import pytest
from turn_support import approve_all, run_turn

from a2ia.client.scripted import CUT_SHORT, RawCall, ScriptedClient
from a2ia.errors import BackendUnavailable
from a2ia.hints import named_settings
from a2ia.orchestrator.endings import ANSWER_NOW
from a2ia.orchestrator.events import Notice, ToolFinished, ToolStarted, TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import ApprovalPolicy
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions, Done, TextDelta, ToolCall, ToolCallReady

pytestmark = pytest.mark.anyio




async def test_tool_round_trip(tools: ToolRegistry) -> None:
    client = ScriptedClient([ToolCall(id="c1", name="read_file", arguments={"path": "README.md"}), "It is a demo."])
    session = Session()
    events = await run_turn(Orchestrator(client, tools, system_prompt="sys"), session, "What is this?")

    kinds = [e.kind for e in events]
    assert kinds.index("tool_call") < kinds.index("tool_started") < kinds.index("tool_finished")
    assert isinstance(events[-1], TurnDone) and events[-1].steps == 2
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert not finished.result.is_error and finished.result.content.startswith("# Demo project")
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "It is a demo."

    # The second request carried the tool result back to the model, after the call.
    second = client.requests[1].messages
    assert [m.role for m in second] == ["system", "user", "assistant", "tool"]
    assert second[2].tool_calls[0].id == "c1"
    assert second[3].tool_call_id == "c1" and second[3].content.startswith("# Demo project")
    # The session holds every completed message, the system prompt excepted.
    assert [m.role for m in session.messages] == ["user", "assistant", "tool", "assistant"]
    offered = {s.name for s in client.requests[0].tools}
    assert {"list_dir", "read_file"} <= offered and not {"write_file", "run_shell"} & offered, "no approver: held back"


async def test_tool_error_is_fed_back_as_data(tools: ToolRegistry) -> None:
    client = ScriptedClient([ToolCall(id="c1", name="read_file", arguments={"path": "../secret.txt"}), "Sorry."])
    events = await run_turn(Orchestrator(client, tools), Session(), "read the secret")
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.result.is_error and "outside the workspace root" in finished.result.content
    tool_message = client.requests[1].messages[-1]
    assert tool_message.role == "tool" and "outside the workspace root" in tool_message.content
    assert isinstance(events[-1], TurnDone)


async def test_unparseable_arguments_are_not_run_and_explained(tools: ToolRegistry) -> None:
    client = ScriptedClient([[RawCall("read_file", '{"pa'), CUT_SHORT], "ok"])
    events = await run_turn(Orchestrator(client, tools), Session(), "x")
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.result.is_error
    assert "was not run" in finished.result.content and '{"pa' in finished.result.content
    assert "cut by the token limit" in finished.result.content


async def test_max_steps_stops_the_loop(tools: ToolRegistry) -> None:
    """At the limit, one more request with no tools; a model that still only calls fails the turn."""
    client = ScriptedClient(
        lambda request: ToolCall(id=f"c{len(request.messages)}", name="read_file", arguments={"path": "README.md", "offset": len(request.messages)})
    )
    events = await run_turn(Orchestrator(client, tools, max_steps=3), Session(), "loop forever")
    assert len(client.requests) == 4
    final = client.requests[-1]
    assert final.options.tool_choice == "none" and final.messages[-1].content == ANSWER_NOW
    assert sum(isinstance(e, ToolStarted) for e in events) == 3
    stopped = next(e for e in events if isinstance(e, Notice) and e.level == "warning")
    assert not any(isinstance(e, ToolCallReady) for e in events[events.index(stopped):]), "a call in the final step is not shown"
    assert isinstance(events[-1], TurnFailed) and events[-1].reason == "max_steps"
    assert "3 steps" in events[-1].message and ("max_steps", None) in named_settings(events[-1].hint)


async def test_at_the_step_limit_the_model_answers_without_tools(tools: ToolRegistry) -> None:
    def reply(request):
        messages = request.messages
        if messages[-1].content == ANSWER_NOW:
            return "From what I read: a demo project."
        return ToolCall(id=f"c{len(messages)}", name="read_file", arguments={"path": "README.md", "offset": len(messages)})

    session = Session()
    events = await run_turn(Orchestrator(client := ScriptedClient(reply), tools, max_steps=2), session, "what is it?")
    notice = next(e for e in events if isinstance(e, Notice) and e.level == "warning")
    assert "stopped after 2 steps" in notice.text and "without tools" in notice.text
    assert isinstance(events[-1], TurnDone) and events[-1].steps == 3
    assert session.messages[-1].content == "From what I read: a demo project."
    assert all(m.content != ANSWER_NOW for m in session.messages), "the nudge is not kept in the session"
    assert len(client.requests) == 3


async def test_three_failing_steps_in_a_row_stop_the_tools(tools: ToolRegistry) -> None:
    def reply(request):
        messages = request.messages
        if messages[-1].content == ANSWER_NOW:
            return "I could not find those files."
        return ToolCall(id=f"c{len(messages)}", name="read_file", arguments={"path": f"missing{len(messages)}.txt"})

    events = await run_turn(Orchestrator(ScriptedClient(reply), tools), Session(), "read the files")
    assert sum(isinstance(e, ToolFinished) and e.result.is_error for e in events) == 3
    assert any(isinstance(e, Notice) and "every tool call failed, 3 steps in a row" in e.text for e in events)
    assert isinstance(events[-1], TurnDone)


async def test_an_empty_reply_is_asked_again_without_tools_then_named(tools: ToolRegistry) -> None:
    answered = await run_turn(Orchestrator(ScriptedClient(["", "hello"]), tools), Session(), "hi")
    assert any(isinstance(e, Notice) and "empty reply" in e.text for e in answered)
    assert isinstance(answered[-1], TurnDone)
    silent = await run_turn(Orchestrator(ScriptedClient(["", ""]), tools), Session(), "hi")
    assert isinstance(silent[-1], TurnFailed) and silent[-1].reason == "empty_reply"
    assert "tool handler" in silent[-1].hint and ("react", None) in named_settings(silent[-1].hint)


async def test_a_script_is_offered_only_the_tools_that_can_run(tools: ToolRegistry) -> None:
    client = ScriptedClient(["ok", "ok"])
    events = await run_turn(Orchestrator(client, tools), Session(), "x")
    offered = {s.name for s in client.requests[0].tools}
    assert offered >= {"list_dir", "read_file", "grep", "glob"} and not offered & {"write_file", "edit_file", "run_shell"}
    notice = next(e for e in events if isinstance(e, Notice))
    assert "not offering write_file, edit_file, run_shell" in notice.text
    assert named_settings(notice.text) == [("yes", None), ("approval", "auto"), ("allow_tools", "write_file")]
    auto = ScriptedClient(["ok"])
    await run_turn(Orchestrator(auto, tools, approval=ApprovalPolicy(mode="auto-edit")), Session(), "x")
    assert {"write_file", "edit_file"} <= {s.name for s in auto.requests[0].tools}
    asked = ScriptedClient(["ok"])
    await run_turn(Orchestrator(asked, tools, approver=approve_all), Session(), "x")
    assert "run_shell" in {s.name for s in asked.requests[0].tools}, "with someone to ask, everything is offered"


async def test_forced_tool_choice_applies_to_the_first_step_only(tools: ToolRegistry) -> None:
    client = ScriptedClient([ToolCall(id="c1", name="list_dir", arguments={}), "done"])
    orchestrator = Orchestrator(client, tools, options=ChatOptions(tool_choice="list_dir"))
    await run_turn(orchestrator, Session(), "x")
    assert [r.options.tool_choice for r in client.requests] == ["list_dir", "auto"]


async def test_backend_failure_ends_the_turn_and_keeps_history(tools: ToolRegistry) -> None:
    client = ScriptedClient(["first answer", BackendUnavailable("server at http://127.0.0.1:9 refused the connection")])
    orchestrator = Orchestrator(client, tools)
    session = Session()
    first = await run_turn(orchestrator, session, "one")
    assert isinstance(first[-1], TurnDone)
    second = await run_turn(orchestrator, session, "two")
    assert isinstance(second[-1], TurnFailed) and second[-1].reason == "backend_unavailable"
    assert "refused" in second[-1].message
    assert [m.content for m in session.messages] == ["one", "first answer", "two"]


async def test_unexpected_bug_becomes_turn_failed(tools: ToolRegistry) -> None:
    client = ScriptedClient([ZeroDivisionError("boom")])
    events = await run_turn(Orchestrator(client, tools), Session(), "x")
    assert events[-1].reason == "internal" and "ZeroDivisionError" in events[-1].message


async def test_stream_events_pass_through_in_order(tools: ToolRegistry) -> None:
    client = ScriptedClient(["a b c"])
    events = await run_turn(Orchestrator(client, tools, approver=approve_all), Session(), "x")
    assert [e.kind for e in events] == ["text", "text", "text", "usage", "done", "turn_done"]
    assert isinstance(events[-2], Done)


async def test_scripted_chat_collects_calls(tools: ToolRegistry) -> None:
    client = ScriptedClient([["look: ", ToolCall(id="a", name="list_dir")]])
    reply = await client.chat([], tools.specs())
    assert reply.content == "look: " and reply.tool_calls[0].name == "list_dir"
