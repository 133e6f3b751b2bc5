"""The shared recovery of tool calls written as text."""

from __future__ import annotations

import pytest

from a2ia.client.text_calls import parse_text_calls, recover_text_calls
from a2ia.types import Done, TextDelta, ToolCall, ToolCallReady, ToolSpec, Usage

pytestmark = pytest.mark.anyio
TOOLS = [ToolSpec(name="read_file"), ToolSpec(name="list_dir")]


async def run(pieces: list[str], tools=TOOLS, extra=()) -> list:
    async def events():
        for piece in pieces:
            yield TextDelta(text=piece)
        for event in extra:
            yield event
        yield Usage(prompt_tokens=1, completion_tokens=1)
        yield Done(finish_reason="stop")

    return [e async for e in recover_text_calls(events(), tools)]


def text_of(events) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def calls_of(events) -> list[ToolCall]:
    return [e.call for e in events if isinstance(e, ToolCallReady)]


async def test_hermes_block_left_in_content_streamed_in_pieces() -> None:
    events = await run(["<tool", '_call>\n{"name": "read_file", ', '"arguments": {"path": "a.txt"}}\n</tool_call>'])
    (call,) = calls_of(events)
    assert (call.name, call.arguments) == ("read_file", {"path": "a.txt"})
    assert text_of(events) == ""
    assert events[-1] == Done(finish_reason="tool_calls")


async def test_text_before_a_block_streams_and_the_block_becomes_a_call() -> None:
    events = await run(["Let me look. ", "<tool_c", 'all>{"name": "list_dir", "arguments": {}}</tool_call>'])
    assert text_of(events) == "Let me look. "
    assert [c.name for c in calls_of(events)] == ["list_dir"]


async def test_block_cut_by_max_tokens_without_closing_tag() -> None:
    events = await run(['<tool_call>\n{"name": "read_file", "arguments": {"path": "x"}}'])
    assert calls_of(events)[0].arguments == {"path": "x"}


async def test_two_blocks_give_two_calls() -> None:
    body = '<tool_call>{"name": "list_dir", "arguments": {}}</tool_call>\n<tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>'
    events = await run([body])
    assert [c.name for c in calls_of(events)] == ["list_dir", "read_file"]
    assert len({c.id for c in calls_of(events)}) == 2


async def test_bare_and_fenced_json_naming_an_offered_tool() -> None:
    for text in ['{"name": "read_file", "arguments": {"path": "a"}}', '```json\n{"name": "read_file", "parameters": {"path": "a"}}\n```']:
        events = await run([text[:10], text[10:]])
        assert calls_of(events)[0].arguments == {"path": "a"}, text


async def test_json_that_is_not_a_call_is_released_as_text() -> None:
    for text in ['{"answer": 42}', '{"name": "rm_rf", "arguments": {}}', "<tool_call>not json</tool_call>", "```python\nprint(1)\n```"]:
        events = await run([text[:5], text[5:]])
        assert calls_of(events) == [] and text_of(events) == text, text
        assert events[-1] == Done(finish_reason="stop")


async def test_plain_text_streams_without_delay() -> None:
    events = await run(["Hello", " world", " <b>bold</b>"])
    assert [e.text for e in events if isinstance(e, TextDelta)][:2] == ["Hello", " world"]
    assert text_of(events) == "Hello world <b>bold</b>"


async def test_no_tools_offered_means_no_recovery() -> None:
    text = '{"name": "read_file", "arguments": {}}'
    events = await run([text], tools=[])
    assert text_of(events) == text and calls_of(events) == []


async def test_native_calls_win_over_text() -> None:
    native = ToolCallReady(call=ToolCall(id="n1", name="list_dir"))
    events = await run(['<tool_call>{"name": "read_file", "arguments": {}}</tool_call>'], extra=[native])
    assert [c.id for c in calls_of(events)] == ["n1"]
    assert "<tool_call>" in text_of(events)


def test_string_arguments_are_parsed_and_bad_ones_reported() -> None:
    (call,) = parse_text_calls('{"name": "read_file", "arguments": "{\\"path\\": \\"a\\"}"}', TOOLS)
    assert call.arguments == {"path": "a"}
    (bad,) = parse_text_calls('{"name": "read_file", "arguments": "{oops"}', TOOLS)
    assert bad.arguments_error and "not valid JSON" in bad.arguments_error


# --- found by the fuzz suite (tests/fuzz/test_fuzz_text_calls.py); each pins the input it found -------


@pytest.mark.parametrize(
    "text",
    [
        "[" * 1991 + "]" * 1991,  # was RecursionError
        "```json\n" + "1" * 4301 + "\n```",  # was ValueError: integer over Python's 4,300-digit limit
        '{"name": ["read_file"], "arguments": {}}',  # was TypeError: unhashable type: 'list'
        '<tool_call>{"name": {"a": 1}}</tool_call>',
    ],
)
def test_text_that_json_cannot_read_is_not_a_call(text: str) -> None:
    assert parse_text_calls(text, TOOLS) == []


def test_a_call_whose_arguments_nest_too_deeply_is_a_call_that_is_not_run() -> None:
    (call,) = parse_text_calls('{"name": "read_file", "arguments": "' + "[" * 3000 + '"}', TOOLS)
    assert call.name == "read_file" and call.arguments == {}
    assert call.arguments_error.startswith("arguments are not valid JSON (nested too deeply)")


async def test_text_that_json_cannot_read_is_released_unchanged() -> None:
    text = "<tool_call>" + "[" * 1991 + "]" * 1991 + "</tool_call>"
    events = await run([text[:50], text[50:]])
    assert text_of(events) == text and calls_of(events) == []


async def test_the_text_before_a_call_does_not_depend_on_the_cuts() -> None:
    # The space before the tag was kept when it came in the same delta as "0", dropped when the
    # delta began with it: '0' + ' <tool_call>…' gave "0", '0 <tool_call>…' gave "0 ".
    block = '<tool_call>{"name": "read_file", "arguments": {}}</tool_call>'
    for pieces in (["0 " + block], ["0", " " + block], ["0 ", block], ["0", " ", block]):
        events = await run(pieces)
        assert text_of(events) == "0 " and [c.name for c in calls_of(events)] == ["read_file"]
    events = await run(["  ", block])  # only whitespace before the call: still dropped
    assert text_of(events) == "" and len(calls_of(events)) == 1
