"""Counting what a real ``llama_cpp.Llama`` evaluates: the KV-reuse test and benchmark P4 share it."""

from __future__ import annotations

from typing import Any


class EvalCounter:
    """Counts what a ``Llama`` evaluates, per ``generate`` call, by wrapping the instance's methods."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.calls: list[dict] = []
        generate, evaluate = llama.generate, llama.eval

        def counted_generate(tokens, *args, **kwargs):
            call = {"prompt": list(tokens), "evals": [], "sampled": []}
            self.calls.append(call)
            for token in generate(tokens, *args, **kwargs):
                call["sampled"].append(token)
                yield token

        def counted_eval(tokens):
            # Outside a generate call there is no call to count it in: an IndexError says so.
            self.calls[-1]["evals"].append(len(tokens))
            return evaluate(tokens)

        llama.generate, llama.eval = counted_generate, counted_eval

    def text(self, tokens: list[int]) -> str:
        return self.llama.detokenize(tokens, special=True).decode("utf-8", errors="replace")

    def count(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))

    def after(self) -> str:
        """The text llama.cpp has evaluated once the last call ended: its prompt and every token the
        model wrote but the last (the final sampled token, EOS or the one at ``max_tokens``, is
        never fed back, so the next turn has to evaluate it: it is new there)."""
        last = self.calls[-1]
        return self.text(last["prompt"] + last["sampled"][:-1])
