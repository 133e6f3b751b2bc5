"""Fuzzed MCP resources: what a server sends for ``resources/read`` (after the SDK's own
validation) through ``contents_text``, and any text the person types through ``find_mentions``.
Nothing may raise, every resource becomes text, and a mention is only ever of a named server."""

from __future__ import annotations

import pytest
from fuzz_support import cases, json_objects, or_junk
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_types import ReadResourceResult
from pydantic import ValidationError

from a2ia.tools.resources import TRAILING, attachment, contents_text, find_mentions

pytestmark = pytest.mark.fuzz

_contents = st.one_of(
    st.fixed_dictionaries({"uri": or_junk(st.text(max_size=20)), "text": or_junk(st.text(max_size=40))},
                          optional={"mimeType": or_junk(st.sampled_from(["text/plain", "image/png", "application/json"]))}),
    st.fixed_dictionaries({"uri": or_junk(st.text(max_size=20)), "blob": or_junk(st.text(max_size=40))},
                          optional={"mimeType": or_junk(st.sampled_from(["text/plain", "image/png", "application/xml"]))}),
    json_objects,
)
_result = st.one_of(st.fixed_dictionaries({"contents": st.lists(_contents, max_size=4)}), json_objects)


@given(_result)
def test_whatever_a_server_reads_back_is_refused_or_becomes_text(data: dict) -> None:
    try:
        result = ReadResourceResult.model_validate(data)
    except ValidationError:
        return  # the SDK refuses it: the registry says the answer is malformed
    assert isinstance(contents_text(result), str)


_typed = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["@notes:", "@other:", "notes://a", " ", ".", ")", "@", "me@notes:"])),
                  max_size=8).map("".join)


@settings(max_examples=cases(0.5))
@given(_typed)
def test_any_typed_text_gives_mentions_of_named_servers_only(text: str) -> None:
    for mention in find_mentions(text, {"notes"}):
        assert mention.server == "notes" and mention.uri and mention.uri[-1] not in TRAILING
        assert mention.text in text and not any(c.isspace() for c in mention.uri)
        assert attachment(mention, "x").startswith(f"[resource {mention.text}]")
