"""The family tool formats: which template is which family, how the history is rendered for it,
and where a reply opens a call. The templates are the families' real ones
(``tests/fixtures/chat_templates``); the model-backed half is ``test_native_calls_real.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from a2ia.client._native_calls import NativeCalls
from a2ia.client._template import ChatTemplate, TemplateRefused, WrittenArguments
from a2ia.client._tool_formats import FORMATS, detect, may_still_open, message_dicts, opener_at, tool_dicts
from a2ia.errors import BackendError
from a2ia.types import ChatOptions, Message, ToolCall, ToolSpec

TEMPLATES = Path(__file__).parent / "fixtures" / "chat_templates"
FAMILIES = {"qwen3": "hermes", "qwen3-coder": "qwen3-xml", "llama-3.2": "llama3-json", "mistral-nemo": "mistral"}
FORMAT = {f.id: f for f in FORMATS}
READ = ToolSpec(
    name="read_file",
    description="Read a file.",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)
HISTORY = [
    Message.system("Be brief."),
    Message.user("What is in a.txt?"),
    Message(role="assistant", tool_calls=(ToolCall(id="call_0123456789ab", name="read_file", arguments={"path": "a.txt"}),)),
    Message(role="tool", content="hello", tool_call_id="call_0123456789ab", name="read_file"),
    Message(role="assistant", content="It says hello."),
    Message.user("Thanks."),
]


def template(name: str) -> str:
    return (TEMPLATES / f"{name}.jinja").read_text()


@pytest.mark.parametrize(("name", "family"), FAMILIES.items())
def test_each_familys_template_is_recognised_and_renders_tools(name: str, family: str) -> None:
    source = template(name)
    assert detect(source) is FORMAT[family]
    assert ChatTemplate(source, eos_token="</s>").renders_tools()


def test_a_template_without_tools_is_no_family() -> None:
    chatml = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n"
    assert detect(chatml) is None
    assert not ChatTemplate(chatml).renders_tools()
    # A template that names <tool_call> in a comment but never shows the tools: not used for them.
    assert not ChatTemplate("{# <tool_call> #}" + chatml).renders_tools()


@pytest.mark.parametrize(("name", "family"), FAMILIES.items())
def test_the_history_renders_the_call_and_its_result_in_the_familys_syntax(name: str, family: str) -> None:
    fmt = FORMAT[family]
    prompt = ChatTemplate(template(name), eos_token="</s>").render(message_dicts(fmt, HISTORY), tool_dicts([READ]))
    call_start = fmt.head + "read_file" + fmt.name_end
    assert call_start in prompt, prompt
    assert "hello" in prompt and "It says hello." in prompt and "Thanks." in prompt
    assert prompt.count('"read_file"') + prompt.count(">read_file<") >= 1, "the tool is listed (Mistral: before the last question)"


def test_a_call_repeats_the_arguments_as_the_model_wrote_them() -> None:
    """``{ "path": "a.txt" }`` (the model's spacing) and not a re-serialised copy: the KV cache
    holds the model's tokens. Text that no longer parses to the arguments is not used."""
    fmt = FORMAT["hermes"]
    source = template("qwen3")
    kept = ChatTemplate(source).render(message_dicts(fmt, HISTORY, {"call_0123456789ab": '{ "path": "a.txt" }'}), tool_dicts([READ]))
    assert '"arguments": { "path": "a.txt" }}' in kept
    stale = ChatTemplate(source).render(message_dicts(fmt, HISTORY, {"call_0123456789ab": '{"path": "b.txt"}'}), tool_dicts([READ]))
    assert '"arguments": {"path": "a.txt"}}' in stale


def test_mistral_call_ids_are_nine_alphanumerics_and_match_their_result() -> None:
    prompt = ChatTemplate(template("mistral-nemo"), eos_token="</s>").render(message_dicts(FORMAT["mistral"], HISTORY), tool_dicts([READ]))
    call_id = prompt.split('"id": "')[1][:9]
    assert call_id.isalnum() and len(call_id) == 9
    assert f'"call_id": "{call_id}"' in prompt


def test_tojson_is_transformers_one_and_written_arguments_nest() -> None:
    source = "{{ messages[0] | tojson }}"
    value = {"text": "<b>é</b>", "args": WrittenArguments({"a": 1}, '{ "a": 1 }')}
    out = ChatTemplate(source).render([value])
    assert out == '{"text": "<b>é</b>", "args": { "a": 1 }}', "no HTML escaping, non-ASCII kept, written text verbatim"


def test_a_templates_refusal_is_a_clear_error_and_the_sandbox_holds() -> None:
    with pytest.raises(TemplateRefused, match="roles must alternate"):
        ChatTemplate(template("mistral-nemo")).render([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    with pytest.raises(BackendError, match="could not be rendered"):
        ChatTemplate("{{ ''.__class__.__mro__[1].__subclasses__() }}").render([])
    with pytest.raises(BackendError, match="could not be rendered"):
        ChatTemplate("{{ undefined_name | tojson }}").render([])


def test_where_a_call_opens_in_a_reply() -> None:
    hermes, llama = FORMAT["hermes"], FORMAT["llama3-json"]
    assert opener_at(hermes, "Let me look.\n<tool_call>\n{") == len("Let me look.\n")
    assert opener_at(hermes, "No call here.") is None
    assert may_still_open(hermes, "Let me look. <tool_") == len("<tool_")
    assert opener_at(llama, '  {"name": "read_file"') == 2
    assert opener_at(llama, 'Write {"name": 1} in JSON.') is None, "Llama 3 calls only as the whole reply"
    assert may_still_open(llama, ' {"na') == len(' {"na')
    assert may_still_open(llama, "The answer") == 0


class ScriptedEngine:
    """The engine side ``NativeCalls`` uses, with completions scripted per call: a check of the
    trigger and of what the engine writes around a call, apart from any model."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.prompts: list[str] = []
        self._written_arguments: dict[str, str] = {}

    def _sampling(self, _options: Any, _cancelled: Any) -> dict[str, Any]:
        return {"temperature": 0.0, "seed": 0, "stopping_criteria": []}

    def _grammar(self, schema_json: str | None = None, gbnf: str | None = None) -> str:
        return gbnf or schema_json or ""

    def _remember_arguments(self, call_id: str, text: str) -> None:
        self._written_arguments[call_id] = text

    def _complete(self, _llama: Any, prompt: str, counted: list[int], stopping_criteria: Any = (), **_kwargs: Any):
        """Yields the next scripted reply's pieces, stopping where a stopping criterion says so
        (as llama.cpp does: each is asked after every token)."""
        self.prompts.append(prompt)
        counted.append(len(prompt))
        for piece in self.replies.pop(0):
            yield {"choices": [{"text": piece, "finish_reason": None}]}
            if any(stop([0], None) for stop in stopping_criteria):
                return


class NoSpecialTokens:
    def tokenize(self, text: bytes, **_kwargs: Any) -> list[int]:
        return list(text)


def test_a_reply_that_opens_a_call_stops_there_and_the_engine_writes_the_call() -> None:
    engine = ScriptedEngine([["Let me ", "look.\n<tool", "_call>\n{\"name\": \"rea"], ["read_file"], ['{"path": ', '"a.txt"}']])
    source = template("qwen3")
    calls = NativeCalls(engine, NoSpecialTokens(), FORMAT["hermes"], ChatTemplate(source), max_tokens=64, max_call_tokens=64, repeat_penalty=1.1)
    chunks = list(calls.generate([Message.user("What is in a.txt?")], [READ], ChatOptions(), cancelled=None))  # type: ignore[arg-type]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    call = next(c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if c["choices"] and "tool_calls" in c["choices"][0]["delta"])
    assert text == "Let me look.\n", "the text before the opener is the reply's text, the opener is not"
    assert call["function"] == {"name": "read_file", "arguments": '{"path": "a.txt"}'}
    name_prompt, arguments_prompt = engine.prompts[1], engine.prompts[2]
    assert name_prompt.endswith('Let me look.\n<tool_call>\n{"name": "')
    assert arguments_prompt.endswith('<tool_call>\n{"name": "read_file", "arguments": ')
    assert engine._written_arguments[call["id"]] == '{"path": "a.txt"}'
    assert json.loads(call["function"]["arguments"]) == {"path": "a.txt"}
