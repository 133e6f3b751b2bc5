"""The messages one step sends: a single system message (the session's system prompt, plan mode's
instruction while in it, the pinned summary of the earlier turns), then the messages the
summary does not cover. One system message, first: what every chat template takes."""

from __future__ import annotations

from a2ia.orchestrator.session import Session
from a2ia.types import Message

PLAN_INSTRUCTION = (
    "You are in plan mode: look at what you need with the read-only tools, change nothing, and answer "
    "with a numbered plan of the changes you would make (files, what in them, how to check). The person "
    "reads it and says /go to have you carry it out."
)


def request_messages(session: Session, system_prompt: str | None, *, plan: bool = False) -> list[Message]:
    summary = session.state.summary
    messages = session.messages[summary.upto:] if summary else session.messages
    own = session.messages[0] if session.messages and session.messages[0].role == "system" else None
    parts = [own.content if own else system_prompt or "", PLAN_INSTRUCTION if plan else "", summary.pinned() if summary else ""]
    prompt = "\n\n".join(p for p in parts if p)
    rest = [m for m in messages if m is not own]
    return [Message.system(prompt), *rest] if prompt else rest
