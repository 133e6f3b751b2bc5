"""Chunk accumulation for the OpenAI chunk shape, pinned on the quirks servers really show."""

from __future__ import annotations

import re

import pytest

from a2ia.client._accumulate import ChunkAccumulator, parse_arguments
from a2ia.errors import BackendProtocolError
from a2ia.types import Done, ReasoningDelta, TextDelta, ToolCallReady, Usage


def run(chunks):
    acc = ChunkAccumulator()
    events = [e for c in chunks for e in acc.feed(c)]
    return events + acc.finish()


def delta(d, finish=None):
    return {"choices": [{"index": 0, "delta": d, "finish_reason": finish}]}


def test_text_reasoning_usage_done_in_order() -> None:
    events = run(
        [
            delta({"role": "assistant"}),
            delta({"reasoning_content": "hmm"}),
            delta({"content": "Hel"}),
            delta({"content": "lo"}),
            delta({}, "stop"),
            {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}},
        ]
    )
    assert events == [
        ReasoningDelta(text="hmm"),
        TextDelta(text="Hel"),
        TextDelta(text="lo"),
        Usage(prompt_tokens=7, completion_tokens=2),
        Done(finish_reason="stop"),
    ]


def test_vllm_style_fragments_first_delta_without_arguments() -> None:
    events = run(
        [
            delta({"tool_calls": [{"index": 0, "id": "chatcmpl-tool-1", "type": "function", "function": {"name": "read_file"}}]}),
            delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"pa'}}]}),
            delta({"tool_calls": [{"index": 0, "function": {"arguments": 'th": "a.txt"}'}}]}),
            delta({}, "tool_calls"),
        ]
    )
    calls = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert len(calls) == 1
    assert (calls[0].id, calls[0].name, calls[0].arguments) == ("chatcmpl-tool-1", "read_file", {"path": "a.txt"})
    assert events[-1] == Done(finish_reason="tool_calls")


def test_llamacpp_server_style_repeats_id_and_name_in_every_chunk() -> None:
    part = lambda args: delta(  # noqa: E731
        {"tool_calls": [{"index": 0, "id": "call_x", "type": "function", "function": {"name": "list_dir", "arguments": args}}]}
    )
    events = run([part('{"path"'), part(': "."}'), delta({}, "tool_calls")])
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert ready.call.name == "list_dir"
    assert ready.call.arguments == {"path": "."}


def test_several_calls_come_out_in_index_order() -> None:
    events = run(
        [
            delta({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "read_file", "arguments": "{}"}}]}),
            delta({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "list_dir", "arguments": "{}"}}]}),
            delta({}, "tool_calls"),
        ]
    )
    assert [e.call.id for e in events if isinstance(e, ToolCallReady)] == ["a", "b"]


def test_calls_still_flushed_when_the_stream_ends_without_finish_reason() -> None:
    events = run([delta({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "list_dir"}}]})])
    assert isinstance(events[0], ToolCallReady)
    assert events[-1] == Done(finish_reason="stop")


def test_no_parameter_tool_arguments_spellings() -> None:
    for raw in (None, "", "null", "{}", "  "):
        assert parse_arguments(raw) == ({}, None)
    assert parse_arguments({"a": 1}) == ({"a": 1}, None)


def test_broken_json_from_small_models_is_repaired() -> None:
    for raw in ('{"path": "a.txt"', "{'path': 'a.txt'}", '{path: "a.txt"}', '{"path": "a.txt",}'):
        assert parse_arguments(raw) == ({"path": "a.txt"}, None), raw


def test_a_call_cut_by_the_token_limit_is_not_repaired() -> None:
    args, error = parse_arguments('{"path": "a.t', repair=False)
    assert args == {} and "not valid JSON" in error
    events = run([delta({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "x", "arguments": '{"cmd": "rm -rf /tm'}}]}, "length")])
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert ready.call.arguments == {} and "cut by the token limit" in ready.call.arguments_error


def test_bad_arguments_are_reported_not_raised() -> None:
    args, error = parse_arguments("[1, 2]")
    assert args == {} and "must be a JSON object" in error
    events = run([delta({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "x", "arguments": "{oops"}}]}, "tool_calls")])
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert ready.call.arguments_error and "{oops" in ready.call.arguments_error


def test_other_choices_are_ignored_and_finish_is_idempotent() -> None:
    acc = ChunkAccumulator()
    assert acc.feed({"choices": [{"index": 1, "delta": {"content": "other"}}]}) == []
    assert acc.finish() == [Done(finish_reason="stop")]
    assert acc.finish() == []


# --- found by the fuzz suite (tests/fuzz/test_fuzz_sse.py); each pins the input it found ----------


def test_arguments_json_cannot_read_is_an_error_not_an_exception() -> None:
    # an integer over Python's 4,300-digit limit raised ValueError; deep nesting RecursionError;
    # json-repair itself raised on '{' * 5000 ("Input nesting exceeds ...")
    for raw in ("1" * 4301, "[" * 1991 + "]" * 1991, "{" * 5000):
        for repair in (True, False):
            args, error = parse_arguments(raw, repair=repair)
            assert args == {} and error and "not valid JSON" in error


@pytest.mark.parametrize(
    ("chunk", "where"),
    [
        (delta({"tool_calls": "0"}), "delta.tool_calls"),  # AttributeError: 'str' object has no attribute 'get'
        (delta({"tool_calls": True}), "delta.tool_calls"),  # TypeError: 'bool' object is not iterable
        (delta({"tool_calls": [0]}), "tool call delta"),
        (delta({"tool_calls": [{"function": "x"}]}), "tool call function"),
        (delta({"tool_calls": [{"index": "a"}]}), "tool call index"),  # ValueError from int("a")
        (delta({"tool_calls": [{"index": -1}]}), "tool call index"),
        (delta({"tool_calls": [{"id": 5}]}), "tool call id"),  # pydantic ValidationError at the flush
        (delta({"tool_calls": [{"function": {"name": ["x"]}}]}), "tool call name"),
        (delta({"tool_calls": [{"function": {"arguments": [1]}}]}), "tool call arguments"),  # TypeError in join
        (delta({"content": 5}), "delta.content"),  # pydantic ValidationError
        (delta({"reasoning_content": {}}), "delta.reasoning_content"),
        (delta("text"), "delta"),
        (delta({}, finish=7), "finish_reason"),
        ({"choices": {}}, "choices"),
        ({"choices": ["x"]}, "choice"),
        ({"usage": 5}, "usage"),
        ({"usage": {"prompt_tokens": "many"}}, "usage.prompt_tokens"),  # ValueError from int("many")
    ],
)
def test_chunks_of_the_wrong_shape_are_protocol_errors(chunk: dict, where: str) -> None:
    acc = ChunkAccumulator()
    with pytest.raises(BackendProtocolError, match=re.escape(where)):
        acc.feed(chunk)
        acc.finish()


def test_counts_and_indexes_servers_write_as_strings_or_floats_still_count() -> None:
    events = run([{"choices": [], "usage": {"prompt_tokens": "12", "completion_tokens": 3.0}},
                  delta({"tool_calls": [{"index": "1", "id": "a", "function": {"name": "x", "arguments": "{}"}}]}, "tool_calls")])
    assert Usage(prompt_tokens=12, completion_tokens=3) in events
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    assert (ready.call.id, ready.call.name) == ("a", "x")
