"""Fuzzed sampling requests: whatever a server sends as ``sampling/createMessage`` params (after
the SDK's own validation) is answered by ``Sampler.answer`` with a result or MCP error data,
never an exception, and never with more tokens than a2ia's own limit."""

from __future__ import annotations

import anyio
import pytest
from fuzz_support import cases, json_objects, json_values, or_junk
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_types import CreateMessageRequestParams, CreateMessageResult, ErrorData
from pydantic import ValidationError

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.sampling import Sampler

pytestmark = pytest.mark.fuzz

_block = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": or_junk(st.text(max_size=30))}),
    st.fixed_dictionaries({"type": st.just("image"), "data": st.text(max_size=10), "mimeType": st.text(max_size=8)}),
    st.fixed_dictionaries({"type": st.just("audio"), "data": st.text(max_size=10), "mimeType": st.text(max_size=8)}),
    json_objects,
)
_message = st.fixed_dictionaries({"role": or_junk(st.sampled_from(["user", "assistant"])),
                                  "content": st.one_of(_block, st.lists(_block, max_size=3))})
_params = st.fixed_dictionaries(
    {"messages": st.lists(_message, max_size=4), "maxTokens": or_junk(st.integers(-5, 10**12))},
    optional={"systemPrompt": or_junk(st.text(max_size=20)), "temperature": or_junk(st.floats(allow_nan=True)),
              "stopSequences": or_junk(st.lists(st.text(max_size=5), max_size=3)), "metadata": json_values},
)


@settings(max_examples=cases(0.3))
@given(_params)
def test_any_sampling_request_is_answered_or_refused(data: dict) -> None:
    try:
        params = CreateMessageRequestParams.model_validate(data)
    except ValidationError:
        return  # the SDK refuses it before a2ia sees it

    async def approve(_request) -> str:
        return "once"

    client = ScriptedClient(["ok"])
    answer = anyio.run(Sampler(client, approve, max_tokens=32).answer, "srv", params)
    assert isinstance(answer, (CreateMessageResult, ErrorData))
    assert all(r.options.max_tokens is not None and 1 <= r.options.max_tokens <= 32 for r in client.requests)
