"""A session's own state: what one conversation decided does not carry into the next.

``/clear`` and ``/resume`` open a new ``Session`` on the same ``Orchestrator``. The ReAct
fallback a backend forced on the old session, and the "always" answers its person gave, belong
to that session (README: both are per session); the new one chooses and asks again.
The scripted client goes through the same loop as a real backend; the tools are the real
builtin MCP server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.errors import ToolsNotSupported
from a2ia.orchestrator.events import ApprovalNeeded, Notice, TurnDone
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ToolCall

pytestmark = pytest.mark.anyio


def write(n: int) -> ToolCall:
    return ToolCall(id=f"w{n}", name="write_file", arguments={"path": f"file{n}.txt", "content": "x"})


async def turn(orchestrator: Orchestrator, session: Session, text: str) -> list:
    return [e async for e in orchestrator.run(session, text)]


async def test_always_approvals_stay_with_the_session_that_gave_them(tools: ToolRegistry, workspace: Path) -> None:
    asked: list[ApprovalNeeded] = []

    async def approver(request: ApprovalNeeded):
        asked.append(request)
        return "always"

    client = ScriptedClient([write(1), "one", write(2), "two", write(3), "three"])
    orchestrator = Orchestrator(client, tools, approver=approver)
    first = Session()
    assert isinstance((await turn(orchestrator, first, "write one"))[-1], TurnDone)
    assert isinstance((await turn(orchestrator, first, "write two"))[-1], TurnDone)
    assert [a.call.id for a in asked] == ["w1"], "asked once, then 'always' holds in that session"

    after_clear = Session()
    assert isinstance((await turn(orchestrator, after_clear, "write three"))[-1], TurnDone)
    assert [a.call.id for a in asked] == ["w1", "w3"], "a new session is asked again"
    assert all((workspace / f"file{n}.txt").exists() for n in (1, 2, 3))


async def test_the_react_fallback_stays_with_the_session_it_was_forced_on(tools: ToolRegistry) -> None:
    """A backend that refuses tools natively (an HTTP 400, as vLLM without a parser gives)."""

    def reply(request):
        if request.tools:
            return ToolsNotSupported("tools are not supported: no parser", status=400)
        return "Final Answer: hello"

    client = ScriptedClient(reply)
    orchestrator = Orchestrator(client, tools)
    switched = "switching to react prompting"

    first = Session()
    events = await turn(orchestrator, first, "hi")
    assert isinstance(events[-1], TurnDone) and any(isinstance(e, Notice) and switched in e.text for e in events)
    assert orchestrator.tool_mode(first) == "react"
    again = await turn(orchestrator, first, "hi again")
    assert not any(isinstance(e, Notice) and switched in e.text for e in again), "the session stays in ReAct"

    after_clear = Session()
    assert orchestrator.tool_mode(after_clear) == "auto", "a new session has chosen nothing yet"
    events = await turn(orchestrator, after_clear, "hi")
    assert any(isinstance(e, Notice) and switched in e.text for e in events), "the new session tried native tools itself"
    assert [bool(r.tools) for r in client.requests] == [True, False, False, True, False]


async def test_react_turned_on_applies_to_the_session_in_use(tools: ToolRegistry) -> None:
    """``/react on`` is ``set_mode``: the session in use chooses its protocol again on its next turn."""
    client = ScriptedClient(["native answer", "Final Answer: react answer"])
    orchestrator = Orchestrator(client, tools)
    session = Session()
    await turn(orchestrator, session, "one")
    assert orchestrator.tool_mode(session) == "native"
    orchestrator.set_mode("react")
    events = await turn(orchestrator, session, "two")
    assert isinstance(events[-1], TurnDone) and orchestrator.tool_mode(session) == "react"
    assert [bool(r.tools) for r in client.requests] == [True, False], "ReAct offers no tools natively"
