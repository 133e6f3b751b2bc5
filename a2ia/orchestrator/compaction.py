"""Compaction that keeps meaning: the older part of a conversation summarised by the session's own
model, the recent turns kept as they are.

Before a turn's first step, when the request would pass ``COMPACT_AT`` of the model's real
window (or on ``/compact [focus]``), the messages before the last ``KEEP_TURNS`` turns (and
after the last summary) are summarised, the previous summary included, into what was asked,
decided and done, the files touched and what is still open. The summary is pinned: it rides in
the system message of every later request, and the messages it covers are no longer sent.
With the model's summary it carries the person's own messages in their words (each cut, the
middle ones dropped past a total): what the person stated survives even a small model's summary. The
session keeps every message (its file too, with a ``summary`` record), so ``--resume`` goes on
from the same summary. A summary that fails (the backend, an empty reply) changes nothing: the
budget then leaves out the oldest turns, as before, and the person is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from a2ia.client.base import LLMClient
from a2ia.errors import A2iaError
from a2ia.orchestrator.budget import ContextBudget
from a2ia.orchestrator.events import Notice
from a2ia.text import head_and_tail
from a2ia.types import ChatOptions, Message

if TYPE_CHECKING:
    from a2ia.orchestrator.session import Session

COMPACT_AT = 0.8
KEEP_TURNS = 2
MAX_SUMMARY_TOKENS = 512
MAX_MESSAGE_CHARS = 2_000  # of each message, in what the summariser reads
MAX_SAID_CHARS = 400  # of each of the person's messages kept in their words
MAX_SAID_TOTAL = 4_000
SUMMARISE = (
    "You summarise a conversation between a person and a coding assistant so that it can go on "
    "without the earlier messages. Write short sections: Asked (what the person wants), Decided, "
    "Done (with the files read or changed), Facts (names, numbers, paths to keep exactly), Open "
    "(what is left). Keep every fact the person stated. Plain text, no preamble."
)


@dataclass(frozen=True)
class Summary:
    text: str
    upto: int  # it covers session.messages[:upto]
    said: tuple[str, ...] = ()  # the person's own messages it covers, kept in their words (cut)

    def pinned(self) -> str:
        words = "\n".join(f"- {line}" for line in self.said)
        kept = f"\n\nWhat the person said, in their words:\n{words}" if self.said else ""
        return f"Summary of the earlier conversation (its messages are not repeated):\n{self.text}{kept}"


def persons_words(previous: tuple[str, ...], messages: list[Message]) -> tuple[str, ...]:
    """The person's messages, each cut to ``MAX_SAID_CHARS``; past ``MAX_SAID_TOTAL`` the middle
    ones go (the first states the task, the last are the freshest), and a line says how many."""
    said = [*previous, *(" ".join(m.content.split())[:MAX_SAID_CHARS] for m in messages if m.role == "user" and m.content.strip())]
    said = [line for line in said if not line.startswith("… (")]
    dropped = 0
    while sum(len(line) for line in said) > MAX_SAID_TOTAL and len(said) > 2:
        said.pop(len(said) // 2)
        dropped += 1
    if dropped:
        said.insert(len(said) // 2, f"… ({dropped} more of their messages left out)")
    return tuple(said)


def _transcript(messages: list[Message]) -> str:
    lines = []
    for message in messages:
        who = {"user": "Person", "assistant": "Assistant", "tool": f"Tool result ({message.name or 'tool'})"}.get(message.role, message.role)
        body = message.content or " ".join(f"[calls {c.name} {c.arguments}]" for c in message.tool_calls)
        lines.append(f"{who}: {head_and_tail(body, MAX_MESSAGE_CHARS, 'cut for the summary')}")
    return "\n".join(lines)


def cut_point(messages: list[Message], start: int, keep_turns: int = KEEP_TURNS) -> int | None:
    """Where the kept recent turns begin (the summary covers up to it), or ``None``: too little to summarise."""
    turns = [i for i, m in enumerate(messages) if m.role == "user" and i >= start]
    if len(turns) <= keep_turns:
        return None
    return turns[-keep_turns]


def needs_compaction(budget: ContextBudget, request: list[Message], spec_tokens: int) -> bool:
    if not budget.window:
        return False
    used = sum(budget.message_tokens(m) for m in request) + spec_tokens
    return used > COMPACT_AT * budget.window


async def summarise(client: LLMClient, budget: ContextBudget, previous: Summary | None, messages: list[Message],
                    focus: str = "") -> str:
    """The new summary's text; ``A2iaError`` when the model could not give one."""
    window = budget.window or 4096
    room_chars = max(int(window * 0.5) * 3, 2_000)  # half the window for what it reads (3 characters a token)
    earlier = f"The summary so far:\n{previous.text}\n\n" if previous else ""
    body = head_and_tail(earlier + "The conversation to add:\n" + _transcript(messages), room_chars, "cut for the summary")
    ask = SUMMARISE + (f" Focus on: {focus}." if focus else "")
    reply = await client.chat([Message.system(ask), Message.user(body)], (),
                              ChatOptions(max_tokens=min(MAX_SUMMARY_TOKENS, max(window // 8, 64)), temperature=0.0, tool_choice="none"))
    text = reply.content.strip()
    if not text:
        raise A2iaError("the model's summary was empty")
    return text


async def compact(client: LLMClient, budget: ContextBudget, messages: list[Message], previous: Summary | None,
                  focus: str = "") -> tuple[Summary | None, Notice]:
    """A new summary of what is before the recent turns, and what to tell the person."""
    start = previous.upto if previous else 0
    cut = cut_point(messages, start)
    if cut is None:
        return None, Notice(text="nothing to compact yet: the conversation is only its last turns")
    try:
        text = await summarise(client, budget, previous, messages[start:cut], focus)
    except A2iaError as exc:
        return None, Notice(level="warning", text=f"could not summarise the earlier turns ({exc.message}); "
                                                  "the oldest are left out of requests instead")
    covered = sum(budget.message_tokens(m) for m in messages[:cut])
    summary = Summary(text, cut, persons_words(previous.said if previous else (), messages[start:cut]))
    return summary, Notice(text=f"compacted: {cut} earlier messages ({covered:,} tokens) summarised in "
                                           f"{budget.count(summary.pinned()):,} tokens; the last turns are kept as they are")


async def compact_session(client: LLMClient, budget: ContextBudget, session: Session, focus: str = "") -> Notice:
    """Compact ``session`` (its summary pinned when there is one); what to tell the person."""
    summary, notice = await compact(client, budget, session.messages, session.state.summary, focus)
    if summary is not None:
        session.pin_summary(summary)
    return notice
