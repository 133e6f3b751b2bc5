"""Tool calls in the ``functions.<name>:`` convention (``_chatml``), on the embedded engine.

For ChatML models whose template renders no tools (SmolLM2's): the reply's first words are
``message:`` (an answer) or ``functions.<name>:`` (a call), decided over the tokenizer's own
tokens (``_decision``); a call's arguments are then generated under a JSON-schema grammar
from the tool's decoding schema, so they always parse and fit it.

* ``tool_choice="auto"``: that decision, calling only on a clear preference;
* ``"required"``: the same, without the ``message:`` alternative;
* a tool's name: straight to that tool's arguments;
* ``"none"``: the tools stay in the prompt (its prefix, and so the KV cache, stays that of
  the other steps) and the reply is held to the ``message:`` path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from a2ia.client import _chatml, _decision, _kv_prefix
from a2ia.client.schema import arguments_schema, bound_strings
from a2ia.types import ChatOptions, Message, ToolSpec, new_call_id

REMEMBERED_DECISIONS = 64
CALL_SPELLINGS = ("functions.", " functions.", "Functions.", "function functions.", "Function functions.")
"""How an answer could begin a call written as text (SmolLM2 does, once its tools are off)."""


def call_openers(llama: Any) -> list[int]:
    """The tokens an answer's text would start a ``functions.`` call with."""
    return sorted({llama.tokenize(s.encode(), add_bos=False, special=False)[0] for s in CALL_SPELLINGS})


