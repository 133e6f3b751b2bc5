"""OllamaServer: probe, start, reuse and stop the daemon; check and pull models.

No Ollama daemon can run here. Its documented ``/api/tags`` and ``/api/pull`` formats are
replayed over real HTTP (``ollama_replay.py``, ``fixtures/ollama/``), and a small executable
named ``ollama`` written into ``tmp_path`` stands in for the real daemon: on ``ollama serve``
it reads ``OLLAMA_HOST`` and serves the replay there in the foreground (with a child of its
own, as the daemon has model runners), so starting and stopping a real child process is tested.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from a2ia.backends import DEFAULT_OLLAMA_URL, ollama_host
from a2ia.engines.ollama_server import OllamaServer, PullProgress
from a2ia.errors import BackendUnavailable, ConfigError, ModelNotFound
from a2ia.hints import named_settings

from servers import free_port, group_alive

pytestmark = pytest.mark.anyio
TESTS = Path(__file__).parent

FAKE_SERVE = f"""
import os, signal, subprocess, sys
sys.path.insert(0, {str(TESTS)!r})
from ollama_replay import serve
assert sys.argv[1:] == ["serve"], sys.argv
runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # like a model runner

def shut_down(*_):
    runner.wait()  # the group's SIGTERM reached the runner too; reap it, as the daemon does
    sys.exit(0)

