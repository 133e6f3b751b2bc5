"""The ReAct parsers on real-looking model outputs, good and bad, and on generated ones."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.json_text import first_json_object
from a2ia.orchestrator import react
from a2ia.orchestrator.react import ReActAction, ReActFinal, ReActParseError, parse_free, parse_json
from a2ia.types import Message, ToolCall, ToolSpec

TOOLS = ["list_dir", "read_file"]

GOOD = [
    ('Thought: I should look at the folder.\nAction: list_dir\nAction Input: {"path": "."}', ReActAction("I should look at the folder.", "list_dir", {"path": "."})),
    ('Thought: read it\nAction: read_file\nAction Input: ```json\n{"path": "README.md"}\n```', ReActAction("read it", "read_file", {"path": "README.md"})),
    ('Thought: x\nAction: `read_file`\nAction Input: {"path": "a {b}.txt"} and then more', ReActAction("x", "read_file", {"path": "a {b}.txt"})),
    ("Thought: x\nAction: read_file\nAction Input: {'path': 'a.txt'}", ReActAction("x", "read_file", {"path": "a.txt"})),
    ('Action: list_dir\nAction Input: {"path": "src"}\nObservation: main.py', ReActAction("", "list_dir", {"path": "src"})),
    ("Thought: no args\nAction: list_dir\nAction Input: {}", ReActAction("no args", "list_dir", {})),
    ("Thought: no input line\nAction: list_dir", ReActAction("no input line", "list_dir", {})),
    ("Thought: I know it.\nFinal Answer: There are 3 files:\n- a\n- b", ReActFinal("I know it.", "There are 3 files:\n- a\n- b")),
    ("final answer: lower case works", ReActFinal("", "lower case works")),
    ("Just a plain answer with no markers.", ReActFinal("", "Just a plain answer with no markers.")),
    ('Thought: nested\nAction: read_file\nAction Input: {"path": "x", "opts": {"a": [1, {"b": "}"}]}}', ReActAction("nested", "read_file", {"path": "x", "opts": {"a": [1, {"b": "}"}]}})),
]

BAD = [
    ('Thought: both\nAction: list_dir\nAction Input: {}\nFinal Answer: done', "both an Action and a Final Answer"),
    ("Thought: hmm\nAction: delete_all\nAction Input: {}", "'delete_all' is not a tool"),
    ("Thought: hmm\nAction: read_file\nAction Input: the README please", "not a JSON object"),
    ('Thought: hmm\nAction: read_file\nAction Input: ["a"]', "not a JSON object"),
    ("Thought: I am thinking but never act", "no Action and no Final Answer"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_free_text_good(text: str, expected) -> None:
    assert parse_free(text, TOOLS) == expected


@pytest.mark.parametrize(("text", "message"), BAD)
def test_free_text_bad(text: str, message: str) -> None:
    with pytest.raises(ReActParseError, match=message):
        parse_free(text, TOOLS)


def test_json_replies() -> None:
    assert parse_json('{"thought": "t", "action": "list_dir", "action_input": {"path": "."}}', TOOLS) == ReActAction("t", "list_dir", {"path": "."})
    assert parse_json('```json\n{"thought": "t", "final_answer": "hi"}\n```', TOOLS) == ReActFinal("t", "hi")
    for text, message in [
        ('{"thought": "t", "action": "x", "action_input": {}}', "'x' is not a tool"),
        ('{"thought": "t", "action": "list_dir", "action_input": {}, "final_answer": "y"}', "both"),
        ('{"thought": "t"}', "neither"),
        ("no json here", "not a JSON object"),
        ('{"thought": "t", "action": "list_dir", "action_input": "."}', "action_input is not a JSON object"),
    ]:
        with pytest.raises(ReActParseError, match=message):
            parse_json(text, TOOLS)


def test_reply_schema_admits_only_offered_tools_and_their_arguments() -> None:
    tools = [ToolSpec(name="read_file", input_schema={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})]
    schema = react.reply_schema(tools)
    jsonschema.validate({"thought": "t", "action": "read_file", "action_input": {"path": "a"}}, schema)
    jsonschema.validate({"thought": "t", "final_answer": "x"}, schema)
    for bad in [
        {"thought": "t", "action": "rm", "action_input": {}},
        {"thought": "t", "action": "read_file", "action_input": {}},
        {"thought": "t", "action": "read_file", "action_input": {"path": "a"}, "final_answer": "x"},
        {"thought": "x" * 400, "final_answer": "x"},
    ]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    path = schema["anyOf"][0]["properties"]["action_input"]["properties"]["path"]
    assert path["maxLength"] > 0, "strings are bounded for grammars"


def test_history_renders_calls_as_actions_and_results_as_observations() -> None:
    call = ToolCall(id="c1", name="read_file", arguments={"path": "a"})
    history = [
        Message.system("be brief"),
        Message.user("read a"),
        Message(role="assistant", content="I will read it", tool_calls=(call,)),
        Message(role="tool", content="A!", tool_call_id="c1", name="read_file"),
        Message(role="assistant", content="It says A!"),
    ]
    out = react.render_history(history, [ToolSpec(name="read_file")], constrained=False)
    assert [m.role for m in out] == ["system", "user", "assistant", "user", "assistant"]
    assert out[0].content.startswith("be brief") and "Final Answer:" in out[0].content and "read_file" in out[0].content
    assert out[2].content == 'Thought: I will read it\nAction: read_file\nAction Input: {"path": "a"}'
    assert out[3].content == "Observation: A!"
    assert out[4].content == "Final Answer: It says A!"
    constrained = react.render_history(history, [ToolSpec(name="read_file")], constrained=True)
    assert json.loads(constrained[2].content) == {"thought": "I will read it", "action": "read_file", "action_input": {"path": "a"}}


# --- generated cases ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
arguments = st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=4)
thoughts = st.text(max_size=60).filter(lambda t: "\n" not in t and ":" not in t and "{" not in t)


@settings(max_examples=300, deadline=None)
@given(thought=thoughts, tool=st.sampled_from(TOOLS), args=arguments)
def test_generated_actions_round_trip(thought: str, tool: str, args: dict) -> None:
    text = f"Thought: {thought}\nAction: {tool}\nAction Input: {json.dumps(args)}"
    assert parse_free(text, TOOLS) == ReActAction(thought.strip(), tool, args)
    as_json = json.dumps({"thought": thought, "action": tool, "action_input": args})
    assert parse_json(as_json, TOOLS) == ReActAction(thought, tool, args)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_the_typed_error(text: str) -> None:
    for parse in (parse_free, parse_json):
        try:
            step = parse(text, TOOLS)
        except ReActParseError:
            continue
        assert isinstance(step, (ReActAction, ReActFinal))
        if isinstance(step, ReActAction):
            assert step.tool in TOOLS and isinstance(step.arguments, dict)


# --- found by the fuzz suite (tests/fuzz/test_fuzz_react.py); each pins the input it found -----------


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_json, '{"a": ' + "9" * 4301 + "}"),  # was ValueError: integer over Python's 4,300-digit limit
        (parse_json, "{" * 3000 + "}" * 3000),  # json-repair raised ValueError ("Input nesting exceeds ...")
        (parse_free, "Action: read_file\nAction Input: " + "{" * 3000 + "}" * 3000),
    ],
)
def test_json_the_parser_cannot_read_is_the_typed_error(parse, text: str) -> None:
    with pytest.raises(ReActParseError) as caught:
        parse(text, TOOLS)
    assert type(caught.value) is ReActParseError


def test_an_integer_over_the_digit_limit_is_repaired_into_a_string() -> None:
    # was ValueError from json.loads; json-repair keeps the digits as a string
    step = parse_free('Action: read_file\nAction Input: {"a": ' + "1" * 4301 + "}", TOOLS)
    assert step == ReActAction("", "read_file", {"a": "1" * 4301})


def test_unclosed_braces_are_scanned_in_linear_time() -> None:
    # Each "{" was tried in turn and scanned to the end: 36,000 characters took 15 s (quadratic).
    import time

    started = time.perf_counter()
    assert first_json_object('{"a":' * 20_000) is None
    with pytest.raises(ReActParseError):
        parse_json("x" + "{" * 100_000, TOOLS)
    assert time.perf_counter() - started < 5  # about 0.1 s; the quadratic scan took minutes


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{ {"a": 1}', '{"a": 1}'),  # the first brace never closes: the first one that does
        ('x {"a": "}"} {"b": 2}', '{"a": "}"}'),
        ('{"a": {"b": 1}', '{"b": 1}'),
        ('{"s": "{"} {"t": 1}', '{"s": "{"}'),
        ("no braces", None),
        ("} {", None),
    ],
)
def test_first_json_object(text: str, found: str | None) -> None:
    assert first_json_object(text) == found
