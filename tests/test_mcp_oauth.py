"""OAuth 2.1 sign-in to a remote MCP server, against a real local authorization server the test
starts (``mcp_servers/oauth_server.py``, built with the ``mcp`` SDK's auth: metadata, dynamic
registration, PKCE, refresh). The browser is ``fake_browser.py`` (``BROWSER``), which follows
the authorization server's redirect back to a2ia's callback on 127.0.0.1, as a person who
approves would. The CLI runs as a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.tools.mcp_config import HttpServer
from a2ia.tools.oauth import token_file
from a2ia.tools.registry import ToolRegistry
from a2ia.types import ToolCall

from servers import free_port, server_process

pytestmark = pytest.mark.anyio
HERE = Path(__file__).parent
BROWSER = f"{sys.executable} {HERE / 'fake_browser.py'} %s"


def start(tmp_path: Path, mode: str):
    port = free_port()
    argv = [sys.executable, str(HERE / "mcp_servers" / "oauth_server.py"), str(port), mode]
    ready = f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server"
    return port, server_process(argv, ready_url=ready, log=tmp_path / f"oauth-{mode}.log", timeout_s=60)


@pytest.fixture
def secure(tmp_path: Path):
    port, process = start(tmp_path, "ok")
    with process:
        yield f"http://127.0.0.1:{port}/mcp"


def a2ia(tmp_path: Path, url: str, *args: str, script: list | None = None) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"secure": {"url": url}, "local": {"command": "true"}}}))
    env = {**os.environ, "BROWSER": BROWSER, "A2IA_SCRIPT": json.dumps(script or [])}
    return subprocess.run([sys.executable, "-m", "a2ia.cli", *args, "--mcp-config", str(config)],
                          capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL, cwd=tmp_path)


def kept_access_token(url: str) -> str:
    data = json.loads(token_file("secure", url).path.read_text())
    return data["tokens"]["access_token"]


def test_sign_in_use_refresh_and_sign_out(secure: str, tmp_path: Path) -> None:
    before = a2ia(tmp_path, secure, "mcp", "list")
    assert before.returncode == 1
    assert "the MCP server 'secure' needs you to sign in; run a2ia-cli mcp auth secure" in before.stdout

    signed = a2ia(tmp_path, secure, "--debug", "mcp", "auth", "secure")
    assert signed.returncode == 0, signed.stderr
    assert "open this page to sign in" in signed.stderr and "code_challenge_method=S256" in signed.stderr, "PKCE"
    assert signed.stdout.startswith("signed in to secure: 2 tool(s)")
    kept = token_file("secure", secure).path
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    token = kept_access_token(secure)
    assert token not in signed.stdout + signed.stderr, "never in the output, not even with --debug"

    listed = a2ia(tmp_path, secure, "--debug", "mcp", "list")
    assert "✓ secure [http] connected" in listed.stdout and "    - secret_note" in listed.stdout
    turn = a2ia(tmp_path, secure, "--debug", "--backend", "scripted", "--yes", "-p", "read the note",
                script=[{"tool": "secret_note", "arguments": {}}, "done"])
    assert turn.returncode == 0, turn.stderr
    assert "⚙ secret_note [secure] {}" in turn.stderr and "  ✓ 1 line" in turn.stderr, "called with the kept sign-in"
    sessions = list((Path(os.environ["A2IA_DATA_DIR"]) / "sessions").glob("*.jsonl"))
    assert sessions and all(token not in p.read_text() for p in sessions), "never in a session file"
    assert token not in listed.stdout + listed.stderr + turn.stdout + turn.stderr

    out = a2ia(tmp_path, secure, "mcp", "logout", "secure")
    assert out.returncode == 0 and out.stdout.strip() == "signed out of secure" and not kept.exists()
    again = a2ia(tmp_path, secure, "mcp", "logout", "secure")
    assert again.stdout.strip() == "no sign-in is kept for secure"
    wrong = a2ia(tmp_path, secure, "mcp", "auth", "local")
    assert wrong.returncode == 2 and "'local' is not a remote (HTTP) server" in wrong.stderr and "secure" in wrong.stderr


async def test_an_expired_token_is_refreshed(secure: str, tmp_path: Path) -> None:
    """The server stops taking the access token (``rotate``) and its time is up (the file says so,
    as it would an hour later): the next connection uses the refresh token, with no one asked."""
    signed = a2ia(tmp_path, secure, "mcp", "auth", "secure")
    assert signed.returncode == 0, signed.stderr
    first = kept_access_token(secure)
    async with ToolRegistry(log_dir=tmp_path) as registry:
        await registry.add_server("secure", HttpServer(url=secure))
        assert (await registry.call(ToolCall(id="r", name="rotate", arguments={}))).content == "rotated"
    token_file("secure", secure).expire()
    async with ToolRegistry(log_dir=tmp_path) as registry:
        status = await registry.add_server("secure", HttpServer(url=secure))
        assert status.state == "connected", status.error
        note = await registry.call(ToolCall(id="n", name="secret_note", arguments={}))
        assert note.content == "the vault code is 1234" and not note.is_error
    assert kept_access_token(secure) not in ("", first), "the new tokens are kept"


@pytest.mark.parametrize(("mode", "said"), [
    ("bad-state", "the answer that came back is not to a2ia's request (its state does not match); nothing was kept"),
    ("elsewhere", "no answer came back to http://127.0.0.1:"),
])
def test_a_sign_in_answered_wrong_grants_nothing(tmp_path: Path, mode: str, said: str) -> None:
    port, process = start(tmp_path, mode)
    url = f"http://127.0.0.1:{port}/mcp"
    with process:
        result = a2ia(tmp_path, url, "mcp", "auth", "secure", "--wait", "3")
        assert result.returncode == 1
        assert said in result.stderr and "Traceback" not in result.stderr
        assert not token_file("secure", url).path.exists(), "nothing kept"
        listed = a2ia(tmp_path, url, "mcp", "list")
        assert "needs you to sign in" in listed.stdout
