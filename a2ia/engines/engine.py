"""Make the selected engine ready, for as long as an agent runs: ``open_engine``.

Selection (``select.py``) says which engine; this starts what must be started — a vLLM server
(``--start-server``), ``ollama serve``, a model pull (``--pull``) — and stops on exit what it
started, so GPU memory is given back. A server that was already running is left alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from a2ia.backends import BACKENDS, DEFAULT_OLLAMA_MODEL
from a2ia.config import Settings
from a2ia.engines.ollama_server import OllamaServer, PullProgress
from a2ia.engines.select import Selection, select_backend
from a2ia.engines.vllm_launch import plan_vllm, start_vllm

StatusCallback = Callable[[str], None]
PullCallback = Callable[[PullProgress], None]


@asynccontextmanager
async def open_engine(
    settings: Settings,
    on_status: StatusCallback,
    on_pull: PullCallback | None = None,
) -> AsyncIterator[Settings]:
    """Yield the settings with a concrete backend and a bare model, the engine ready to serve."""
    selection = await select_backend(settings)
    for line in selection.lines:
        on_status(line)
    resolved = settings.model_copy(update={"backend": selection.backend, "model": selection.model})
    kind = BACKENDS[selection.backend]
    async with AsyncExitStack() as stack:
        if kind.start is not None:
            await kind.load(kind.start)(EngineStart(resolved, selection, stack, on_status, on_pull))
        yield resolved


@dataclass(frozen=True)
class EngineStart:
    """What a backend's start hook gets: it pushes on ``stack`` whatever stops what it started."""

    settings: Settings  # with the concrete backend and the bare model
    selection: Selection
    stack: AsyncExitStack
    on_status: StatusCallback
    on_pull: PullCallback | None


async def start_vllm_engine(start: EngineStart) -> None:
    """Start a vLLM server sized to the GPU, only when asked to and none answers."""
    if start.settings.start_server and not start.selection.vllm_up:
        server = await start_vllm(plan_vllm(start.settings), start.settings, start.on_status)
        start.stack.push_async_callback(server.stop)


async def start_ollama_engine(start: EngineStart) -> None:
    """``ollama serve`` if it is installed and not running; the model pulled if allowed."""
    ollama = OllamaServer(start.settings.ollama_url)
    start.stack.push_async_callback(ollama.stop)  # stops only what it started
    await ollama.ensure_running(start.on_status)
    model = start.selection.model or DEFAULT_OLLAMA_MODEL
    await ollama.ensure_model(model, allow_pull=start.settings.pull, on_progress=start.on_pull)
