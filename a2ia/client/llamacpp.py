"""``LlamaCppClient``: llama.cpp embedded in the process (llama-cpp-python), no server needed.

Generation is blocking, so it runs in a worker thread (``_thread_stream``) and hands
OpenAI-shaped chunks to the event loop, where the shared ``ChunkAccumulator`` turns them into
``StreamEvent``s, exactly as for a server backend.

Tool calls (ChatML models, see ``_chatml`` for the prompt convention):

* ``tool_choice="auto"``: the reply's first words are restricted to ``message:`` or
  ``functions.<name>:`` (token by token, see ``_decision``; a grammar where the tokenizer does
  not allow that), so the model decides between answering and calling one offered tool.
  An answer then streams freely; a call's arguments are generated under a JSON-schema grammar
  from the tool's input schema, so they always parse and fit the schema.
* ``"required"``: the same, without the ``message:`` alternative.
* a tool's name: straight to that tool's arguments.

One call per reply: the orchestrator's loop gives the model another step for the next one.

Every string in a grammar is bounded (``_schema.bound_strings``): a tiny model under a grammar
with an unbounded string can loop until ``max_tokens``.

One ``Llama`` per client, guarded by a lock (llama.cpp contexts are not thread-safe); its KV
cache is reused across turns for the prompt prefix they share. Two things keep that prefix
whole (measured by ``benchmarks/bench_embedded.py``, P4): prompts are passed as tokens that keep
the cache's own tokenization of text it already holds (``_kv_prefix``), and a tool call in the
history is rendered with the arguments exactly as the model wrote them, not re-serialised.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio

from a2ia.client import _chatml, _decision, _kv_prefix
from a2ia.client._accumulate import ChunkAccumulator
from a2ia.client._schema import arguments_schema, bound_strings
from a2ia.client._thread_stream import iterate_in_thread
from a2ia.client.base import LLMClient
from a2ia.errors import BackendUnavailable, ConfigError, ContextOverflow
from a2ia.types import Capabilities, ChatOptions, Message, StreamEvent, ToolSpec

DEFAULT_MAX_TOKENS = 1024
MAX_CALL_TOKENS = 512
FREE_TEXT_REPEAT_PENALTY = 1.1
REMEMBERED_CALLS = 256


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


class LlamaCppClient(LLMClient):
    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 8192,
        seed: int = 0,
        n_threads: int | None = None,
        default_temperature: float = 0.2,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.seed = seed
        self.n_threads = n_threads
        self.default_temperature = default_temperature
        self._llama: Any = None
        self._lock = threading.Lock()
        self._load_lock = anyio.Lock()
        self._chatml = False
        # call id -> its arguments as the model wrote them, so the next prompt repeats that text
        # (and its tokens stay in the KV cache) instead of a re-serialised copy.
        self._written_arguments: OrderedDict[str, str] = OrderedDict()
        self._alternatives: dict[tuple[str, ...], list[list[int]] | None] = {}  # decision prefixes -> tokens

    # --- loading ---------------------------------------------------------------------------

    def _load_blocking(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - it is a hard dependency
            raise ConfigError(
                "llama-cpp-python is not installed", hint="pip install llama-cpp-python"
            ) from exc
        try:
            llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                seed=self.seed,
                n_threads=self.n_threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise BackendUnavailable(
                f"llama.cpp could not load the model {self.model_path}: {exc}",
                hint="check that the file is a complete GGUF model, and that there is enough memory",
            ) from None
        self._chatml = _chatml.is_chatml(llama.metadata.get("tokenizer.chat_template"))
        return llama

    async def _ensure_loaded(self) -> Any:
        async with self._load_lock:
            if self._llama is None:
                self._llama = await anyio.to_thread.run_sync(self._load_blocking)
        return self._llama

    async def capabilities(self) -> Capabilities:
        await self._ensure_loaded()
        return Capabilities(
            native_tools=self._chatml,
            constrained_decoding=True,
            context_length=self.n_ctx,
            model_id=self.model_path.name,
        )

    def count_tokens(self, text: str) -> int | None:
        if self._llama is None:
            return None
        return len(self._llama.tokenize(text.encode(), add_bos=False, special=True))

    async def aclose(self) -> None:
        llama, self._llama = self._llama, None
        if llama is not None:
            with self._lock:
                llama.close()

    # --- streaming -------------------------------------------------------------------------

    async def _stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        llama = await self._ensure_loaded()
        # With tool_choice "none" the tools are still rendered (the prompt's prefix, and so the KV
        # cache, stays that of the other steps) but the reply is held to the ``message:`` path.
        offered = list(tools) if self._chatml else []
        if options.tool_choice not in ("auto", "required", "none") and not any(
            t.name == options.tool_choice for t in offered
        ):
            raise ConfigError(f"tool_choice names {options.tool_choice!r}, which is not an offered tool")
        accumulator = ChunkAccumulator()

        def generate(cancelled: threading.Event) -> Iterator[dict[str, Any]]:
            with self._lock:
                yield from self._generate(llama, messages, offered, options, cancelled)

        async with aclosing(iterate_in_thread(generate, name="a2ia-llamacpp")) as chunks:
            async for chunk in chunks:
                for event in accumulator.feed(chunk):
                    yield event
        for event in accumulator.finish():
            yield event

    def _sampling(self, options: ChatOptions, cancelled: threading.Event) -> dict[str, Any]:
        from llama_cpp import StoppingCriteriaList

        temperature = self.default_temperature if options.temperature is None else options.temperature
        return {
            "temperature": temperature,
            "seed": self.seed if options.seed is None else options.seed,
            "stopping_criteria": StoppingCriteriaList([lambda _ids, _logits: cancelled.is_set()]),
        }

    def _guarded(self, start: Callable[[], Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """llama-cpp-python's chunks, its too-long-prompt ``ValueError`` translated where it enters."""
        try:
            yield from start()
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise self._overflow(str(exc)) from None
            raise

    def _overflow(self, detail: str) -> ContextOverflow:
        return ContextOverflow(
            f"the conversation no longer fits the model's context ({self.n_ctx} tokens): {detail}",
            hint="start a new session, or raise the context with A2IA_N_CTX",
        )

    def _complete(
        self, llama: Any, prompt: str, counted: list[int] | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Stream a completion of ``prompt``, passed as tokens that reuse the KV cache (``_kv_prefix``).

        The tokens are computed when the stream starts, after any earlier step has run. Their
        number is appended to ``counted`` (the request's usage).
        """

        def start() -> Iterator[dict[str, Any]]:
            tokens = _kv_prefix.prompt_tokens(llama, prompt)
            if counted is not None:
                counted.append(len(tokens))
            return llama.create_completion(prompt=tokens, stream=True, **kwargs)

        return self._guarded(start)

    def _remember_arguments(self, call_id: str, text: str) -> None:
        self._written_arguments[call_id] = text
        while len(self._written_arguments) > REMEMBERED_CALLS:
            self._written_arguments.popitem(last=False)

    def _generate(
        self,
        llama: Any,
        messages: Sequence[Message],
        tools: list[ToolSpec],
        options: ChatOptions,
        cancelled: threading.Event,
    ) -> Iterator[dict[str, Any]]:
        """The blocking generator: yields OpenAI-shaped chat chunks, then usage."""
        if not self._chatml:
            yield from self._generate_with_template(llama, messages, options, cancelled)
            return
        prompt = _chatml.render(messages, tools, written=self._written_arguments)
        sampling = self._sampling(options, cancelled)
        produced = 0
        counted: list[int] = []
        target: str | None = None
        if tools:
            choice = options.tool_choice
            if choice in ("auto", "required"):
                target = self._decide(llama, prompt, tools, allow_message=choice == "auto", counted=counted)
            elif choice != "none":
                target = choice
        if target is None:
            body = prompt + (_chatml.MESSAGE_PREFIX + "\n" if tools else "")
            finish = "stop"
            if options.json_schema is not None:
                sampling["grammar"] = self._grammar(json.dumps(bound_strings(options.json_schema)))
            markup = _chatml.AnswerMarkup() if options.json_schema is None else None
            # Free text gets llama.cpp's usual repeat penalty (its server and chat handlers use
            # 1.1; the library's completion default is 1.0); JSON under a grammar does not.
            penalty = FREE_TEXT_REPEAT_PENALTY if options.json_schema is None else 1.0
            for piece in self._complete(
                llama,
                body,
                counted,
                max_tokens=options.max_tokens or DEFAULT_MAX_TOKENS,
                stop=[*_chatml.STOP, *options.stop],
                repeat_penalty=penalty,
                **sampling,
            ):
                produced += 1
                choice_ = piece["choices"][0]
                finish = choice_.get("finish_reason") or finish
                if text := choice_.get("text"):
                    if (text := markup.feed(text) if markup else text):
                        yield _chunk({"content": text})
            if markup and (rest := markup.finish()):
                yield _chunk({"content": rest})
            yield _chunk({}, finish)
        else:
            spec = next(t for t in tools if t.name == target)
            call_prompt = prompt + _chatml.call_prefix(target) + "\n"
            grammar = self._grammar(json.dumps(arguments_schema(spec.schema_for_decoding)))
            pieces = list(self._complete(llama, call_prompt, counted, max_tokens=MAX_CALL_TOKENS, grammar=grammar, **sampling))
            produced += len(pieces)
            arguments = "".join(p["choices"][0].get("text") or "" for p in pieces)
            call_id = f"call_{uuid.uuid4().hex[:12]}"
            self._remember_arguments(call_id, arguments)
            call = {
                "index": 0,
                "id": call_id,
                "type": "function",
                "function": {"name": target, "arguments": arguments},
            }
            # Arguments that stopped at the cap are cut JSON: "length" makes the accumulator
            # refuse to mend them, so the orchestrator never runs a call the model did not finish.
            cut = any(p["choices"][0].get("finish_reason") == "length" for p in pieces)
            yield _chunk({"tool_calls": [call]}, "length" if cut else "tool_calls")
        yield {"choices": [], "usage": {"prompt_tokens": counted[0] if counted else 0, "completion_tokens": produced}}

    def _generate_with_template(
        self, llama: Any, messages: Sequence[Message], options: ChatOptions, cancelled: threading.Event
    ) -> Iterator[dict[str, Any]]:
        """A model whose template is not ChatML: its own template (from the GGUF), no native tools.

        The orchestrator drives such a model with ReAct, so messages here are plain text turns.
        """
        sampling = self._sampling(options, cancelled)
        sampling.pop("stopping_criteria")  # not taken by create_chat_completion; the thread checks `cancelled`
        if options.json_schema is not None:
            sampling["grammar"] = self._grammar(json.dumps(bound_strings(options.json_schema)))
        plain = [{"role": m.role if m.role != "tool" else "user", "content": m.content} for m in messages]
        yield from self._guarded(
            lambda: llama.create_chat_completion(
                messages=plain,
                stream=True,
                max_tokens=options.max_tokens or DEFAULT_MAX_TOKENS,
                stop=list(options.stop) or None,
                **sampling,
            )
        )

    @staticmethod
    def _grammar(schema_json: str | None = None, gbnf: str | None = None) -> Any:
        from llama_cpp import LlamaGrammar

        if gbnf is not None:
            return LlamaGrammar.from_string(gbnf, verbose=False)
        return LlamaGrammar.from_json_schema(schema_json, verbose=False)

    def _decide(
        self, llama: Any, prompt: str, tools: list[ToolSpec], *, allow_message: bool, counted: list[int]
    ) -> str | None:
        """Choose between ``message:`` and ``functions.<name>:`` (see ``_decision``).

        Returns the tool to call, or ``None`` to answer. Greedy (temperature 0), as the choice
        of what to do should not be left to sampling noise.
        """
        targets: list[str | None] = [t.name for t in tools]
        texts = [_chatml.call_prefix(t.name) for t in tools]
        if allow_message:
            targets.append(None)
            texts.append(_chatml.MESSAGE_PREFIX)
        key = tuple(texts)
        if key not in self._alternatives:
            if len(self._alternatives) > 64:
                self._alternatives.clear()
            self._alternatives[key] = _decision.alternative_tokens(llama, texts)
        alternatives = self._alternatives[key]
        if alternatives is None:
            return self._decide_by_grammar(llama, prompt, tools, texts, counted)
        tokens = _kv_prefix.prompt_tokens(llama, prompt)
        counted.append(len(tokens))
        needed = len(tokens) + max(len(a) for a in alternatives)
        if needed >= self.n_ctx:
            raise self._overflow(f"the prompt needs {needed} tokens")
        answer = len(targets) - 1 if allow_message else None
        return targets[_decision.choose(llama, tokens, alternatives, answer=answer)]

    def _decide_by_grammar(
        self, llama: Any, prompt: str, tools: list[ToolSpec], texts: list[str], counted: list[int]
    ) -> str | None:
        """The same decision under a GBNF grammar, for a tokenizer ``_decision`` cannot use."""
        grammar = self._grammar(gbnf="root ::= " + " | ".join(json.dumps(a) for a in texts))
        text = "".join(
            p["choices"][0].get("text") or ""
            for p in self._complete(llama, prompt, counted, max_tokens=32, temperature=0.0, grammar=grammar, seed=self.seed)
        )
        return next((t.name for t in tools if text.strip() == _chatml.call_prefix(t.name)), None)
