"""How a turn ends when its tools stop: why they stopped, and the step that answers anyway.

A repeated call, the step limit, or steps whose every call failed (``MAX_FAILING_STEPS`` in a
row) stop the tools; the loop then asks the model once more, with no tools offered, to answer
from what the conversation holds (``answer_now``). Only if that reply is empty too does the
turn fail, with the ``Stop``'s reason (exit 4 in scripts). An empty reply is retried the same
way, and named as such if it stays empty (``EMPTY_REPLY``).
"""

from __future__ import annotations

from dataclasses import dataclass

from a2ia.hints import setting
from a2ia.outcomes import FailureReason
from a2ia.types import Message, ToolCall

EMPTY_REPLY = (
    "the model sent nothing: a server whose tool handler cannot stream sends an empty reply "
    f"(llama_cpp.server's chatml-function-calling does); try {setting('react')}, a server with a tool-call parser, "
    "or a larger model"
)
ANSWER_NOW = (
    "No more tools can be used for this request. Answer it now, briefly, from what you found above; "
    "if that is not enough, say what is missing."
)


@dataclass(frozen=True)
class Stop:
    reason: FailureReason
    message: str
    hint: str
    tool_result: str = ""  # what a call that was not run is answered with


def answer_now() -> Message:
    """The request's last message in the tools-off step (not saved in the session)."""
    return Message.user(ANSWER_NOW)


def stop_for_repeat(call: ToolCall, how: str) -> Stop:
    return Stop(
        "repeated_call",
        f"the model asked for {call.name} with the same arguments {how}; tools stopped to avoid a loop",
        "rephrase the request, or try a larger model",
        tool_result="not run: this exact call was already made, and its result is above",
    )


def stop_for_steps(max_steps: int) -> Stop:
    return Stop(
        "max_steps",
        f"stopped after {max_steps} steps without a final answer",
        f"raise the limit with {setting('max_steps')}, or ask a narrower question",
    )


def stop_for_errors(steps: int) -> Stop:
    return Stop(
        "tool_errors",
        f"every tool call failed, {steps} steps in a row",
        "check the paths and arguments the request names, or try a larger model",
    )
