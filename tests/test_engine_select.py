"""Backend selection: model prefixes, ``--backend auto`` with engines present and absent.

The engines are real where they run here: a real OpenAI-compatible server process
(``llama_cpp.server``) answers the vLLM probe as vLLM would (``GET /v1/models``); Ollama is the
replay of its documented wire format (``ollama_replay.py``: no daemon runs here).
"""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from a2ia.config import Settings
from a2ia.engines.engine import open_engine
from a2ia.engines.model_spec import ModelSpec, backend_for, parse_model_spec
from a2ia.engines.select import select_backend
from a2ia.errors import ConfigError, ModelNotFound
from a2ia.hints import named_settings, plain

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("model", "spec"),
    [
        (None, ModelSpec(None, None)),
        ("vllm:Qwen/Qwen2.5-7B-Instruct-AWQ", ModelSpec("vllm", "Qwen/Qwen2.5-7B-Instruct-AWQ")),
        ("ollama:qwen2.5:7b", ModelSpec("ollama", "qwen2.5:7b")),
        ("qwen2.5:7b", ModelSpec(None, "qwen2.5:7b")),  # an Ollama tag is not a prefix
        ("gguf:/models/m.gguf", ModelSpec("llamacpp", "/models/m.gguf")),
        ("/models/Qwen2.5-7B.Q4_K_M.GGUF", ModelSpec("llamacpp", "/models/Qwen2.5-7B.Q4_K_M.GGUF")),
        ("openai:gpt-oss-20b", ModelSpec("openai", "gpt-oss-20b")),
        ("VLLM:x", ModelSpec("vllm", "x")),
    ],
)
def test_model_prefixes(model: str | None, spec: ModelSpec) -> None:
    assert parse_model_spec(model) == spec


def test_a_prefix_that_contradicts_the_backend_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="for the ollama engine, but the backend is vllm"):
        backend_for("vllm", "ollama:qwen2.5:7b")
    with pytest.raises(ConfigError, match="names no model"):
        parse_model_spec("vllm:")
    assert backend_for("openai", "model.gguf") == ("openai", "model.gguf")  # a served name may end in .gguf
    assert backend_for("auto", "ollama:qwen2.5:7b") == ("ollama", "qwen2.5:7b")


@pytest.fixture
def no_ollama_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


async def test_auto_with_no_server_reports_each_engine_and_embeds(no_ollama_installed) -> None:
    selection = await select_backend(Settings())
    assert selection.backend == "llamacpp"
    vllm, ollama, chosen = selection.lines
    assert vllm.startswith("skipped vLLM: nothing answers at") and named_settings(vllm) == [("start_server", None)]
    assert ollama == "skipped Ollama: not installed (https://ollama.com/download)"
    assert chosen == "backend: embedded llama.cpp"


async def test_auto_takes_a_server_that_answers_on_the_vllm_url(openai_server: str) -> None:
    selection = await select_backend(Settings(vllm_url=openai_server))
    assert (selection.backend, selection.vllm_up) == ("vllm", True)
    assert selection.lines == [f"backend: vLLM at {openai_server} (answers)"]


async def test_auto_passes_over_a_server_that_serves_another_model(openai_server: str, no_ollama_installed) -> None:
    selection = await select_backend(Settings(vllm_url=openai_server, model="Qwen/Qwen2.5-7B-Instruct-AWQ"))
    assert selection.backend == "llamacpp"
    assert selection.lines[0].startswith(f"skipped vLLM: {openai_server} serves ")
    assert selection.lines[0].endswith("not Qwen/Qwen2.5-7B-Instruct-AWQ")


async def test_auto_takes_ollama_when_it_has_the_model(ollama_server) -> None:
    ollama_server.reset()
    selection = await select_backend(Settings(ollama_url=ollama_server.url))
    assert (selection.backend, selection.model, selection.ollama_up) == ("ollama", None, True)
    assert selection.lines[-1] == f"backend: Ollama at {ollama_server.url} (qwen2.5:7b)"

    missing = await select_backend(Settings(ollama_url=ollama_server.url, model="mistral:7b"))
    assert missing.backend == "llamacpp"
    assert "skipped Ollama: it has no mistral:7b (ollama pull mistral:7b, or pull)" in map(plain, missing.lines)
    allowed = await select_backend(Settings(ollama_url=ollama_server.url, model="mistral:7b", pull=True))
    assert allowed.backend == "ollama"