def answer_not_a_call(llama: Any, banned: list[int]) -> Any:
    """A logits processor: until the answer has a character other than blanks and quotes, it
    may not start a call.

    The decision already chose to answer (or the tools are off); a ``functions.<name>:`` the
    model writes as text then would be markup, taken out of what the person sees, leaving no
    answer at all. The cost: an answer cannot begin with the bare word "function(s)" (it
    begins another way, "A function…")."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    start: list[int] = []  # the prompt's length: the ids the first step sees
    opened = [False]  # the answer has begun: nothing more to check

    def only_an_answer(ids: Any, scores: Any) -> Any:
        if opened[0]:
            return scores
        if not start:
            start.append(len(ids))
        written = ids[start[0]:]
        if len(written) and llama.detokenize(list(written)).decode("utf-8", "replace").strip(" \t\n\"'`"):
            opened[0] = True
            return scores
        scores = scores.copy()
        scores[banned] = -np.inf
        return scores

    return LogitsProcessorList([only_an_answer])


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


class FunctionsCalls:
    """One request in the ``functions.`` convention. ``engine`` is the ``LlamaCppClient`` (its
    completion, grammar, sampling, remembered arguments and decision tokens); it holds the lock."""

    def __init__(self, engine: Any, llama: Any, *, max_tokens: int, max_call_tokens: int, repeat_penalty: float) -> None:
        self.engine, self.llama = engine, llama
        self.max_tokens, self.max_call_tokens, self.repeat_penalty = max_tokens, max_call_tokens, repeat_penalty
        self.counted: list[int] = []
        self.produced = 0

    def generate(
        self, messages: Sequence[Message], tools: list[ToolSpec], options: ChatOptions, cancelled: threading.Event
    ) -> Iterator[dict[str, Any]]:
        prompt = _chatml.render(messages, tools, written=self.engine._written_arguments)
        sampling = self.engine._sampling(options, cancelled)
        target: str | None = None
        if tools:
            choice = options.tool_choice
            if choice in ("auto", "required"):
                target = self._decide(prompt, tools, allow_message=choice == "auto")
            elif choice != "none":
                target = choice
        if target is None:
            yield from self._answer(prompt, bool(tools), options, sampling)
        else:
            yield from self._call(prompt, next(t for t in tools if t.name == target), sampling)
        yield {"choices": [], "usage": {"prompt_tokens": self.counted[0] if self.counted else 0, "completion_tokens": self.produced}}

    def _answer(self, prompt: str, with_tools: bool, options: ChatOptions, sampling: dict[str, Any]) -> Iterator[dict[str, Any]]:
        body = prompt + (_chatml.MESSAGE_PREFIX + "\n" if with_tools else "")
        finish = "stop"
        if options.json_schema is not None:
            sampling["grammar"] = self.engine._grammar(json.dumps(bound_strings(options.json_schema)))
        markup = _chatml.AnswerMarkup() if options.json_schema is None else None
        # Free text gets llama.cpp's usual repeat penalty (its server and chat handlers use
        # 1.1; the library's completion default is 1.0); JSON under a grammar does not.
        penalty = self.repeat_penalty if options.json_schema is None else 1.0
        if with_tools and options.json_schema is None:
            banned = self.engine._call_openers = self.engine._call_openers or call_openers(self.llama)
            sampling["logits_processor"] = answer_not_a_call(self.llama, banned)
        for piece in self.engine._complete(
            self.llama,
            body,
            self.counted,
            max_tokens=options.max_tokens or self.max_tokens,
            stop=[*_chatml.STOP, *options.stop],
            repeat_penalty=penalty,
            **sampling,
        ):
            self.produced += 1
            choice = piece["choices"][0]
            finish = choice.get("finish_reason") or finish
            if text := choice.get("text"):
                if text := markup.feed(text) if markup else text:
                    yield _chunk({"content": text})
        if markup and (rest := markup.finish()):
            yield _chunk({"content": rest})
        yield _chunk({}, finish)

    def _call(self, prompt: str, spec: ToolSpec, sampling: dict[str, Any]) -> Iterator[dict[str, Any]]:
        call_prompt = prompt + _chatml.call_prefix(spec.name) + "\n"
        grammar = self.engine._grammar(json.dumps(arguments_schema(spec.schema_for_decoding)))
        pieces = list(self.engine._complete(self.llama, call_prompt, self.counted, max_tokens=self.max_call_tokens, grammar=grammar, **sampling))
        self.produced += len(pieces)
        arguments = "".join(p["choices"][0].get("text") or "" for p in pieces)
        call_id = new_call_id()
        self.engine._remember_arguments(call_id, arguments)
        call = {"index": 0, "id": call_id, "type": "function", "function": {"name": spec.name, "arguments": arguments}}
        # Arguments that stopped at the cap are cut JSON: "length" makes the accumulator
        # refuse to mend them, so the orchestrator never runs a call the model did not finish.
        cut = any(p["choices"][0].get("finish_reason") == "length" for p in pieces)
        yield _chunk({"tool_calls": [call]}, "length" if cut else "tool_calls")

    def _decide(self, prompt: str, tools: list[ToolSpec], *, allow_message: bool) -> str | None:
        """Choose between ``message:`` and ``functions.<name>:`` (see ``_decision``).

        Returns the tool to call, or ``None`` to answer. Greedy (temperature 0), as the choice
        of what to do should not be left to sampling noise.
        """
        targets: list[str | None] = [t.name for t in tools]
        texts = [_chatml.call_prefix(t.name) for t in tools]
        if allow_message:
            targets.append(None)
            texts.append(_chatml.MESSAGE_PREFIX)
        remembered = self.engine._alternatives
        key = tuple(texts)
        if key not in remembered:
            if len(remembered) > REMEMBERED_DECISIONS:
                remembered.clear()
            remembered[key] = _decision.alternative_tokens(self.llama, texts)
        alternatives = remembered[key]
        if alternatives is None:
            return self._decide_by_grammar(prompt, tools, texts)
        tokens = _kv_prefix.prompt_tokens(self.llama, prompt)
        self.counted.append(len(tokens))
        needed = len(tokens) + max(len(a) for a in alternatives)
        if needed >= self.engine.n_ctx:
            raise self.engine._overflow(f"the prompt needs {needed} tokens")
        answer = len(targets) - 1 if allow_message else None
        return targets[_decision.choose(self.llama, tokens, alternatives, answer=answer)]

    def _decide_by_grammar(self, prompt: str, tools: list[ToolSpec], texts: list[str]) -> str | None:
        """The same decision under a GBNF grammar, for a tokenizer ``_decision`` cannot use."""
        grammar = self.engine._grammar(gbnf="root ::= " + " | ".join(json.dumps(a) for a in texts))
        pieces = self.engine._complete(
            self.llama, prompt, self.counted, max_tokens=32, temperature=0.0, grammar=grammar, seed=self.engine.seed
        )
        text = "".join(p["choices"][0].get("text") or "" for p in pieces)
        return next((t.name for t in tools if text.strip() == _chatml.call_prefix(t.name)), None)
