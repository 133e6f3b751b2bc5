"""Strategies and helpers shared by the fuzz suite: JSON values, nasty JSON text, an event loop."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from hypothesis import settings
from hypothesis import strategies as st

T = TypeVar("T")


class PiecesStream(httpx.AsyncByteStream):
    """A response body that arrives in the given pieces (where a server's writes were cut)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self):
        for piece in self.pieces:
            yield piece


def cases(share: float = 1.0) -> int:
    """``share`` of the loaded profile's cases per test (for the few slow whole-client paths)."""
    return max(10, int(settings.default.max_examples * share))


# --- JSON ---------------------------------------------------------------------------------------
# Sizes are kept small on purpose: generating a value costs more than parsing it, and 10,000
# cases per target have to fit in CI. Breadth comes from the number of cases, not their size.

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=4)

JUNK = [
    None, True, False, 0, 1, -1, 2**64, 1.5, float("nan"), float("inf"), "", "x", "0", "[DONE]",
    [], [None], [1, "a"], {}, {"a": 1}, {"index": 0}, [[[]]],
]
junk = st.sampled_from(JUNK)
"""A wrong-typed value, cheap to draw: what a field of the wrong type holds in practice."""


def or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy``'s values, or now and then a wrong-typed one in their place."""
    return st.one_of(strategy, strategy, strategy, junk)


def _nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return '{"a":' * depth  # unbalanced


nasty_json_text = st.one_of(
    # deep nesting: the C parser raises RecursionError past about 1,000 levels
    st.builds(_nested, st.integers(500, 6000), st.sampled_from(["list", "object", "open"])),
    # an integer over Python's 4,300-digit limit: ValueError, not JSONDecodeError
    st.integers(4301, 6000).map(lambda n: "1" * n),
    st.integers(4301, 6000).map(lambda n: '{"a": ' + "9" * n + "}"),
    st.sampled_from(
        [
            "NaN", "-Infinity", '{"a": NaN}', '"\\ud800"', '{"\\udfff": 1}', '"\\x41"', "\ufeff{}",
            "{}garbage", "[1,]", "{'a': 1}", "\x00", "", " ", "null", "true", "0", "[]", '""',
        ]
    ),
)
json_text = st.one_of(
    json_values.map(json.dumps),
    st.tuples(json_objects, st.integers(0, 60)).map(lambda t: json.dumps(t[0])[: t[1]]),  # cut short
    nasty_json_text,
    st.text(max_size=30),
)
"""Text that a JSON parser is handed: JSON, JSON cut short, JSON no parser takes, and not JSON."""


def cut_short(strategy: st.SearchStrategy[str], limit: int = 200) -> st.SearchStrategy[str]:
    """``strategy``'s strings cut at a random point (a crash mid-write, a connection lost)."""
    return st.tuples(strategy, st.integers(0, limit)).map(lambda t: t[0][: t[1]])


@st.composite
def splits(draw: st.DrawFn, text: str, max_pieces: int = 8) -> list[str]:
    """``text`` cut at random points into pieces (empty pieces included) that join back to it."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=max_pieces)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


# --- running coroutines from sync tests ---------------------------------------------------------

_LOOP: asyncio.AbstractEventLoop | None = None


def run(coro: Awaitable[T]) -> T:
    """Run ``coro`` on one event loop kept for the whole session (a loop per case costs more than the case)."""
    global _LOOP
    if _LOOP is None or _LOOP.is_closed():
        _LOOP = asyncio.new_event_loop()
    return _LOOP.run_until_complete(coro)


# --- scratch files --------------------------------------------------------------------------------


@contextmanager
def scratch_dir(name: str) -> Iterator[Path]:
    """A folder for the files the cases write, removed after: in memory (/dev/shm) where there is one,
    because the session store fsyncs every line and a disk makes 10,000 cases slow."""
    shm = Path("/dev/shm")
    where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    folder = Path(tempfile.mkdtemp(prefix=f"a2ia-fuzz-{name}-", dir=where))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
