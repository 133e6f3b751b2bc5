"""Prompt tokens that reuse the KV cache's own tokens wherever their text is the prompt's text.

llama-cpp-python reuses its KV cache for the longest *token* prefix a new prompt shares with
what it evaluated before. Tokenizing the whole prompt text afresh breaks that prefix wherever
the model wrote a token sequence that is not the tokenizer's canonical one for the same text,
and everything after the break is evaluated again. A model under a grammar does this readily:
under the old character grammar of the decision step SmolLM2 wrote ``message:`` as
``m|essa|ge|:`` (the tokenizer says ``message|:``), so each reply's prompt re-evaluated it; a
call's JSON arguments can be spelled oddly the same way, and then the whole rest of the
conversation after them would be recomputed on the next step.

``prompt_tokens`` keeps the cached tokens for as long as their bytes continue the prompt, and
tokenizes only the rest. It does so only for byte-level BPE tokenizers (GGUF ``gpt2``: SmolLM2,
Qwen2.5, Llama 3, …), whose tokens spell their text exactly and additively; for any other
tokenizer (SentencePiece adds and drops leading spaces) the plain tokenization is used, which
only loses the optimisation. The new part is checked to spell exactly the rest of the prompt.
"""

from __future__ import annotations

from typing import Any

EXACT_TOKENIZERS = ("gpt2",)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k


def cached_tokens(llama: Any) -> list[int]:
    """The tokens llama.cpp holds in its KV cache, oldest first (``[]`` if it cannot tell)."""
    ids = getattr(llama, "input_ids", None)
    n = getattr(llama, "n_tokens", 0)
    if ids is None or not n:
        return []
    return ids[:n].tolist()


def prompt_tokens(llama: Any, prompt: str) -> list[int]:
    """``prompt`` as tokens for ``create_completion``: the cache's tokens where they fit, then new ones.

    Equivalent to passing the string (BOS as the model wants it, special tokens parsed), except
    that text the cache already covers keeps the cache's tokenization.
    """
    data = prompt.encode("utf-8")
    fresh = llama.tokenize(data, add_bos=True, special=True)
    cached = cached_tokens(llama)
    k = _common_prefix(cached, fresh)
    if k == 0 or k == len(cached) or k == len(fresh):
        return fresh  # nothing to reuse, or the canonical tokens already reuse all there is
    if llama.metadata.get("tokenizer.ggml.model") not in EXACT_TOKENIZERS:
        return fresh
    detokenize = llama.detokenize
    # Byte-level BPE spells text additively: the shared tokens cover all but the tail's bytes.
    position = len(data) - len(detokenize(fresh[k:], special=True))
    m = k
    while m < len(cached):
        piece = detokenize([cached[m]], special=True)
        if not piece or not data.startswith(piece, position):
            break
        position += len(piece)
        m += 1
    if m == k:
        return fresh
    rest = llama.tokenize(data[position:], add_bos=False, special=True) if position < len(data) else []
    if detokenize(rest, special=True) != data[position:]:
        return fresh  # the cut fell inside a character, say: keep it simple
    return cached[:m] + rest
