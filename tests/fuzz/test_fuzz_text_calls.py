"""Fuzzed recovery of tool calls written as text: ``parse_text_calls``, ``partial_suffix``,
``recover_text_calls``.

Properties: the parser never raises and never returns a call to a tool that was not offered;
calls written in any of the recognised forms come back as they were written; the streaming
recovery loses no text, gives the same result however the text was cut into deltas, and
ends with exactly one ``Done``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_support import cases, json_objects, json_text, junk, or_junk, run, splits
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.client.text_calls import CALL_TAG, parse_text_calls, partial_suffix, recover_text_calls
from a2ia.types import Done, TextDelta, ToolCall, ToolCallReady, ToolSpec, Usage

pytestmark = pytest.mark.fuzz

OFFERED = ["read_file", "list_dir"]
TOOLS = [ToolSpec(name=n) for n in OFFERED]

_name = or_junk(st.sampled_from([*OFFERED, "rm", "", "READ_FILE"]))
_call_object = st.fixed_dictionaries(
    {"name": _name},
    optional={"arguments": st.one_of(json_objects, junk, json_text), "parameters": or_junk(json_objects)},
)
_body = st.one_of(
    _call_object.map(json.dumps),
    st.lists(_call_object, max_size=3).map(json.dumps),
    json_text,
)
_piece = st.one_of(
    _body,
    _body.map(lambda b: f"<tool_call>{b}</tool_call>"),
    _body.map(lambda b: f"<tool_call>\n{b}"),
    _body.map(lambda b: f"```json\n{b}\n```"),
    st.sampled_from([CALL_TAG, "</tool_call>", "```", "```json", "{", "}", "<tool", "\n", " "]),
    st.text(max_size=20),
)
texts = st.lists(_piece, max_size=4).map("".join)


@given(texts, st.sampled_from([TOOLS, TOOLS[:1], []]))
def test_parse_never_raises_and_names_only_offered_tools(text: str, tools: list[ToolSpec]) -> None:
    calls = parse_text_calls(text, tools)
    names = {t.name for t in tools}
    assert all(isinstance(c, ToolCall) and c.name in names for c in calls)
    assert all(isinstance(c.arguments, dict) and (c.arguments_error is None or c.arguments == {}) for c in calls)
    assert len({c.id for c in calls}) == len(calls)


_plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
_written_calls = st.lists(
    st.tuples(st.sampled_from(OFFERED), st.dictionaries(st.text(max_size=6), _plain_values, max_size=3)),
    min_size=1,
    max_size=3,
)


@st.composite
def written(draw: st.DrawFn) -> tuple[str, list[tuple[str, dict]]]:
    """Calls written in one of the forms models use: tagged blocks, a bare object or array, a fence."""
    calls = draw(_written_calls)
    key = draw(st.sampled_from(["arguments", "parameters"]))
    as_string = draw(st.booleans())
    objects = [{"name": n, key: json.dumps(a) if as_string else a} for n, a in calls]
    space = st.sampled_from(["", " ", "\n", "\n\n", "\t"])
    form = draw(st.sampled_from(["tags", "bare", "array", "fence"]))
    if form == "tags":
        text = "".join(f"{draw(space)}<tool_call>{draw(space)}{json.dumps(o)}{draw(space)}</tool_call>" for o in objects)
    elif form == "bare" or (form == "fence" and len(objects) == 1):
        objects = objects[:1]
        calls = calls[:1]
        text = json.dumps(objects[0])
        if form == "fence":
            text = f"```{draw(st.sampled_from(['', 'json']))}\n{text}\n```"
    else:
        text = json.dumps(objects)
    return draw(space) + text + draw(space), calls


@settings(max_examples=cases(0.1))
@given(written())
def test_written_calls_come_back_as_written(case: tuple[str, list[tuple[str, dict]]]) -> None:
    text, calls = case
    parsed = parse_text_calls(text, TOOLS)
    assert [(c.name, c.arguments, c.arguments_error) for c in parsed] == [(n, a, None) for n, a in calls]


@settings(max_examples=cases(0.1))
@given(st.text(max_size=30), st.sampled_from([CALL_TAG, "</tool_call>", "```", "ab"]))
def test_partial_suffix_is_the_longest_proper_prefix_at_the_end(text: str, marker: str) -> None:
    size = partial_suffix(text, marker)
    assert 0 <= size < len(marker) and size <= len(text)
    assert text.endswith(marker[:size])
    longer = [k for k in range(size + 1, min(len(marker) - 1, len(text)) + 1) if text.endswith(marker[:k])]
    assert longer == []


async def _recover(pieces: list[str], tools: list[ToolSpec], native: bool, with_done: bool) -> list[Any]:
    async def events():
        for piece in pieces:
            yield TextDelta(text=piece)
        if native:
            yield ToolCallReady(call=ToolCall(id="n1", name="read_file"))
        yield Usage(prompt_tokens=1, completion_tokens=2)
        if with_done:
            yield Done(finish_reason="stop")

    return [e async for e in recover_text_calls(events(), tools)]


def _outcome(events: list[Any]) -> tuple[str, list[tuple[str, dict]], Any]:
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    calls = [(e.call.name, e.call.arguments) for e in events if isinstance(e, ToolCallReady)]
    return text, calls, events[-1] if events and isinstance(events[-1], Done) else None


stream_texts = st.one_of(texts, written().map(lambda c: c[0]), st.tuples(st.text(max_size=15), written()).map(lambda t: t[0] + t[1][0]))


@settings(max_examples=cases(0.1))
@given(stream_texts.flatmap(lambda t: st.tuples(st.just(t), splits(t))), st.sampled_from([TOOLS, []]), st.booleans(), st.booleans())
def test_recovery_loses_nothing_and_does_not_depend_on_the_cuts(
    case: tuple[str, list[str]], tools: list[ToolSpec], native: bool, with_done: bool
) -> None:
    text, pieces = case
    events = run(_recover(pieces, tools, native, with_done))
    whole = run(_recover([text], tools, native, with_done))
    assert _outcome(events) == _outcome(whole)
    out_text, calls, done = _outcome(events)
    if native:  # the backend's own call wins: no text is taken for a call
        assert calls == [("read_file", {})]
    recovered = [] if native else calls
    if not recovered:
        assert out_text == text  # nothing recovered: every character is passed on, in order
    assert all(name in {t.name for t in tools} for name, _ in recovered)
    assert sum(isinstance(e, Done) for e in events) == (1 if with_done else 0)
    if with_done:
        assert done is not None
        assert done.finish_reason == ("tool_calls" if recovered and not native else "stop")
    if not tools:
        assert [e.text for e in events if isinstance(e, TextDelta)] == pieces
