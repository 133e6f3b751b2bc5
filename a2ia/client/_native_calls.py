"""Tool calls in a model family's own syntax, on the embedded engine (see ``_tool_formats``).

The prompt is the GGUF's chat template with the tools in it. Then, by ``tool_choice``:

* ``"auto"``: the reply streams freely, watched for the family's call opener (a token id when
  the opener is one token, as ``<|python_tag|>`` is for Llama 3, else its text). When the
  model opens a call, generation stops there and the call is written under constraint: this
  is llama.cpp's server's *lazy grammar*, which leaves a model that answers alone entirely;
* ``"required"``: the call is opened by the engine, and the tool's name chosen under a grammar;
* a tool's name: the engine opens the call and writes the name.

The fixed parts of a call (``<tool_call>\\n{"name": "``, ``", "arguments": ``…) are written by
the engine, exactly as the template spells them, so the history it renders next step repeats
the same text; only the name and the arguments are generated, under a grammar from the tool's
decoding schema (grounded paths included). Qwen3-Coder's XML parameters are generated one by
one: a string value as raw text (it may not contain ``</``), any other value as JSON.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from a2ia.client._template import ChatTemplate
from a2ia.client._tool_formats import ToolFormat, may_still_open, message_dicts, opener_at, tool_dicts
from a2ia.client.schema import arguments_schema, bound_strings
from a2ia.types import ChatOptions, Message, ToolSpec, new_call_id

END_OF_TURN = ("<|im_end|>", "<|im_start|>", "<|eot_id|>", "<|eom_id|>", "<|start_header_id|>", "[INST]")
XML_STRING_MAX = 1000


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


def _text(pieces: Sequence[dict[str, Any]]) -> str:
    return "".join(p["choices"][0].get("text") or "" for p in pieces)


def _cut(pieces: Sequence[dict[str, Any]]) -> bool:
    return any(p["choices"][0].get("finish_reason") == "length" for p in pieces)


class NativeCalls:
    """One request on the family path. ``engine`` is the ``LlamaCppClient`` (its completion,
    grammar, sampling and remembered-arguments helpers); it holds the model's lock."""

    def __init__(
        self,
        engine: Any,
        llama: Any,
        fmt: ToolFormat,
        template: ChatTemplate,
        *,
        max_tokens: int,
        max_call_tokens: int,
        repeat_penalty: float,
    ) -> None:
        self.engine, self.llama, self.fmt, self.template = engine, llama, fmt, template
        self.max_tokens, self.max_call_tokens, self.repeat_penalty = max_tokens, max_call_tokens, repeat_penalty
        self.counted: list[int] = []
        self.produced = 0

    def _complete(self, prompt: str, **kwargs: Any) -> list[dict[str, Any]]:
        pieces = list(self.engine._complete(self.llama, prompt, self.counted, **kwargs))
        self.produced += len(pieces)
        return pieces

    def generate(
        self, messages: Sequence[Message], tools: list[ToolSpec], options: ChatOptions, cancelled: threading.Event
    ) -> Iterator[dict[str, Any]]:
        history = message_dicts(self.fmt, messages, self.engine._written_arguments)
        prompt = self.template.render(history, tool_dicts(tools) if tools else None)
        sampling = self.engine._sampling(options, cancelled)
        choice = options.tool_choice if tools else "none"
        if choice == "required":
            yield from self._call(prompt, "", None, tools, sampling)
        elif choice not in ("auto", "none"):
            yield from self._call(prompt, "", choice, tools, sampling)
        else:
            yield from self._reply(prompt, tools if choice == "auto" else [], options, sampling)
        yield {"choices": [], "usage": {"prompt_tokens": self.counted[0] if self.counted else 0, "completion_tokens": self.produced}}

    # --- a reply, watched for a call -------------------------------------------------------

    def _opener_ids(self) -> set[int]:
        ids = set()
        for opener in self.fmt.openers:
            tokens = self.llama.tokenize(opener.encode(), add_bos=False, special=True)
            if len(tokens) == 1:
                ids.add(tokens[0])
        return ids

    def _reply(
        self, prompt: str, tools: list[ToolSpec], options: ChatOptions, sampling: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        from llama_cpp import StoppingCriteriaList

        watch = bool(tools) and options.json_schema is None
        opened = threading.Event()
        call_sampling = sampling  # a call after the opener is decoded without the watch and its stop
        sampling = dict(sampling)
        if watch:
            ids = self._opener_ids()

            def stop_on_opener(tokens: Any, _logits: Any) -> bool:
                if ids and int(tokens[-1]) in ids:
                    opened.set()
                return opened.is_set()

            sampling["stopping_criteria"] = StoppingCriteriaList([*sampling["stopping_criteria"], stop_on_opener])
        if options.json_schema is not None:
            sampling["grammar"] = self.engine._grammar(json.dumps(bound_strings(options.json_schema)))
        text, sent, finish = "", 0, "stop"
        watching = watch
        stream = self.engine._complete(
            self.llama,
            prompt,
            self.counted,
            max_tokens=options.max_tokens or self.max_tokens,
            stop=[*END_OF_TURN, *options.stop],
            repeat_penalty=self.repeat_penalty if options.json_schema is None else 1.0,
            **sampling,
        )
        for piece in stream:
            self.produced += 1
            choice = piece["choices"][0]
            finish = choice.get("finish_reason") or finish
            text += choice.get("text") or ""
            if watching and (at := opener_at(self.fmt, text)) is not None:
                opened.set()
                text = text[:at]
                break
            hold = may_still_open(self.fmt, text[sent:]) if watching else 0
            if watching and not self.fmt.opens_anywhere and hold == 0 and text.strip():
                watching = False  # a reply that did not start with a call will not become one
            if len(text) - hold > sent:
                yield _chunk({"content": text[sent : len(text) - hold]})
                sent = len(text) - hold
        if opened.is_set():
            if len(text) > sent:
                yield _chunk({"content": text[sent:]})
            yield from self._call(prompt, text, None, tools, call_sampling)
            return
        if len(text) > sent:
            yield _chunk({"content": text[sent:]})
        yield _chunk({}, finish)

    # --- a call ----------------------------------------------------------------------------

    def _call(
        self, prompt: str, before: str, target: str | None, tools: list[ToolSpec], sampling: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        written = prompt + before + self.fmt.head
        if target is None:
            names = [t.name for t in tools]
            gbnf = "root ::= " + " | ".join(json.dumps(n) for n in names)
            chosen = _text(self._complete(written, max_tokens=32, grammar=self.engine._grammar(gbnf=gbnf), **{**sampling, "temperature": 0.0}))
            target = next((n for n in sorted(names, key=len, reverse=True) if chosen.startswith(n)), names[0])
        spec = next(t for t in tools if t.name == target)
        written += target + self.fmt.name_end
        call_id = new_call_id()
        if self.fmt.arguments == "json":
            schema = arguments_schema(spec.schema_for_decoding)
            pieces = self._complete(written, max_tokens=self.max_call_tokens, grammar=self.engine._grammar(json.dumps(schema)), **sampling)
            arguments, cut = _text(pieces), _cut(pieces)
            self.engine._remember_arguments(call_id, arguments)
        else:
            values, cut = self._xml_arguments(written, spec, sampling)
            arguments = json.dumps(values)
        call = {"index": 0, "id": call_id, "type": "function", "function": {"name": target, "arguments": arguments}}
        # Arguments that stopped at the cap are cut: "length" keeps them from being mended and run.
        yield _chunk({"tool_calls": [call]}, "length" if cut else "tool_calls")

    def _xml_arguments(self, written: str, spec: ToolSpec, sampling: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        schema = arguments_schema(spec.schema_for_decoding)
        properties: dict[str, Any] = schema.get("properties") or {}
        required = [n for n in properties if n in set(schema.get("required", ()))]
        optional = [n for n in properties if n not in required]
        values: dict[str, Any] = {}
        for name in required:
            written, cut = self._xml_value(written, name, properties[name], values, sampling)
            if cut:
                return values, True
        while optional:
            gbnf = 'root ::= "</function>" | "<parameter=" (' + " | ".join(json.dumps(n) for n in optional) + ') ">"'
            chosen = _text(self._complete(written, max_tokens=16, grammar=self.engine._grammar(gbnf=gbnf), **{**sampling, "temperature": 0.0}))
            name = next((n for n in optional if chosen == f"<parameter={n}>"), None)
            if name is None:
                break
            optional.remove(name)
            written, cut = self._xml_value(written, name, properties[name], values, sampling)
            if cut:
                return values, True
        return values, False

    def _xml_value(
        self, written: str, name: str, schema: dict[str, Any], values: dict[str, Any], sampling: dict[str, Any]
    ) -> tuple[str, bool]:
        written += f"<parameter={name}>\n"
        close = "\n</parameter>\n"
        if schema.get("type") == "string":
            if "enum" in schema:
                body = "(" + " | ".join(json.dumps(str(v)) for v in schema["enum"]) + ")"
            else:
                body = f'([^<] | "<" [^/]){{0,{min(int(schema.get("maxLength", XML_STRING_MAX)), XML_STRING_MAX)}}}'
            grammar = self.engine._grammar(gbnf=f"root ::= {body} {json.dumps(close.rstrip())}")
            pieces = self._complete(written, max_tokens=self.max_call_tokens, grammar=grammar, **sampling)
            text = _text(pieces)
            values[name] = text.removesuffix(close.rstrip())
            return written + values[name] + close, _cut(pieces)
        pieces = self._complete(written, max_tokens=self.max_call_tokens, grammar=self.engine._grammar(json.dumps(schema)), **sampling)
        text = _text(pieces)
        try:
            values[name] = json.loads(text)
        except ValueError:
            return written, True
        return written + text + close, _cut(pieces)

