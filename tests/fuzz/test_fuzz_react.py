"""Fuzzed ReAct replies: ``parse_free`` and ``parse_json`` on text built from the format's own
pieces (markers in any case and spacing, tool names offered or not, JSON that is broken,
nested thousands deep or over the integer limit, fences, observations).

``tests/test_react.py`` keeps the hand-written cases and the small generated round trip; this
adds the grammar-shaped fuzz and round trips over any text and any JSON arguments.

Properties: a reply is an action on an offered tool with an object of arguments, a final
answer, or ``ReActParseError`` with a message for the model — never another exception; a
constrained reply written from any thought, tool and arguments parses back to them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_support import cases, cut_short, json_objects, json_text, json_values, or_junk
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.json_text import first_json_object
from a2ia.orchestrator import react
from a2ia.orchestrator.react import ReActAction, ReActFinal, ReActParseError, parse_free, parse_json

pytestmark = pytest.mark.fuzz

TOOLS = ["list_dir", "read_file"]

_marker = st.builds(
    lambda word, case, before, after: before + getattr(word, case)() + after + ":",
    st.sampled_from(["thought", "action", "action input", "final answer", "observation"]),
    st.sampled_from(["lower", "upper", "title", "capitalize"]),
    st.sampled_from(["", " ", "  ", "\t"]),
    st.sampled_from(["", " "]),
)
_tool = st.one_of(
    st.sampled_from(TOOLS),
    st.sampled_from(TOOLS).map(lambda t: f"`{t}`"),
    st.sampled_from(TOOLS).map(lambda t: f"[{t}]"),
    st.sampled_from(["delete_all", "", "list_dir()", "read file"]),
)
_json_piece = st.one_of(
    json_text,
    json_objects.map(json.dumps),
    json_text.map(lambda t: f"```json\n{t}\n```"),
    st.sampled_from(["{}", "None", "null", "{'path': 'a'}", "{path: a}", '{"path": "a"'])
)
_piece = st.one_of(_marker, _tool, _json_piece, st.text(max_size=15), st.sampled_from(["\n", " ", "```", "{", "}", '"']))
replies = st.lists(_piece, max_size=8).map("".join)


def check(step: Any) -> None:
    assert isinstance(step, (ReActAction, ReActFinal))
    assert isinstance(step.thought, str)
    if isinstance(step, ReActAction):
        assert step.tool in TOOLS and isinstance(step.arguments, dict)
    else:
        assert isinstance(step.answer, str)


_constrained = st.fixed_dictionaries(
    {},
    optional={
        "thought": or_junk(st.text(max_size=15)),
        "action": or_junk(_tool),
        "action_input": st.one_of(json_objects, json_values),
        "final_answer": or_junk(st.text(max_size=15)),
    },
)
json_replies = st.one_of(
    _constrained.map(json.dumps),
    st.tuples(st.text(max_size=10), _constrained.map(json.dumps), st.text(max_size=10)).map("".join),
    cut_short(_constrained.map(json.dumps)),
    json_text,
    replies,
)


@given(st.one_of(replies, json_replies))
def test_replies_give_a_step_or_the_typed_error(text: str) -> None:
    for parse in (parse_free, parse_json):
        try:
            step = parse(text, TOOLS)
        except ReActParseError as exc:
            assert type(exc) is ReActParseError and str(exc)
            continue
        check(step)


_plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=cases(0.1))
@given(st.text(max_size=40), st.sampled_from(TOOLS), st.dictionaries(st.text(max_size=8), _plain_values, max_size=4), st.text(max_size=40))
def test_constrained_steps_round_trip_for_any_text(thought: str, tool: str, arguments: dict, answer: str) -> None:
    action = react._step_text(thought, tool, arguments, constrained=True)
    assert parse_json(action, TOOLS) == ReActAction(thought, tool, arguments)
    assert parse_json(react._final_text(answer, constrained=True), TOOLS) == ReActFinal("I can answer now.", answer)
    # the free form carries any arguments too (the thought and answer are free text, tested above)
    assert parse_free(react._step_text("", tool, arguments, constrained=False), TOOLS) == ReActAction("", tool, arguments)


@settings(max_examples=cases(0.1))
@given(st.text(max_size=30), json_objects, st.text(max_size=30))
def test_the_first_json_object_is_found_in_any_surrounding_text(before: str, obj: dict, after: str) -> None:
    body = json.dumps(obj)
    found = first_json_object(before.replace("{", "(").replace('"', "'") + body + after)
    assert found == body
