"""Compaction that keeps meaning: past 80% of the window the earlier turns are summarised by the
session's own model (the scripted client here, through the same streaming path as real ones;
``test_compaction_real.py`` has the real embedded model), the summary pinned in the system
message, the last turns kept as they are, and the session file keeps it all for ``--resume``."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient, ScriptedRequest
from a2ia.orchestrator.compaction import SUMMARISE, Summary
from a2ia.orchestrator.events import Notice, TurnDone
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, read_session

pytestmark = pytest.mark.anyio
FILLER = "lorem ipsum dolor sit amet " * 67  # about 600 tokens by the budget's estimate


def reply(request: ScriptedRequest) -> str:
    if request.messages[0].content.startswith(SUMMARISE):
        said = request.messages[-1].content
        return "Facts: the cat is called Zorro." if "Zorro" in said else "Facts: none."
    return "ok"


async def test_the_earlier_turns_become_a_pinned_summary(tmp_path: Path, tools) -> None:
    client = ScriptedClient(reply, context_length=8192)  # the builtin tools' definitions take ~1,700
    orchestrator = Orchestrator(client, tools, system_prompt="sys")
    session = Session(file=SessionFile.create("s1", {}, tmp_path))
    said: list[str] = []
    for text in ["My cat is called Zorro.", *[f"note {i}: {FILLER}" for i in range(10)]]:
        events = [e async for e in orchestrator.run(session, text)]
        assert isinstance(events[-1], TurnDone)
        said += [e.text for e in events if isinstance(e, Notice)]
    summary = session.state.summary
    assert summary is not None and summary.text == "Facts: the cat is called Zorro."
    assert summary.said[0] == "My cat is called Zorro.", "the person's words, kept as they are"
    assert any(n.startswith("compacted: ") and "the last turns are kept as they are" in n for n in said)
    last = client.requests[-1].messages
    assert last[0].role == "system" and last[0].content.startswith("sys\n\nSummary of the earlier conversation")
    assert "What the person said, in their words:\n- My cat is called Zorro." in last[0].content
    assert not any("Zorro" in m.content for m in last[1:]), "the summary stands for them"
    assert sum(m.role == "user" for m in last) == 2, "the last two turns verbatim"
    assert len(session.messages) == 22, "the session keeps every message"

    session.close()
    loaded = read_session(tmp_path / "s1.jsonl")
    assert loaded.summary == (summary.upto, summary.text, summary.said) and len(loaded.messages) == 22


async def test_compact_on_request_and_when_there_is_too_little(tools) -> None:
    client = ScriptedClient(reply)
    orchestrator, session = Orchestrator(client, tools), Session()
    [e async for e in orchestrator.run(session, "My cat is called Zorro.")]
    assert (await orchestrator.compact(session)).text.startswith("nothing to compact yet")
    for text in ["second", "third"]:
        [e async for e in orchestrator.run(session, text)]
    notice = await orchestrator.compact(session, "the pets")
    assert notice.text.startswith("compacted: 2 earlier messages")
    asked = next(r for r in client.requests if r.messages[0].content.startswith(SUMMARISE))
    assert asked.messages[0].content.endswith("Focus on: the pets.") and asked.tools == ()
    assert session.state.summary == Summary("Facts: the cat is called Zorro.", 2, ("My cat is called Zorro.",))


async def test_a_failed_summary_changes_nothing(tools) -> None:
    def broken(request: ScriptedRequest):
        return "" if request.messages[0].content.startswith(SUMMARISE) else "ok"

    orchestrator, session = Orchestrator(ScriptedClient(broken), tools), Session()
    for text in ["one", "two", "three"]:
        [e async for e in orchestrator.run(session, text)]
    notice = await orchestrator.compact(session)
    assert notice.level == "warning" and "could not summarise" in notice.text and session.state.summary is None
