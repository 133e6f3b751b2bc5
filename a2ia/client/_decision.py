"""The embedded engine's first decision: answer (``message:``) or call (``functions.<name>:``).

It is made over the *tokenizer's own tokens* for each alternative, greedily, stopping as soon
as only one alternative is left. Why not a GBNF grammar over the alternatives' text (what this
replaced): a character grammar lets the model spell ``message:`` as ``m|essa|ge|:``, and it
did (SmolLM2, measured: four decode steps instead of one, then a prompt whose canonical tokens
no longer matched the KV cache, and a history in that odd spelling that the model copied in
later turns). Restricting each step to the next token of a still-possible alternative:

* decides ``message`` vs ``functions`` on the words' real tokens, not on fragments;
* needs one decode step to pick an answer and a few to pick a tool, never the whole prefix
  (the rest of it is evaluated in one batch with the reply's prompt);
* leaves in the KV cache exactly the canonical tokens the next prompt starts with.

The restriction is a logits processor on ``Llama.generate`` (greedy: the decision is not left
to sampling noise).

**When the model is unsure, it answers.** A small model puts little probability on either
marker (it would rather start "The…"), so comparing the two alone is a coin toss that turned
"Name three colors." into a ``list_dir``. What tells a call apart is how likely the call's
token is *outright*: tuned on SmolLM2-135M over a set of 40 prompts with made-up functions
(``benchmarks/function_cases.tuning_cases``: 20 that need one, 20 that need none; the held-back
evaluation set is another), the log-probability of the call token was −11 to −4.3 where a call
was needed (18 of 20 above −8.3) and −15 to −5.5 where none was (17 of 20 below). So a call is
chosen when that log-probability is at least ``CALL_FLOOR`` *and* the model prefers the call
over ``message`` by ``CALL_LEAD`` nats (so a larger model, sure it should answer, is never
pushed into a call by the floor); or on a clear preference alone, ``CALL_MARGIN`` nats (what
the rule was before, tuned on 16 prompts with a2ia's own tools, where the tool prompts scored
3.7–7.5: without it the workspace evaluation lost two listings); or when the model puts most
of its probability on a call outright (``CALL_CERTAIN``). The preference alone overlapped
between the two kinds of tuning prompt (1.2 to 4.9 nats where a call was needed, −2 to 3.8
where none was).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ANCHOR = "<|im_start|>assistant\n"


def alternative_tokens(llama: Any, texts: Sequence[str]) -> list[list[int]] | None:
    """Each alternative's tokens as they follow the assistant header, or ``None`` if the
    tokenizer does not keep the header's tokens apart from what follows (then a caller falls
    back to a grammar)."""
    anchor = llama.tokenize(ANCHOR.encode(), add_bos=False, special=True)
    out = []
    for text in texts:
        tokens = llama.tokenize((ANCHOR + text).encode(), add_bos=False, special=True)
        if tokens[: len(anchor)] != anchor or len(tokens) == len(anchor):
            return None
        out.append(tokens[len(anchor) :])
    if len({tuple(t) for t in out}) != len(out):
        return None
    return out


CALL_FLOOR = -8.3
CALL_LEAD = 1.0
CALL_MARGIN = 3.5
CALL_CERTAIN = 0.5


def choose(llama: Any, prompt: list[int], alternatives: list[list[int]], answer: int | None = None) -> int:
    """The index of the alternative the model starts with, greedily, token by token.

    ``answer``: the index of the answer alternative; the first step then calls only on a clear
    preference (see the module's docstring)."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    chosen: list[int] = []

    def alive() -> list[int]:
        n = len(chosen)
        return [i for i, alt in enumerate(alternatives) if alt[:n] == chosen]

    def only_next_tokens(_ids: Any, scores: Any) -> Any:
        n = len(chosen)
        allowed = [alternatives[i][n] for i in alive() if len(alternatives[i]) > n]
        if n == 0 and answer is not None:
            answer_token = alternatives[answer][0]
            call_tokens = [t for t in allowed if t != answer_token]
            if call_tokens:
                top = float(np.max(scores))
                log_total = top + float(np.log(np.sum(np.exp(scores - top))))
                best_call = float(np.max(scores[call_tokens]))
                share = best_call - log_total
                lead = best_call - float(scores[answer_token])
                likely = share >= CALL_FLOOR and lead >= CALL_LEAD
                if share < np.log(CALL_CERTAIN) and not likely and lead < CALL_MARGIN:
                    allowed = [answer_token]
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        return masked

    left = alive()
    if len(left) == 1:
        return left[0]
    longest = max(len(alt) for alt in alternatives)
    for token in llama.generate(prompt, temp=0.0, logits_processor=LogitsProcessorList([only_next_tokens])):
        chosen.append(token)
        left = alive()
        if len(left) <= 1 or len(chosen) >= longest:
            break
    if not left:  # cannot happen with the mask in place; answer rather than guess a tool
        return len(alternatives) - 1
    return left[0]