async def test_start_server_makes_an_installed_engine_eligible(tmp_path: Path, no_ollama_installed) -> None:
    fake_vllm = tmp_path / "vllm"
    fake_vllm.write_text("#!/bin/sh\nexit 1\n")
    fake_vllm.chmod(0o755)
    selection = await select_backend(Settings(start_server=True, vllm_command=str(fake_vllm)))
    assert (selection.backend, selection.vllm_up) == ("vllm", False)
    assert selection.lines[0].endswith("(will be started)")
    not_installed = await select_backend(Settings(start_server=True, vllm_command=None))
    if not_installed.backend != "vllm":  # a vllm beside this Python would make it eligible
        assert not_installed.lines[0] == "skipped vLLM: not installed (scripts/vllm_setup.sh installs it)"


async def test_an_installed_ollama_that_is_not_running_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ollama").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "ollama").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    selection = await select_backend(Settings())
    assert any(line.startswith("skipped Ollama: not running at") and "ollama serve" in line for line in selection.lines)


async def test_a_prefix_picks_the_engine_without_probing() -> None:
    selection = await select_backend(Settings(model="ollama:qwen2.5:7b"))
    assert (selection.backend, selection.model, selection.lines) == ("ollama", "qwen2.5:7b", [])


async def test_open_engine_checks_the_ollama_model_and_pulls_only_when_allowed(ollama_server) -> None:
    ollama_server.reset()
    statuses: list[str] = []
    settings = Settings(backend="ollama", ollama_url=ollama_server.url, model="smollm2:135m")
    with pytest.raises(ModelNotFound) as info:
        async with open_engine(settings, statuses.append):
            pass
    assert "ollama pull smollm2:135m" in info.value.hint
    progress = []
    async with open_engine(settings.model_copy(update={"pull": True}), statuses.append, progress.append) as resolved:
        assert (resolved.backend, resolved.model) == ("ollama", "smollm2:135m")
    assert progress[-1].status == "success"
    assert any(p.total and p.completed == p.total for p in progress), "a layer's progress reached its total"


def test_tls_is_verified_for_https_only() -> None:
    from a2ia.http_tls import verify_for

    assert verify_for("http://127.0.0.1:8000/v1") is False and verify_for("HTTP://gpu-box:11434") is False
    assert verify_for("https://api.example.com/v1") is True and verify_for("gpu-box:11434") is True


def test_each_backend_is_declared_once_and_what_it_names_loads() -> None:
    """``a2ia.backends`` is the one table: settings, ``--backend``, prefixes and hooks come from it."""
    from a2ia.backends import BACKEND_CHOICES, BACKENDS
    from a2ia.cli.main import cli

    assert BACKEND_CHOICES == ("auto", "vllm", "ollama", "llamacpp", "openai", "scripted")
    assert typing.get_args(Settings.model_fields["backend"].annotation) == BACKEND_CHOICES
    (backend_option,) = [p for p in cli.params if p.name == "backend"]
    assert tuple(backend_option.type.choices) == BACKEND_CHOICES
    assert {prefix: backend_for("auto", f"{prefix}:m")[0] for prefix in ("vllm", "ollama", "gguf", "llamacpp", "openai")} == {
        "vllm": "vllm", "ollama": "ollama", "gguf": "llamacpp", "llamacpp": "llamacpp", "openai": "openai",
    }
    for kind in BACKENDS.values():
        assert callable(kind.load(kind.client)), kind.id
        assert kind.start is None or callable(kind.load(kind.start)), kind.id
    assert [k.id for k in BACKENDS.values() if k.start] == ["vllm", "ollama"], "only the engines a2ia can start"
