"""Each covered family's tool syntax on the embedded engine, with the real SmolLM2-135M GGUF
prompted in that family's real chat template (``tests/fixtures/chat_templates``; passed as
``chat_template``, as ``A2IA_CHAT_TEMPLATE_FILE`` does for a user).

The 135M model was not trained on these formats, so these tests check the plumbing: the
prompt in the family's syntax, a call the engine opens and constrains, its arguments valid
and grounded, and the KV cache kept across the call (what llama.cpp evaluates is counted).
Whether a model *chooses* to call is a property of the model, measured in the evaluation.
"""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import pytest

from a2ia.client._tool_formats import FORMATS
from a2ia.client.llamacpp import LlamaCppClient
from a2ia.types import ChatOptions, Message, ToolCall, ToolSpec

from llama_eval_counter import EvalCounter

TEMPLATES = Path(__file__).parent / "fixtures" / "chat_templates"
FAMILIES = {"qwen3": "hermes", "qwen3-coder": "qwen3-xml", "llama-3.2": "llama3-json", "mistral-nemo": "mistral"}
FORMAT = {f.id: f for f in FORMATS}
GREEDY = ChatOptions(temperature=0.0, seed=0, max_tokens=48)
PATH_SCHEMA = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
READ = ToolSpec(
    name="read_file",
    description="Read a text file in the workspace.",
    input_schema=PATH_SCHEMA,
    decoding_schema={"type": "object", "properties": {"path": {"enum": ["notes.txt", "a.txt"], "type": "string"}}, "required": ["path"]},
)
LIST = ToolSpec(name="list_dir", description="List a folder of the workspace.", input_schema=PATH_SCHEMA)
QUESTION = [Message.system("You are a helpful assistant."), Message.user("What is in notes.txt?")]

pytestmark = [pytest.mark.model, pytest.mark.anyio]


def client_for(model: Path, name: str) -> LlamaCppClient:
    return LlamaCppClient(model, n_ctx=4096, seed=0, chat_template=(TEMPLATES / f"{name}.jinja").read_text())


@pytest.mark.parametrize("name", FAMILIES)
async def test_a_required_call_is_written_in_the_familys_syntax_and_fits_the_grounded_schema(smollm2: Path, name: str) -> None:
    fmt = FORMAT[FAMILIES[name]]
    async with client_for(smollm2, name) as client:
        capabilities = await client.capabilities()
        counter = EvalCounter(client._llama)
        reply = await client.chat(QUESTION, [READ, LIST], GREEDY.model_copy(update={"tool_choice": "required"}))
        prompts = [counter.text(c["prompt"]) for c in counter.calls]
    assert capabilities.native_tools and client.tool_format == fmt.id
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    spec = {"read_file": READ, "list_dir": LIST}[call.name]
    jsonschema.validate(call.arguments, spec.schema_for_decoding)
    reply_so_far = prompts[-1].rsplit("What is in notes.txt?", 1)[1]
    assert fmt.head + call.name + fmt.name_end in reply_so_far, "the engine opened the call as the template spells it"
    assert "Read a text file in the workspace." in prompts[0], "the template listed the tools"


@pytest.mark.parametrize("name", FAMILIES)
async def test_a_named_call_keeps_grounded_paths(smollm2: Path, name: str) -> None:
    async with client_for(smollm2, name) as client:
        reply = await client.chat(QUESTION, [READ, LIST], GREEDY.model_copy(update={"tool_choice": "read_file"}))
    assert [c.name for c in reply.tool_calls] == ["read_file"]
    assert reply.tool_calls[0].arguments["path"] in ("notes.txt", "a.txt")


@pytest.mark.parametrize("name", FAMILIES)
async def test_the_step_after_a_call_evaluates_only_its_new_tokens(smollm2: Path, name: str) -> None:
    """Step 2 (the tool's result, then the reply) reuses the KV cache of step 1 up to the
    call's end: the engine wrote the call's fixed parts as the template renders them, and the
    history repeats the arguments as the model wrote them."""
    async with client_for(smollm2, name) as client:
        await client.capabilities()
        counter = EvalCounter(client._llama)
        step1 = await client.chat(QUESTION, [READ, LIST], GREEDY.model_copy(update={"tool_choice": "read_file"}))
        after_step_1 = counter.after()
        counter.calls.clear()
        call: ToolCall = step1.tool_calls[0]
        history = [*QUESTION, step1, Message(role="tool", content="buy bread", tool_call_id=call.id, name=call.name)]
        await client.chat(history, [READ, LIST], GREEDY)
        final_prompt = counter.text(counter.calls[-1]["prompt"])
        shared = os.path.commonprefix([final_prompt, after_step_1])
        new = counter.count(final_prompt) - counter.count(shared)
        evaluated = sum(sum(c["evals"]) for c in counter.calls) - (len(counter.calls[-1]["evals"]) - 1)
    if name == "mistral-nemo":
        # Mistral's template puts the system text (and the tools) with the *last* message only when
        # that is the user's: step 2 renders the question without it, so what step 1 evaluated
        # is kept up to the question; the engine must still evaluate no more than what changed.
        assert shared.endswith("[/AVAILABLE_TOOLS][INST]")
    else:
        assert len(shared) >= len(after_step_1) - 2, (after_step_1[len(shared) - 40 :], final_prompt[len(shared) - 40 : len(shared) + 40])
    assert new > 5
    assert evaluated <= new + 2, (evaluated, new)


async def test_an_answer_streams_without_a_call_and_the_template_ends_it(smollm2: Path) -> None:
    async with client_for(smollm2, "qwen3") as client:
        reply = await client.chat([Message.user("Say hello.")], [READ], GREEDY.model_copy(update={"tool_choice": "none"}))
    assert reply.content.strip() and not reply.tool_calls
    assert "<|im_end|>" not in reply.content and "<tool_call>" not in reply.content


async def test_a_template_file_setting_reaches_the_engine_and_a_bad_one_is_a_clear_error(smollm2: Path, tmp_path: Path) -> None:
    from a2ia.config import Settings
    from a2ia.engines.select import open_client
    from a2ia.errors import ConfigError

    settings = Settings(backend="llamacpp", model=str(smollm2), chat_template_file=TEMPLATES / "llama-3.2.jinja")
    async with open_client(settings) as client:
        assert (await client.capabilities()).tool_format == "llama3-json"
    async with open_client(Settings(backend="llamacpp", model=str(smollm2))) as client:
        assert (await client.capabilities()).tool_format == "functions", "SmolLM2's own template renders no tools"
    missing = tmp_path / "none.jinja"
    with pytest.raises(ConfigError, match="cannot read the chat template .*none.jinja"):
        open_client(Settings(backend="llamacpp", model=str(smollm2), chat_template_file=missing))
