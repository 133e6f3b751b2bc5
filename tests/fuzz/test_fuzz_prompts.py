"""Fuzzed MCP prompts: what a server sends for ``prompts/get`` (after the SDK's own validation)
through ``prompt_messages``, and the person's argument line through ``bind_arguments`` and
``argument_at``. Nothing may raise but the documented errors, and every message is text."""

from __future__ import annotations

import pytest
from fuzz_support import cases, json_objects, json_values, or_junk
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_types import GetPromptResult
from pydantic import ValidationError

from a2ia.errors import ConfigError
from a2ia.tools.mcp_content import prompt_messages
from a2ia.tools.prompts import PromptArgument, ServerPrompt, argument_at, bind_arguments

pytestmark = pytest.mark.fuzz

_block = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": or_junk(st.text(max_size=40))}),
    st.fixed_dictionaries({"type": st.just("image"), "data": or_junk(st.text(max_size=20)), "mimeType": or_junk(st.text(max_size=10))}),
    st.fixed_dictionaries({"type": st.just("resource"), "resource": or_junk(st.fixed_dictionaries(
        {"uri": or_junk(st.text(max_size=20))}, optional={"text": st.text(max_size=30), "blob": st.text(max_size=10)}))}),
    st.fixed_dictionaries({"type": st.just("resource_link"), "uri": st.text(max_size=20), "name": or_junk(st.text(max_size=10))}),
    json_objects,
)
_message = st.fixed_dictionaries({"role": or_junk(st.sampled_from(["user", "assistant", "system"])), "content": or_junk(_block)})
_result = st.one_of(st.fixed_dictionaries({"messages": st.lists(_message, max_size=5)}, optional={"description": json_values}), json_objects)


@given(_result)
def test_whatever_a_server_sends_is_refused_or_becomes_text(data: dict) -> None:
    try:
        result = GetPromptResult.model_validate(data)
    except ValidationError:
        return  # the SDK refuses it: the registry reports the prompt as failed
    messages = prompt_messages(result)
    assert len(messages) == len(result.messages)
    assert all(m.role in ("user", "assistant") and isinstance(m.content, str) for m in messages)


_names = st.lists(st.sampled_from(["path", "focus", "city", "x"]), min_size=0, max_size=3, unique=True)


@settings(max_examples=cases(0.2))
@given(_names, st.lists(st.booleans(), min_size=3, max_size=3), st.text(max_size=60))
def test_any_argument_line_binds_or_says_why(names: list[str], required: list[bool], line: str) -> None:
    prompt = ServerPrompt("srv", "p", "", tuple(PromptArgument(n, "", r) for n, r in zip(names, required, strict=False)))
    try:
        bound = bind_arguments(prompt, line)
    except ConfigError as exc:
        assert exc.hint == prompt.usage
    else:
        assert set(bound) <= set(names) and all(isinstance(v, str) for v in bound.values())
        assert all(n in bound for n, r in zip(names, required, strict=False) if r)
    at = argument_at(prompt, line)
    assert at is None or (at.name in names and isinstance(at.typed, str))
