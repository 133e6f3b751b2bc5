"""Running one orchestrator turn in a test: the events it yields, and an approver that allows all."""

from __future__ import annotations

from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session


async def approve_all(_request) -> str:
    return "once"


async def run_turn(orchestrator: Orchestrator, session: Session | None = None, text: str = "What is in README.md?") -> list:
    """Every event of one turn, in order (the turn always ends with ``TurnDone`` or ``TurnFailed``)."""
    return [event async for event in orchestrator.run(session if session is not None else Session(), text)]