signal.signal(signal.SIGTERM, shut_down)
serve(os.environ["OLLAMA_HOST"])
"""
FAKE_FAIL = """
import os, sys
print(f"Error: listen tcp {os.environ['OLLAMA_HOST']}: bind: address already in use", file=sys.stderr)
sys.exit(1)
"""


def fake_ollama(folder: Path, body: str) -> Path:
    """An executable ``ollama`` (a Python script) standing in for the real one."""
    path = folder / "ollama"
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return path


def test_host_from_url_env_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert ollama_host(None) == DEFAULT_OLLAMA_URL == "http://127.0.0.1:11434"
    assert ollama_host("http://gpu-box:8080/") == "http://gpu-box:8080"
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11434")
    assert ollama_host(None) == "http://0.0.0.0:11434"
    assert ollama_host("http://10.0.0.2:11434") == "http://10.0.0.2:11434", "the flag wins over the environment"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box")
    assert OllamaServer().host == "http://gpu-box:11434"
    assert (ollama_host(":5000"), ollama_host("https://h"), ollama_host("::1")) == (
        "http://127.0.0.1:5000", "https://h:443", "http://[::1]:11434")
    with pytest.raises(ConfigError):
        ollama_host("host:port")


async def test_models_lists_tags_and_is_none_on_a_dead_port(replay) -> None:
    assert await OllamaServer(replay.url).models() == ["qwen2.5:7b", "llama3.2:latest"]
    assert await OllamaServer(f"http://127.0.0.1:{free_port()}").models() is None


async def test_has_model_follows_ollama_naming(replay) -> None:
    server = OllamaServer(replay.url)
    assert await server.has_model("llama3.2") and await server.has_model("llama3.2:latest")
    assert await server.has_model("qwen2.5:7b")
    assert not await server.has_model("qwen2.5"), "qwen2.5 means qwen2.5:latest, which is not there"
    assert not await server.has_model("qwen2.5:7b-instruct") and not await server.has_model("llama3.2:1b")
    with pytest.raises(BackendUnavailable, match="cannot reach Ollama"):
        await OllamaServer(f"http://127.0.0.1:{free_port()}").has_model("qwen2.5:7b")


async def test_missing_model_without_pull_names_the_command(replay) -> None:
    with pytest.raises(ModelNotFound) as info:
        await OllamaServer(replay.url).ensure_model("smollm2:135m", allow_pull=False)
    assert "ollama pull smollm2:135m" in info.value.hint and named_settings(info.value.hint) == [("pull", None)]
    assert not [path for path, _ in replay.requests if path == "/api/pull"], "nothing is pulled unless allowed"
    await OllamaServer(replay.url).ensure_model("qwen2.5:7b", allow_pull=False)  # present: no error


async def test_pull_reports_progress_and_the_model_is_then_listed(replay) -> None:
    server = OllamaServer(replay.url)
    seen: list[PullProgress] = []
    await server.ensure_model("smollm2:135m", allow_pull=True, on_progress=seen.append)
    (body,) = [body for path, body in replay.requests if path == "/api/pull"]
    assert (body["model"], body["stream"]) == ("smollm2:135m", True)
    assert seen[0] == PullProgress("pulling manifest", None, None) and seen[-1].status == "success"
    layer = [p for p in seen if p.status == "pulling dde5aa3fc5ff"]
    assert layer[0].completed is None, "a layer's first line has no completed count (omitempty)"
    done = [p.completed for p in layer[1:]]
    assert done == sorted(set(done)) and len(done) == 5 and done[-1] == layer[-1].total == 1929912432
    assert await server.has_model("smollm2:135m")
    await server.ensure_model("smollm2:135m", allow_pull=False)


async def test_pull_of_an_unknown_model_says_so(replay) -> None:
    seen: list[PullProgress] = []
    with pytest.raises(ModelNotFound, match="registry has no model 'qwen9:1b': pull model manifest: file does not exist"):
        await OllamaServer(replay.url).pull("qwen9:1b", on_progress=seen.append)
    assert [p.status for p in seen] == ["pulling manifest"]
    assert not await OllamaServer(replay.url).has_model("qwen9:1b")


async def test_a_pull_cut_mid_stream_is_backend_unavailable(replay) -> None:
    replay.pull = "pull_cut_mid_stream.json"
    seen: list[PullProgress] = []
    with pytest.raises(BackendUnavailable, match="connection to Ollama .* was lost while pulling"):
        await OllamaServer(replay.url).pull("qwen2.5:7b", on_progress=seen.append)
    assert seen and seen[-1].status == "pulling dde5aa3fc5ff"


async def test_starts_ollama_serve_when_not_running_and_stops_its_whole_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_ollama(tmp_path, FAKE_SERVE)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    url = f"http://127.0.0.1:{free_port()}"
    statuses: list[str] = []
    server = OllamaServer(url, log_path=tmp_path / "logs" / "ollama.log")
    await server.ensure_running(on_status=statuses.append)
    pgid = server.process.pid
    try:
        assert server.started and server.process.poll() is None
        assert os.getpgid(pgid) == pgid != os.getpgid(0), "the child leads a process group of its own"
        assert await OllamaServer(url).models() == ["qwen2.5:7b", "llama3.2:latest"]
        assert "starting `ollama serve`" in statuses[0] and statuses[-1] == f"Ollama is up at {url}"
        assert "Listening on 127.0.0.1:" in (tmp_path / "logs" / "ollama.log").read_text()
    finally:
        await server.stop(grace_s=5)
    assert not group_alive(pgid), "no process of the daemon's group is left"
    assert server.process is None and await server.models() is None
    await server.stop()  # idempotent


async def test_a_running_daemon_is_reused_and_left_alone(replay, tmp_path: Path) -> None:
    never_run = fake_ollama(tmp_path, FAKE_FAIL)
    async with OllamaServer(replay.url, executable=str(never_run), log_path=tmp_path / "o.log") as server:
        assert not server.started and server.process is None
    assert await OllamaServer(replay.url).models() is not None, "stop() left the daemon it did not start"
    assert not (tmp_path / "o.log").exists()


async def test_an_early_exit_shows_the_log_tail(tmp_path: Path) -> None:
    fake = fake_ollama(tmp_path, FAKE_FAIL)
    port = free_port()
    server = OllamaServer(f"http://127.0.0.1:{port}", executable=str(fake), log_path=tmp_path / "ollama.log")
    with pytest.raises(BackendUnavailable, match=r"exited during startup \(exit code 1\)") as info:
        await server.ensure_running()
    assert f"Error: listen tcp 127.0.0.1:{port}: bind: address already in use" in info.value.hint
    assert server.process is None


async def test_not_installed_says_how_to_install(tmp_path: Path) -> None:
    server = OllamaServer(f"http://127.0.0.1:{free_port()}", executable=str(tmp_path / "no-ollama"))
    with pytest.raises(BackendUnavailable, match="not running .* and is not installed") as info:
        await server.ensure_running()
    assert info.value.hint == "install Ollama from https://ollama.com/download, or start it with: ollama serve"
    assert not server.started


async def test_a_remote_daemon_is_never_started_here(tmp_path: Path) -> None:
    fake = fake_ollama(tmp_path, FAKE_SERVE)
    server = OllamaServer("http://192.0.2.1:11434", executable=str(fake), probe_timeout_s=0.2)
    with pytest.raises(BackendUnavailable, match="cannot reach Ollama at http://192.0.2.1:11434") as info:
        await server.ensure_running()
    assert "not on this machine" in info.value.hint and not server.started
