"""VLLMServer's lifecycle against a real vLLM (the CPU build, ``scripts/vllm-cpu/``).

The GPU profiles cannot run here; the tests start the CPU server through its ``serve.sh``
(flags chosen for the CPU) and a real failing ``vllm serve`` for the early-exit path.
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import httpx
import pytest

from a2ia.client.vllm import VLLMClient
from a2ia.engines.vllm_server import VLLMServer, likely_cause, phase_of
from a2ia.errors import BackendUnavailable
from a2ia.types import ChatOptions, Message

from servers import VLLM_HINT, free_port, group_alive

pytestmark = pytest.mark.anyio


def test_causes_and_phases_from_real_log_lines() -> None:
    assert "out of GPU memory" in likely_cause("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB")
    assert "unknown model" in likely_cause("huggingface_hub.errors.HFValidationError: Repo id must be in the form")
    assert "no usable CUDA" in likely_cause("RuntimeError: Found no NVIDIA driver on your system.")
    assert "port is taken" in likely_cause("OSError: [Errno 98] Address already in use")
    assert likely_cause("INFO all good") is None
    log = "INFO Loading model weights took 0.5 GB\nINFO Capturing CUDA graph shapes: 10%\n"
    assert phase_of(log) == "capturing CUDA graphs" and phase_of("") is None


def cpu_build() -> Path:
    root = os.environ.get("VLLM_CPU_DIR")
    if not root or not (Path(root) / "serve.sh").exists():
        pytest.skip(VLLM_HINT)
    return Path(root)


async def test_start_reuse_serve_and_stop_leaving_nothing(tmp_path: Path) -> None:
    root = cpu_build()
    port = free_port()
    phases: list[str] = []
    server = VLLMServer([str(root / "serve.sh"), str(port)], port=port, log_path=tmp_path / "vllm.log", startup_timeout_s=600)
    url = await server.start(on_phase=phases.append)
    pgid = server.process.pid
    try:
        assert url == f"http://127.0.0.1:{port}/v1" and not server.reused
        assert "API server up" in phases or "starting the API server" in phases, phases
        async with VLLMClient(url) as client:
            reply = await client.chat([Message.user("Say hi.")], options=ChatOptions(max_tokens=4, temperature=0))
        assert reply.content.strip(), "the started server answers"
        second = VLLMServer(["/bin/false"], port=port, log_path=tmp_path / "second.log")
        assert await second.start() == url and second.reused and second.process is None
        await second.stop()  # stops nothing it did not start
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        await server.stop()
    assert not group_alive(pgid), "no process of the server's group is left"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health")


async def test_an_unknown_model_exits_early_with_the_cause_and_the_log(tmp_path: Path) -> None:
    root = cpu_build()
    port = free_port()
    argv = [str(root / "venv" / "bin" / "vllm"), "serve", str(tmp_path / "no-such-model"), "--port", str(port)]
    server = VLLMServer(argv, port=port, log_path=tmp_path / "bad.log", env={"HF_HUB_OFFLINE": "1"}, startup_timeout_s=300)
    with pytest.raises(BackendUnavailable) as info:
        await server.start()
    assert "exited during startup" in info.value.message
    assert "unknown model" in info.value.message, info.value.hint
    assert "bad.log" in info.value.hint


async def test_a_missing_executable_is_clear(tmp_path: Path) -> None:
    server = VLLMServer(["/nonexistent/vllm", "serve"], port=free_port(), log_path=tmp_path / "x.log")
    with pytest.raises(BackendUnavailable, match="cannot start vLLM"):
        await server.start()


async def test_a_taken_port_is_a_real_early_exit_with_its_cause(tmp_path: Path) -> None:
    """The real ``vllm serve`` on a port something else holds (a socket that never answers HTTP,
    so it is not mistaken for a server to reuse): vLLM binds, fails, exits; a2ia says why."""
    root = cpu_build()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = VLLMServer([str(root / "serve.sh"), str(port)], port=port, log_path=tmp_path / "p.log", startup_timeout_s=300)
        with pytest.raises(BackendUnavailable) as info:
            await server.start()
    assert not server.reused
    assert info.value.message == "vLLM exited during startup: the port is taken: another server listens there"
    assert "Address already in use" in info.value.hint


async def test_cancelling_a_start_leaves_no_process_behind(tmp_path: Path) -> None:
    """Ctrl-C while the server loads: the child and its own children are all stopped."""
    script = "sleep 300 & echo 'INFO Loading model weights'; sleep 300"
    server = VLLMServer(["/bin/sh", "-c", script], port=free_port(), log_path=tmp_path / "c.log", startup_timeout_s=300)
    phases: list[str] = []
    task = asyncio.ensure_future(server.start(on_phase=phases.append))
    for _ in range(100):
        await asyncio.sleep(0.1)
        if phases:
            break
    pgid = server.process.pid
    assert phases == ["loading weights"] and group_alive(pgid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert server.process is None and not group_alive(pgid)


async def test_an_exit_after_children_were_spawned_reaps_the_group(tmp_path: Path) -> None:
    """The leader dies early but a worker it forked lives on: stop() still clears the group."""
    server = VLLMServer(["/bin/sh", "-c", "echo PGID=$$; sleep 300 & echo 'CUDA out of memory'; exit 1"], port=free_port(),
                        log_path=tmp_path / "e.log")
    with pytest.raises(BackendUnavailable, match="out of GPU memory"):
        await server.start()
    pgid = int((tmp_path / "e.log").read_text().split("PGID=")[1].split()[0])
    assert server.process is None and not group_alive(pgid)
