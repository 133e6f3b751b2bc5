"""Model resolution and the download path, up to the network boundary.

Downloads run against ``httpx.MockTransport`` and against a real HTTP server on 127.0.0.1
(there is no model hub to reach from here); the code path is the one a user's download takes.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from a2ia.engines import models
from a2ia.engines.models import RECOMMENDED, bundled_smollm2, check_gguf, download_model, resolve_model
from a2ia.errors import A2iaError, ConfigError, ModelNotFound
from a2ia.hints import named_settings

FAKE_GGUF = b"GGUF" + bytes(range(256)) * 40


def test_explicit_path_wins(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(FAKE_GGUF)
    assert resolve_model(str(model)) == model


def test_explicit_path_problems(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no model file at"):
        resolve_model(str(tmp_path / "missing.gguf"))
    with pytest.raises(ConfigError, match="is not a file"):
        resolve_model(str(tmp_path))
    (tmp_path / "page.gguf").write_text("<html>")
    with pytest.raises(ConfigError, match="not a GGUF model file"):
        resolve_model(str(tmp_path / "page.gguf"))


def test_downloaded_recommended_model_beats_the_bundled_one(tmp_path: Path) -> None:
    downloaded = models.models_dir() / RECOMMENDED.filename
    downloaded.parent.mkdir(parents=True)
    downloaded.write_bytes(FAKE_GGUF)
    assert resolve_model(None) == downloaded


def test_bundled_smollm2_is_the_fallback(smollm2: Path) -> None:
    assert resolve_model(None) == smollm2 == bundled_smollm2()
    assert smollm2.name.endswith(".gguf") and check_gguf(smollm2)


def test_no_model_at_all_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "bundled_smollm2", lambda: None)
    with pytest.raises(ModelNotFound) as info:
        resolve_model(None)
    assert "a2ia-cli pull-model" in info.value.hint and ("model", "/path/to/model.gguf") in named_settings(info.value.hint)


@pytest.mark.anyio
async def test_download_streams_to_file_with_progress(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/m.gguf"
        return httpx.Response(200, content=FAKE_GGUF, headers={"content-length": str(len(FAKE_GGUF))})

    seen: list[tuple[int, int | None]] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        dest = await download_model(
            "https://models.example/m.gguf", tmp_path / "m.gguf", client=client,
            on_progress=lambda done, total: seen.append((done, total)), chunk_bytes=1000,
        )
    assert dest.read_bytes() == FAKE_GGUF
    assert seen[-1] == (len(FAKE_GGUF), len(FAKE_GGUF))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not (tmp_path / "m.gguf.part").exists()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404, text="not found"), "HTTP 404"),
        (httpx.Response(200, content=b"<html>login</html>"), "not a GGUF model file"),
        (httpx.Response(200, content=FAKE_GGUF[:100], headers={"content-length": "5000"}), "ended early"),
    ],
)
async def test_failed_download_leaves_nothing(tmp_path: Path, response: httpx.Response, message: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _r: response)) as client:
        with pytest.raises(A2iaError, match=message):
            await download_model("https://models.example/m.gguf", tmp_path / "m.gguf", client=client)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_no_network_is_a_clear_error(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(A2iaError) as info:
            await download_model("https://models.example/m.gguf", tmp_path / "m.gguf", client=client)
    assert "cannot download" in info.value.message and "internet connection" in info.value.hint


def test_pull_model_command_downloads_from_a_real_http_server(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / RECOMMENDED.filename).write_bytes(FAKE_GGUF)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cache = tmp_path / "cache"
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{RECOMMENDED.filename}"
        env = {**os.environ, "A2IA_MODELS_DIR": str(cache)}
        result = subprocess.run(
            [sys.executable, "-m", "a2ia.cli", "pull-model", "--url", url],
            capture_output=True, env=env, timeout=60,
        )
        missing = subprocess.run(
            [sys.executable, "-m", "a2ia.cli", "pull-model", "--url", url.replace(RECOMMENDED.filename, "nope.gguf")],
            capture_output=True, env=env, timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr.decode()
    assert (cache / RECOMMENDED.filename).read_bytes() == FAKE_GGUF
    assert "uses it by default now" in result.stdout.decode()
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr.decode()
    assert sorted(p.name for p in cache.iterdir()) == [RECOMMENDED.filename]
