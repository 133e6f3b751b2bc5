"""Make the selected engine ready, for as long as an agent runs: ``open_engine``.

Selection (``select.py``) says which engine; this starts what must be started — a vLLM server
(``--start-server``), ``ollama serve``, a model pull (``--pull``) — and stops on exit what it
started, so GPU memory is given back. A server that was already running is left alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from a2ia.config import Settings
from a2ia.engines.ollama_server import OllamaServer, PullProgress
from a2ia.engines.select import DEFAULT_OLLAMA_MODEL, select_backend
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
    async with AsyncExitStack() as stack:
        if selection.backend == "vllm" and settings.start_server and not selection.vllm_up:
            server = await start_vllm(plan_vllm(resolved), resolved, on_status)
            stack.push_async_callback(server.stop)
        elif selection.backend == "ollama":
            ollama = OllamaServer(settings.ollama_url)
            stack.push_async_callback(ollama.stop)  # stops only what it started
            await ollama.ensure_running(on_status)  # starts `ollama serve` if it is installed and not running
            await ollama.ensure_model(selection.model or DEFAULT_OLLAMA_MODEL, allow_pull=settings.pull, on_progress=on_pull)
        yield resolved
