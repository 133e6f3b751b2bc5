"""``LlamaCppClient``: llama.cpp embedded in the process (llama-cpp-python), no server needed.

Generation is blocking, so it runs in a worker thread (``_thread_stream``) and hands
OpenAI-shaped chunks to the event loop, where the shared ``ChunkAccumulator`` turns them into
``StreamEvent``s, exactly as for a server backend.

Tool calls, in the syntax the model knows best (``capabilities().tool_format``):

* the family's own (``_native_calls``, ``_tool_formats``): where the GGUF's chat template renders
  tools in a syntax a2ia knows (Qwen's ``<tool_call>``, Qwen3-Coder's XML, Llama 3's JSON,
  Mistral's ``[TOOL_CALLS]``), the prompt is that template and a call opens as it was trained;
* ``functions.<name>:`` (``_functions_calls``, ``_chatml``): ChatML models whose template renders
  no tools (SmolLM2's), decided token by token between answering and calling;
* ReAct, driven by the orchestrator: any other template (``_generate_with_template``).

Either way a call's arguments are generated under a JSON-schema grammar from the tool's
decoding schema (grounded paths included), so they always parse and fit it.

One call per reply: the orchestrator's loop gives the model another step for the next one.

Every string in a grammar is bounded (``schema.bound_strings``): a tiny model under a grammar
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
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio

from a2ia.client import _chatml, _kv_prefix, _tool_formats
from a2ia.client._accumulate import ChunkAccumulator
from a2ia.client._functions_calls import FunctionsCalls
from a2ia.client._native_calls import NativeCalls
from a2ia.client._template import ChatTemplate
from a2ia.client._thread_stream import iterate_in_thread
from a2ia.client.base import LLMClient
from a2ia.client.schema import bound_strings
from a2ia.config import DEFAULT_N_CTX
from a2ia.errors import BackendUnavailable, ConfigError, ContextOverflow
from a2ia.types import Capabilities, ChatOptions, Message, StreamEvent, ToolSpec

DEFAULT_MAX_TOKENS = 1024
MAX_CALL_TOKENS = 512
FREE_TEXT_REPEAT_PENALTY = 1.1
REMEMBERED_CALLS = 256


class LlamaCppClient(LLMClient):
    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        seed: int = 0,
        n_threads: int | None = None,
        default_temperature: float = 0.2,
        chat_template: str | None = None,
    ) -> None:
        """``chat_template``: Jinja text to use instead of the GGUF's own (its
        ``tokenizer.chat_template``), as llama.cpp's ``--chat-template-file``."""
        self.model_path = Path(model_path)
        self.chat_template = chat_template
        self.n_ctx = n_ctx
        self.seed = seed
        self.n_threads = n_threads
        self.default_temperature = default_temperature
        self._llama: Any = None
        self._lock = threading.Lock()
        self._load_lock = anyio.Lock()
        self._chatml = False
        self._native: tuple[_tool_formats.ToolFormat, ChatTemplate] | None = None  # the family's own tool syntax
        # call id -> its arguments as the model wrote them, so the next prompt repeats that text
        # (and its tokens stay in the KV cache) instead of a re-serialised copy.
        self._written_arguments: OrderedDict[str, str] = OrderedDict()
        self._alternatives: dict[tuple[str, ...], list[list[int]] | None] = {}  # decision prefixes -> tokens
        self._call_openers: list[int] | None = None  # tokens an answer may not start with (_functions_calls)

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
        source = self.chat_template or llama.metadata.get("tokenizer.chat_template")
        self._chatml = _chatml.is_chatml(source)
        self._native = self._native_format(llama, source)
        return llama

    @staticmethod
    def _native_format(llama: Any, source: str | None) -> tuple[_tool_formats.ToolFormat, ChatTemplate] | None:
        """The family's tool syntax and its template, where the template renders tools in one
        ``_tool_formats`` knows (else ``None``: the ``functions.`` convention, or ReAct)."""
        fmt = _tool_formats.detect(source)
        if fmt is None or source is None:
            return None
        eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", errors="replace")
        try:
            template = ChatTemplate(source, eos_token=eos)
        except Exception:  # noqa: BLE001 - a template that does not compile is one a2ia cannot use
            return None
        return (fmt, template) if template.renders_tools() else None

    @property
    def tool_format(self) -> str:
        """Which tool-call syntax the loaded model is prompted in: a ``_tool_formats`` id,
        ``"functions"`` (``_chatml``'s convention) or ``"react"`` (no native tools)."""
        if self._native is not None:
            return self._native[0].id
        return "functions" if self._chatml else "react"

    async def _ensure_loaded(self) -> Any:
        async with self._load_lock:
            if self._llama is None:
                self._llama = await anyio.to_thread.run_sync(self._load_blocking)
        return self._llama

    async def capabilities(self) -> Capabilities:
        await self._ensure_loaded()
        return Capabilities(
            native_tools=self._chatml or self._native is not None,
            constrained_decoding=True,
            context_length=self.n_ctx,
            model_id=self.model_path.name,
            tool_format=self.tool_format,
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
        offered = list(tools) if self._chatml or self._native is not None else []
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
        if self._native is not None:
            fmt, template = self._native
            calls = NativeCalls(
                self, llama, fmt, template, max_tokens=DEFAULT_MAX_TOKENS, max_call_tokens=MAX_CALL_TOKENS, repeat_penalty=FREE_TEXT_REPEAT_PENALTY
            )
            yield from calls.generate(messages, tools, options, cancelled)
            return
        if not self._chatml:
            yield from self._generate_with_template(llama, messages, options, cancelled)
            return
        calls = FunctionsCalls(self, llama, max_tokens=DEFAULT_MAX_TOKENS, max_call_tokens=MAX_CALL_TOKENS, repeat_penalty=FREE_TEXT_REPEAT_PENALTY)
        yield from calls.generate(messages, tools, options, cancelled)

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
