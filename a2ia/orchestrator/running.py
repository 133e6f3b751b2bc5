"""One reply's tool calls: each approved (or refused, or asked about), then run concurrently.

Every call gets a result in the session, in call order, whatever happens (a refusal, a
cancelled turn), so the history stays well-formed. A call that needs approval with no one to
ask then raises ``ApprovalDenied``, which ends the turn (exit 5 in scripts). "Always" answers
go into the session's own grants (``SessionState.grants``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path

from a2ia.errors import ApprovalDenied
from a2ia.orchestrator.calls import check_call, run_concurrently
from a2ia.orchestrator.checkpoints import EDITS
from a2ia.orchestrator.context_files import SubfolderContext
from a2ia.orchestrator.events import ApprovalNeeded, Event, ToolFinished, ToolProgress, ToolStarted
from a2ia.orchestrator.session import Session
from a2ia.tools.approval import Answer, ApprovalPolicy
from a2ia.tools.registry import ToolRegistry
from a2ia.types import Message, ToolCall, ToolResult, ToolSpec

Approver = Callable[[ApprovalNeeded], Awaitable[Answer]]
"""Asks the person about one call (the front end's dialog or prompt)."""
Locate = Callable[[object], "Path | None"]
"""The real path a file tool's ``path`` argument names in the workspace (``None``: none), for checkpoints."""
Preview = Callable[[str, dict], "str | None"]
"""What a call of a2ia's own tools would change (``tools/edit_preview.py``), for the person asked."""


async def run_calls(
    session: Session, calls: list[ToolCall], tools: ToolRegistry, approval: ApprovalPolicy, approver: Approver | None,
    subfolders: SubfolderContext | None = None, preview: Preview | None = None, locate: Locate | None = None,
) -> AsyncIterator[Event]:
    """Approve, then run one reply's calls concurrently; results go into the session in call order."""
    results: list[ToolResult | None] = [None] * len(calls)
    specs = [tools.spec(call.name) for call in calls]
    for index, (call, spec) in enumerate(zip(calls, specs, strict=True)):
        verdict = approval.decide(spec, call, session.state.grants)
        if verdict.decision == "deny":
            results[index] = ToolResult(call_id=call.id, content=f"not run: {verdict.reason}", is_error=True)
        elif verdict.decision == "ask":
            shown = preview(call.name, call.arguments) if preview is not None and spec is not None and spec.builtin else None
            request = ApprovalNeeded(call=call, server=spec.server if spec else "", reason=verdict.reason, preview=shown)
            yield request
            if approver is None:
                # Every call of this reply gets a result, so the history stays well-formed.
                for other in calls:
                    refused = ToolResult(call_id=other.id, content="not run: it needed approval and no one could be asked", is_error=True)
                    session.append(Message.tool(refused, other.name))
                raise ApprovalDenied(
                    f"{call.name} needs approval ({verdict.reason}) and there is no one to ask",
                    hint=approval.refusal_hint(spec, call),
                )
            answer = await approver(request)
            if answer == "always" and spec is not None:
                approval.remember(session.state.grants, spec, call)
            elif answer == "deny":
                results[index] = ToolResult(call_id=call.id, content="not run: the person did not allow this call", is_error=True)
    to_run = [i for i, r in enumerate(results) if r is None]
    for index, (call, spec) in enumerate(zip(calls, specs, strict=True)):
        yield ToolStarted(call=call, server=spec.server if spec else "")
        if results[index] is not None:
            yield ToolFinished(call=call, result=results[index], duration_s=0.0)
    spec_of = {id(call): spec for call, spec in zip(calls, specs, strict=True)}

    async def run_one(call: ToolCall, progress=None) -> ToolResult:
        spec = spec_of[id(call)]
        builtin = spec is not None and spec.builtin
        target = locate(call.arguments.get("path")) if builtin and locate is not None and call.name in EDITS else None
        checkpoints = session.state.checkpoints
        try:
            kept = checkpoints.before(target) if target is not None else None
        except OSError:  # nothing could be kept (a full disk): the edit goes on, without an undo
            target = kept = None
        result = await call_tool(tools, call, progress, spec)
        if target is not None:
            with contextlib.suppress(OSError):
                checkpoints.record(session.state.turn, call.name, target, kept)
        elif builtin and call.name == "run_shell":
            session.state.checkpoints.note_shell(session.state.turn, str(call.arguments.get("command", "")))
        if subfolders is not None and spec is not None and spec.builtin and not result.is_error:
            if (note := subfolders.note(call.arguments.get("path"), session.state.context_given)) is not None:
                return result.model_copy(update={"content": f"{result.content}\n\n{note}"})
        return result

    try:
        async with aclosing(run_concurrently([calls[i] for i in to_run], run_one)) as running:
            async for position, payload, seconds in running:
                call = calls[to_run[position]]
                if isinstance(payload, ToolResult):
                    results[to_run[position]] = payload
                    yield ToolFinished(call=call, result=payload, duration_s=seconds)
                else:
                    done, total, message = payload
                    yield ToolProgress(call=call, progress=done, total=total, message=message)
    finally:
        # Cancelled or not, every call gets a result, so the history stays well-formed.
        for call, result in zip(calls, results, strict=True):
            if result is None:
                result = ToolResult(call_id=call.id, content="not finished: the turn was cancelled", is_error=True)
            session.append(Message.tool(result, call.name))

async def call_tool(tools: ToolRegistry, call: ToolCall, progress=None, spec: ToolSpec | None = None) -> ToolResult:
    problem = check_call(call, spec if spec is not None else tools.spec(call.name))
    if problem is not None:
        return ToolResult(call_id=call.id, content=problem, is_error=True)
    return await tools.call(call, progress)
