"""The mcpServers configuration: shapes, interpolation, tool filters, file precedence, bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.errors import ConfigError
from a2ia.tools.mcp_config import BrokenServer, HttpServer, StdioServer, load_servers, parse_server, read_config_file

FLAKY = str(Path(__file__).parent / "mcp_servers" / "flaky_server.py")


def write(path: Path, servers: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def test_stdio_and_http_shapes_with_interpolation() -> None:
    env = {"HOME": "/home/ana", "TOKEN": "s3cret"}
    stdio = parse_server("fs", {"command": "npx", "args": ["-y", "server", "${HOME}/docs"], "env": {"LEVEL": "${LEVEL:-info}"}, "cwd": "${HOME}"}, "f", env)
    assert isinstance(stdio, StdioServer)
    assert stdio.args == ("-y", "server", "/home/ana/docs") and stdio.env == {"LEVEL": "info"} and stdio.cwd == "/home/ana"
    http = parse_server("web", {"url": "https://x/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}, "includeTools": ["a"], "excludeTools": ["b"]}, "f", env)
    assert isinstance(http, HttpServer) and http.headers == {"Authorization": "Bearer s3cret"}
    assert http.offers("a") and not http.offers("b") and not http.offers("c")


def test_problems_are_per_server_not_fatal() -> None:
    missing = parse_server("x", {"command": "run", "env": {"K": "${NOPE}"}}, "cfg.json", {})
    assert isinstance(missing, BrokenServer) and "NOPE" in missing.error and "cfg.json" in missing.error
    neither = parse_server("y", {"args": []}, "cfg.json", {})
    assert isinstance(neither, BrokenServer) and "either" in neither.error
    wrong = parse_server("z", {"command": 5}, "cfg.json", {})
    assert isinstance(wrong, BrokenServer) and "command" in wrong.error
    assert isinstance(parse_server("w", "not an object", "cfg.json", {}), BrokenServer)


def test_bad_files_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_config_file(bad, {})
    bad.write_text('{"servers": {}}')
    with pytest.raises(ConfigError, match='no "mcpServers" object'):
        read_config_file(bad, {})
    with pytest.raises(ConfigError, match="no file at"):
        load_servers(tmp_path, tmp_path / "missing.json")


def test_project_overrides_user_and_the_flag_overrides_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2IA_CONFIG_DIR", str(tmp_path / "user"))
    workspace = tmp_path / "project"
    write(tmp_path / "user" / "mcp.json", {"a": {"command": "user-a"}, "b": {"command": "user-b"}, "off": {"command": "x", "disabled": True}})
    write(workspace / ".a2ia" / "mcp.json", {"b": {"command": "project-b"}, "c": {"url": "http://c/mcp"}})
    extra = write(tmp_path / "extra.json", {"c": {"command": "flag-c"}})
    servers = load_servers(workspace, extra, include_project=True)  # a trusted folder
    assert {n: getattr(s, "command", None) for n, s in servers.items()} == {"a": "user-a", "b": "project-b", "c": "flag-c"}


def test_cli_mcp_list_and_a_configured_server_in_a_turn(tmp_path: Path, workspace: Path) -> None:
    config = write(tmp_path / "mcp.json", {
        "flaky": {"command": sys.executable, "args": [FLAKY], "env": {"CONFIGURED": "${WHO:-a2ia}"}},
        "nope": {"command": "/nonexistent/server"},
    })
    env = {**dict(os.environ), "A2IA_CONFIG_DIR": str(tmp_path / "none")}
    listing = subprocess.run([sys.executable, "-m", "a2ia.cli", "-C", str(workspace), "--mcp-config", str(config), "mcp", "list"],
                             capture_output=True, env=env, timeout=120)
    out = listing.stdout.decode()
    assert listing.returncode == 1, "a failed server makes the listing exit 1"
    assert "✓ flaky [stdio] connected" in out and "- secret_env" in out and "✓ a2ia [builtin] connected" in out
    assert "✗ nope [stdio] failed" in out and "command not found: /nonexistent/server" in out
    script = json.dumps([{"tool": "secret_env"}, "done"])
    turn = subprocess.run([sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), "--mcp-config", str(config),
                           "--yes", "-p", "x"], capture_output=True, env={**env, "A2IA_SCRIPT": script}, timeout=120, stdin=subprocess.DEVNULL)
    err = turn.stderr.decode()
    assert turn.returncode == 0, err
    assert "MCP server 'nope' is not available" in err and "⚙ secret_env [flaky]" in err


# --- found by the fuzz suite (tests/fuzz/test_fuzz_config.py); each pins the input it found ----------


@pytest.mark.parametrize(
    "data",
    [
        b"1" * 4301,  # was ValueError: integer over Python's 4,300-digit limit (not a JSONDecodeError)
        b"[" * 1991 + b"]" * 1991,  # was RecursionError
        '{"mcpServers": {}}'.encode("utf-16"),
    ],
)
def test_files_json_cannot_read_are_config_errors_naming_the_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "mcp.json"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match="not valid JSON") as caught:
        read_config_file(path, {})
    assert str(path) in str(caught.value)


def test_a_server_nested_too_deeply_is_broken_not_fatal() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    broken = parse_server("deep", {"command": "run", "args": deep}, "cfg.json", {})
    assert isinstance(broken, BrokenServer) and "cfg.json" in broken.error
