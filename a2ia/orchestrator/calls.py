"""Running the calls of one model reply: check each against its schema, run them concurrently.

A call that cannot run (arguments that did not parse, or that do not match the tool's input
schema) is answered with a tool error that says exactly what was wrong, so the model can fix
it on the next step; it never reaches the tool.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from a2ia.types import ToolCall, ToolResult, ToolSpec

if TYPE_CHECKING:
    import jsonschema

log = logging.getLogger(__name__)
MAX_REPORTED_ERRORS = 5


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.protocols.Validator | None:
    # Imported on the first call to check, not with the module: ~27 ms that a run without any
    # tool call (``a2ia-cli -p hi``) never needs (benchmarks/bench_cold_start.py, P5).
    import jsonschema

    schema = json.loads(schema_json)
    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        log.warning("a tool's input schema is not valid JSON Schema; its arguments are not checked")
        return None
    return cls(schema)


def check_call(call: ToolCall, spec: ToolSpec | None) -> str | None:
    """Why ``call`` must not run, or ``None`` if it may."""
    if call.arguments_error:
        return f"the call to {call.name!r} was not run: {call.arguments_error}"
    if spec is None:
        return None  # the registry answers unknown tools itself, naming the ones there are
    validator = _validator(json.dumps(spec.input_schema, sort_keys=True))
    if validator is None:
        return None
    errors = sorted(validator.iter_errors(call.arguments), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    problems = "; ".join(
        f"{'/'.join(str(p) for p in e.absolute_path) or 'arguments'}: {e.message}" for e in errors[:MAX_REPORTED_ERRORS]
    )
    return (
        f"the call to {call.name!r} was not run: its arguments do not match the tool's schema ({problems}). "
        "Call it again with arguments that match."
    )


def call_key(call: ToolCall) -> tuple[str, str]:
    """What makes two calls the same call: the tool and its exact arguments."""
    return call.name, json.dumps(call.arguments, sort_keys=True, default=str)


def find_repeat(history: list[frozenset[tuple[str, str]]], calls: list[ToolCall]) -> tuple[ToolCall, str] | None:
    """A call the model is going round in: one of the previous step's calls again, or a cycle of
    two steps coming back (A B A B). A call repeated later after other calls (A B A) is allowed:
    re-reading after a change is legitimate. Answers the call and how it repeats."""
    keys = {call_key(c): c for c in calls}
    if history:
        if again := next((c for k, c in keys.items() if k in history[-1]), None):
            return again, "as in its previous step"
    if len(history) >= 3 and frozenset(keys) == history[-2] and history[-1] == history[-3]:
        return next(iter(keys.values())), "in a cycle of two steps it has already been round"
    return None


ProgressFn = Callable[[float, "float | None", "str | None"], Awaitable[None]]
Progress = tuple[float, "float | None", "str | None"]


async def run_concurrently(
    calls: Sequence[ToolCall], run_one: Callable[[ToolCall, ProgressFn], Awaitable[ToolResult]]
) -> AsyncIterator[tuple[int, ToolResult | Progress, float]]:
    """Run ``calls`` at once. Yields ``(index, progress, 0)`` as a call reports progress and
    ``(index, result, seconds)`` as each one finishes.

    Closing the iterator early (a cancelled turn) cancels the calls still running; an
    exception in a call (a protocol failure, not a tool error) is raised here.
    """
    queue: asyncio.Queue[tuple[int, object, float]] = asyncio.Queue()

    async def timed(index: int, call: ToolCall) -> None:
        async def progress(done: float, total: float | None, message: str | None) -> None:
            queue.put_nowait((index, (done, total, message), 0.0))

        started = time.perf_counter()
        try:
            result = await run_one(call, progress)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            queue.put_nowait((index, exc, 0.0))
            return
        queue.put_nowait((index, result, time.perf_counter() - started))

    tasks = [asyncio.ensure_future(timed(i, c)) for i, c in enumerate(calls)]
    try:
        remaining = len(tasks)
        while remaining:
            index, payload, seconds = await queue.get()
            if isinstance(payload, Exception):
                raise payload
            if isinstance(payload, ToolResult):
                remaining -= 1
            yield index, payload, seconds  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
