"""The embedded engine reuses its KV cache across turns and steps: token counts, not timings.

With the real SmolLM2-135M, what llama.cpp evaluates is counted by wrapping the client's own
``Llama.eval``/``Llama.generate`` (instance attributes). The second turn must evaluate only
about the tokens that are new in it (``benchmarks/bench_embedded.py`` P4 measures the same);
before the fix, a turn with a tool call re-evaluated the decided ``functions.<name>:`` prefix
and the call's arguments (re-serialised differently from what the model wrote): 109 tokens
for 84 new ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from a2ia.client import _chatml, _kv_prefix
from a2ia.client.llamacpp import LlamaCppClient
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ChatOptions, Message, ToolCall, ToolSpec

from llama_eval_counter import EvalCounter

GREEDY = ChatOptions(temperature=0.0, seed=0, max_tokens=64)


@pytest.mark.anyio
@pytest.mark.model
async def test_second_turn_evaluates_only_its_new_tokens(smollm2: Path, workspace: Path) -> None:
    async with LlamaCppClient(smollm2, n_ctx=4096, seed=0) as client, ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        await client.capabilities()
        counter = EvalCounter(client._llama)
        orchestrator = Orchestrator(client, tools, system_prompt="You are a helpful assistant.", options=GREEDY, max_steps=2)
        session = Session()
        _ = [e async for e in orchestrator.run(session, "Say hello.")]
        last = counter.calls[-1]
        after_turn_1 = counter.text(last["prompt"] + last["sampled"][:-1])  # the last sampled token is never fed back
        counter.calls.clear()
        orchestrator.options = GREEDY.model_copy(update={"tool_choice": "list_dir"})  # a call step, then auto
        _ = [e async for e in orchestrator.run(session, "What files are in this folder?")]

        # Counted inside the block: the model's tokenizer is gone once the client is closed.
        assert any(m.tool_calls for m in session.messages[2:]), "turn 2 should include a tool step (the point of the test)"
        final_prompt = counter.text(counter.calls[-1]["prompt"])
        shared = os.path.commonprefix([final_prompt, after_turn_1])
        assert shared == after_turn_1, "turn 2's prompt repeats turn 1 exactly"
        new = counter.count(final_prompt) - counter.count(shared)
        # Everything evaluated in turn 2, less the decode steps of its last reply (output, not input).
        evaluated = sum(sum(c["evals"]) for c in counter.calls) - (len(counter.calls[-1]["evals"]) - 1)
    assert new > 20
    assert evaluated <= new + 2, (evaluated, new, [c["evals"][:1] for c in counter.calls])


@pytest.mark.anyio
@pytest.mark.model
async def test_decision_keeps_canonical_tokens_and_one_decode_step_to_answer(smollm2: Path) -> None:
    """Answering costs one decode step to decide, and the reply's prompt then evaluates only the
    rest of ``message:\\n``: nothing decided is evaluated twice."""
    async with LlamaCppClient(smollm2, n_ctx=4096, seed=0) as client:
        await client.capabilities()
        counter = EvalCounter(client._llama)
        spec = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        offered = [ToolSpec(name="get_weather", description="The weather in a city.", input_schema=spec)]
        await client.chat([Message.user("Say hello.")], offered, GREEDY)
    decide, body = counter.calls[0], counter.calls[1]
    if counter.text(decide["sampled"]) == "message":
        assert len(decide["evals"]) == 1, "one prompt batch, then one sampled token decides"
        assert body["evals"][0] <= 3, "the body's prompt adds only the rest of 'message:\\n'"


@pytest.mark.model
def test_prompt_tokens_keep_the_caches_own_spelling(smollm2: Path) -> None:
    from llama_cpp import Llama

    llama = Llama(model_path=str(smollm2), n_ctx=512, verbose=False)
    try:
        head = _chatml.render([Message.user("Say hello.")], ())
        tokenize = lambda text: llama.tokenize(text.encode(), add_bos=False, special=True)  # noqa: E731
        odd = tokenize(head) + [tokenize(piece)[0] for piece in ("m", "essa", "ge", ":")]
        assert llama.detokenize(odd, special=True).decode().endswith("message:")
        llama.eval(odd)
        prompt = head + "message:\nHello there"
        tokens = _kv_prefix.prompt_tokens(llama, prompt)
        assert tokens[: len(odd)] == odd, "the cached spelling of 'message:' is kept"
        assert llama.detokenize(tokens, special=True).decode() == prompt
        other = _kv_prefix.prompt_tokens(llama, head + "functions.x:\n")
        assert other == llama.tokenize((head + "functions.x:\n").encode(), add_bos=True, special=True)
    finally:
        llama.close()


def test_arguments_are_rendered_as_the_model_wrote_them() -> None:
    call = ToolCall(id="c1", name="list_dir", arguments={"path": "."})
    written = {"c1": '{ "path": "." }'}
    assert _chatml.arguments_text(call, written) == '{ "path": "." }'
    assert _chatml.arguments_text(call, {}) == '{"path": "."}'
    changed = ToolCall(id="c1", name="list_dir", arguments={"path": "src"})
    assert _chatml.arguments_text(changed, written) == '{"path": "src"}', "text that no longer matches is not used"
    assert _chatml.arguments_text(call, {"c1": "{broken"}) == '{"path": "."}'
    message = Message(role="assistant", content="", tool_calls=(call,))
    assert 'functions.list_dir:\n{ "path": "." }' in _chatml.render([message], (), written)
