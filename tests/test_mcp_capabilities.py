"""The client capabilities a2ia declares at initialize are the ones it handles, seen from a real
server: ``@modelcontextprotocol/server-everything`` registers ``get-roots-list``,
``trigger-sampling-request``, ``trigger-elicitation-request`` and ``trigger-url-elicitation``
only for a client that declares roots, sampling, form and URL elicitation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from servers import EVERYTHING, installed

BY_CAPABILITY = {"get-roots-list", "trigger-sampling-request", "trigger-elicitation-request", "trigger-url-elicitation"}


def run(workspace: Path, tmp_path: Path, *args: str, stdin: bytes = b"") -> str:
    installed(EVERYTHING)
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"everything": {"command": str(EVERYTHING), "args": ["stdio"]}}}))
    result = subprocess.run([sys.executable, "-m", "a2ia.cli", *args, "--mcp-config", str(config), "-C", str(workspace)],
                            input=stdin, capture_output=True, timeout=120, env={**os.environ, "A2IA_SCRIPT": "[]"})
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode() + result.stderr.decode()


def offered(text: str) -> set[str]:
    return {name for name in BY_CAPABILITY if name in text}


def test_a_session_declares_roots_sampling_and_elicitation(workspace: Path, tmp_path: Path) -> None:
    assert offered(run(workspace, tmp_path, "--backend", "scripted", stdin=b"/tools\n")) == BY_CAPABILITY


def test_mcp_list_declares_roots_only(workspace: Path, tmp_path: Path) -> None:
    """It cannot sample (no model) nor ask anyone: it does not say it can."""
    assert offered(run(workspace, tmp_path, "mcp", "list")) == {"get-roots-list"}
