"""The context budget: every request fits the model's real window, or is not sent.

Servers truncate silently when a prompt is too long (Ollama cuts the start; llama.cpp and
vLLM refuse or cut), so a2ia fits the request itself before each step:

1. room = window − reply reserve − tool specs − a safety margin;
2. oversized tool results are shortened, head and tail kept, the cut said in the text;
3. the oldest whole turns (a user message and everything after it up to the next one) are
   dropped, never the current turn, never a call without its result;
4. if the current turn alone still does not fit, its tool results are shortened further;
   if even that fails, ``ContextOverflow`` is raised instead of sending.

Tokens are counted with the backend's tokenizer where the client has one (llama.cpp); other
backends use an estimate of 3 characters per token, rounded up, which overestimates English
prose (about 4 per token) so the budget errs on the safe side. The session itself keeps every
message; only the request is fitted. The person is told when history was compacted.

Counting is cached, because ``fit`` runs before every step over the whole history: with the
embedded engine's tokenizer, re-counting a 5,000-token history and the tool definitions cost
8.6 ms a step (measured, SmolLM2), about one decoded token's time, growing with the session.
A text's count is remembered (bounded); the tool definitions are counted once per list of specs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from a2ia.client.base import LLMClient
from a2ia.errors import ContextOverflow
from a2ia.orchestrator.events import Notice
from a2ia.text import head_and_tail
from a2ia.types import ChatOptions, Message, ToolSpec

CHARS_PER_TOKEN_ESTIMATE = 3
MESSAGE_OVERHEAD = 4  # role markers and separators per message
SAFETY_MARGIN = 64
DEFAULT_REPLY_RESERVE = 1024
MIN_TOOL_RESULT_TOKENS = 48
COUNT_CACHE_SIZE = 4096
IMAGE_TOKENS = 768  # what an image costs a vision model, about (OpenAI's high detail; Qwen2-VL's 1024×768)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN_ESTIMATE)


def shorten(text: str, keep_chars: int) -> str:
    """``text`` cut to about ``keep_chars`` characters: the head and the tail, the cut said."""
    return head_and_tail(text, keep_chars, "cut to fit the context window")


@dataclass
class BudgetNotices:
    """The last compaction a conversation was told about: (messages left out, results shortened)."""

    last: tuple[int, int] = (0, 0)


@dataclass
class ContextBudget:
    window: int | None
    count: Callable[[str], int] = estimate_tokens
    _own_notices: BudgetNotices = field(default_factory=BudgetNotices, repr=False)
    _specs_counted: tuple[ToolSpec, ...] = field(default=(), repr=False)
    _spec_tokens: int = field(default=0, repr=False)

    @classmethod
    def for_client(cls, client: LLMClient, window: int | None) -> ContextBudget:
        known: dict[str, int] = {}

        def count(text: str) -> int:
            cached = known.get(text)
            if cached is not None:
                return cached
            counted = client.count_tokens(text)
            if counted is None:  # no tokenizer here: the estimate is cheaper than a cache
                return estimate_tokens(text)
            if len(known) >= COUNT_CACHE_SIZE:
                known.clear()
            known[text] = counted
            return counted

        return cls(window=window, count=count)

    def spec_tokens(self, tools: Sequence[ToolSpec]) -> int:
        """Tokens of the tool definitions; counted again only for other spec objects (they are frozen)."""
        same = len(tools) == len(self._specs_counted) and all(a is b for a, b in zip(tools, self._specs_counted, strict=True))
        if not same:
            self._specs_counted = tuple(tools)
            self._spec_tokens = self.count(json.dumps([t.model_dump(mode="json", exclude={"builtin", "decoding_schema"}) for t in tools])) if tools else 0
        return self._spec_tokens

    def message_tokens(self, message: Message) -> int:
        body = message.content + "".join(json.dumps(c.arguments) + c.name for c in message.tool_calls)
        return self.count(body) + MESSAGE_OVERHEAD + IMAGE_TOKENS * len(message.images)

    def room(self, tools: Sequence[ToolSpec], options: ChatOptions) -> int:
        assert self.window is not None
        reserve = options.max_tokens or min(DEFAULT_REPLY_RESERVE, self.window // 4)
        return self.window - reserve - self.spec_tokens(tools) - SAFETY_MARGIN

    def fit(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions, told: BudgetNotices | None = None
    ) -> tuple[list[Message], list[Notice]]:
        """``messages`` made to fit the window, and the notices the person should see.

        ``told``: what this conversation was last told (a session's own; the budget keeps one
        for callers that pass none), so the same compaction is not announced every step."""
        told = told if told is not None else self._own_notices
        if self.window is None:
            return list(messages), []
        room = self.room(tools, options)
        out = list(messages)
        sizes = [self.message_tokens(m) for m in out]
        if sum(sizes) <= room:
            return out, []
        shortened = 0
        # 1. No single tool result may take more than a quarter of the room.
        cap = max(room // 4, MIN_TOOL_RESULT_TOKENS)
        for i, message in enumerate(out):
            if message.role == "tool" and sizes[i] > cap:
                out[i], sizes[i] = self._shorten(message, sizes[i], cap)
                shortened += 1
        # 2. Drop the oldest whole turns, never the current one.
        system = [i for i, m in enumerate(out) if m.role == "system"]
        total, first_kept = sum(sizes), 0
        for start in [i for i, m in enumerate(out) if m.role == "user"][1:]:
            if total <= room:
                break
            first_kept = start
            total = sum(sizes[i] for i in system if i < start) + sum(sizes[start:])
        dropped = 0
        if first_kept:
            keep = [i for i in system if i < first_kept] + list(range(first_kept, len(out)))
            dropped = len(out) - len(keep)
            out, sizes = [out[i] for i in keep], [sizes[i] for i in keep]
        # 3. The current turn alone is too big: share the room left among its tool results.
        if sum(sizes) > room:
            tool_indexes = [i for i, m in enumerate(out) if m.role == "tool"]
            fixed = sum(s for i, s in enumerate(sizes) if i not in tool_indexes)
            if tool_indexes:
                share = (room - fixed) // len(tool_indexes)
                if share >= MIN_TOOL_RESULT_TOKENS:
                    for i in tool_indexes:
                        if sizes[i] > share:
                            out[i], sizes[i] = self._shorten(out[i], sizes[i], share)
                            shortened += 1
            if sum(sizes) > room:
                raise ContextOverflow(
                    f"this request needs about {sum(sizes)} tokens but the model's window leaves room for {room} "
                    f"({self.window} in all, less the reply and the tool definitions)",
                    hint="start a new session, shorten the message, or use a model with a larger context window",
                )
        notices = []
        if (dropped, shortened) != told.last and (dropped or shortened):
            parts = []
            if dropped:
                parts.append(f"left out the {dropped} oldest messages")
            if shortened:
                parts.append(f"shortened {shortened} long tool result{'s' if shortened != 1 else ''}")
            notices.append(Notice(text=f"history compacted to fit the {self.window:,}-token context window: {' and '.join(parts)}"))
        told.last = (dropped, shortened)
        return out, notices

    def _shorten(self, message: Message, tokens: int, target: int) -> tuple[Message, int]:
        chars_per_token = max(len(message.content) / max(tokens, 1), 1.0)
        keep = max(int((target - MESSAGE_OVERHEAD - 16) * chars_per_token), 0)
        short = message.model_copy(update={"content": shorten(message.content, keep)})
        return short, self.message_tokens(short)
