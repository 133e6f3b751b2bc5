"""``a2ia-cli doctor``, run as a subprocess: one ok / warning / error line per check, with fixes.

The vLLM check probes a real OpenAI-compatible server process (``llama_cpp.server``) the way it
probes vLLM; Ollama is the replay of its wire format (no daemon runs here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from a2ia.cli.doctor import Check, doctor_exit_code

A2IA_CLI = str(Path(sys.executable).with_name("a2ia-cli"))
LINE = re.compile(r"^(ok|warning|error) +(\S+) +(.+)$|^ +fix: .+$")


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([A2IA_CLI, *args, "doctor"], capture_output=True, text=True, timeout=120)


def lines_by_topic(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        assert LINE.match(line), f"not a doctor line: {line!r}"
        if not line.startswith(" "):
            level, topic, text = LINE.match(line).groups()
            found.setdefault(topic, []).append(f"{level} {text}")
    return found


def test_doctor_on_this_machine(openai_server: str, ollama_server, workspace: Path) -> None:
    ollama_server.reset()
    done = doctor("--vllm-url", openai_server, "--ollama-url", ollama_server.url, "-C", str(workspace))
    assert done.returncode == 0, done.stdout + done.stderr
    topics = lines_by_topic(done.stdout)
    assert set(topics) >= {"config", "GPU", "vLLM", "Ollama", "llama.cpp", "model", "backend", "sessions", "MCP"}
    assert any(t.startswith("ok serves ") and t.endswith(f"at {openai_server}") for t in topics["vLLM"])
    assert topics["Ollama"] == [f"ok running at {ollama_server.url}: qwen2.5:7b, llama3.2:latest"]
    assert topics["backend"] == [f"ok auto → backend: vLLM at {openai_server} (answers)"]
    assert topics["MCP"] == ["ok a2ia: 8 tools"]
    assert topics["config"][0].startswith("ok ") and "vllm_url=" in topics["config"][0] and "(flag)" in topics["config"][0]


def test_doctor_names_what_cannot_work_and_exits_1(tmp_path: Path) -> None:
    done = doctor("--backend", "llamacpp", "--model", str(tmp_path / "missing.gguf"))
    assert done.returncode == 1
    topics = lines_by_topic(done.stdout)
    assert topics["model"][0].startswith("error ") and "missing.gguf" in topics["model"][0]
    assert "fix: " in done.stdout
    assert any(t.startswith("warning nothing answers at") for t in topics["vLLM"])


def test_exit_code_counts_only_errors() -> None:
    assert doctor_exit_code([Check("ok", "a", "x"), Check("warning", "b", "y", "fix")]) == 0
    assert doctor_exit_code([Check("ok", "a", "x"), Check("error", "b", "y")]) == 1
