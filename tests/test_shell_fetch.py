"""run_shell and fetch_url, for real: processes, process groups, a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import anyio
import httpx
import pytest
from polling import until

from a2ia.tools.fetch import fetch_url, html_to_text
from a2ia.tools.files import ToolFailure
from a2ia.tools.shell import MAX_OUTPUT_CHARS, run_shell
from a2ia.tools.workspace import Workspace

pytestmark = pytest.mark.anyio


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that is not us counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_runs_in_the_workspace_with_agent_set(workspace: Path) -> None:
    out = await run_shell(Workspace(workspace), "pwd; echo $AGENT; ls")
    lines = out.splitlines()
    assert lines[0] == str(workspace.resolve()) and lines[1] == "a2ia" and "README.md" in lines


async def test_non_zero_exit_is_a_failure_with_the_output(workspace: Path) -> None:
    with pytest.raises(ToolFailure, match="exit code 3") as info:
        await run_shell(Workspace(workspace), "echo oops >&2; exit 3")
    assert "oops" in str(info.value)


async def test_timeout_kills_the_whole_process_group(workspace: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    with pytest.raises(ToolFailure, match="timed out after 1 s"), anyio.fail_after(30):  # a hang guard
        await run_shell(Workspace(workspace), f"sleep 300 & echo $! > {pidfile}; wait", timeout_s=1)
    child = int(pidfile.read_text())
    await until(lambda: not alive(child), "the background child of the command to be killed too")


async def test_cancellation_kills_the_group(workspace: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    with anyio.move_on_after(1.5):
        await run_shell(Workspace(workspace), f"sleep 300 & echo $! > {pidfile}; wait", timeout_s=100)
    child = int(pidfile.read_text())
    await until(lambda: not alive(child), "the command's group to be killed")


async def test_a_flood_of_output_is_capped_head_and_tail(workspace: Path) -> None:
    out = await run_shell(Workspace(workspace), "echo FIRST; head -c 10000000 /dev/zero | tr '\\0' 'x'; echo; echo LAST")
    assert out.startswith("FIRST") and out.rstrip().endswith("LAST")
    assert len(out) < MAX_OUTPUT_CHARS + 200 and "characters of output cut" in out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("site")
    (root / "page.html").write_text(
        "<html><head><title>T</title><style>p{}</style></head><body><h1>Hello</h1><script>alert(1)</script>"
        "<p>First &amp; second.</p><ul><li>one</li><li>two</li></ul></body></html>"
    )
    (root / "data.json").write_text('{"a": 1}')
    (root / "image.png").write_bytes(b"\x89PNG" + b"\x00" * 100)
    (root / "big.txt").write_text("y" * 100_000)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_fetch_pages_json_and_refusals(site: str) -> None:
    async with httpx.AsyncClient() as client:
        page = await fetch_url(f"{site}/page.html", client=client)
        assert "Hello" in page and "First & second." in page and "one" in page
        assert "alert" not in page and "p{}" not in page
        assert await fetch_url(f"{site}/data.json", client=client) == '{"a": 1}'
        with pytest.raises(ToolFailure, match="image/png, not text"):
            await fetch_url(f"{site}/image.png", client=client)
        with pytest.raises(ToolFailure, match="HTTP 404"):
            await fetch_url(f"{site}/missing", client=client)
        big = await fetch_url(f"{site}/big.txt", client=client, max_chars=1000)
        assert len(big) < 1100 and big.endswith("(truncated at 1000 characters)")
        with pytest.raises(ToolFailure, match="only http"):
            await fetch_url("file:///etc/passwd", client=client)
        with pytest.raises(ToolFailure, match="cannot fetch"):
            await fetch_url("http://127.0.0.1:9/", client=client)


def test_html_to_text_keeps_blocks_apart() -> None:
    assert html_to_text("<p>a</p><p>b</p>") == "a\n\nb"
