"""Settings: flags over environment over project file over user file over defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.config import project_settings_file, resolve_settings, user_settings_file
from a2ia.errors import ConfigError


def test_precedence_and_origins(tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_settings_file().parent.mkdir(parents=True)
    user_settings_file().write_text('backend = "ollama"\nmax_steps = 5\nallow_tools = ["git/*"]\napproval = "auto-edit"\n')
    project = project_settings_file(workspace)
    project.parent.mkdir(parents=True)
    project.write_text('max_steps = 6\nmodel = "qwen2.5:7b"\n')
    monkeypatch.setenv("A2IA_MAX_STEPS", "7")
    settings, origins = resolve_settings(workspace=str(workspace), approval="yolo", trust=True)
    assert (settings.backend, settings.max_steps, settings.model, settings.approval) == ("ollama", 7, "qwen2.5:7b", "yolo")
    assert settings.allow_tools == ("git/*",)
    assert origins["backend"].startswith("user file") and origins["model"].startswith("project file")
    assert origins["max_steps"] == "env A2IA_MAX_STEPS" and origins["approval"] == "flag"
    assert "seed" not in origins


def test_bad_files_and_values(workspace: Path) -> None:
    user_settings_file().parent.mkdir(parents=True)
    user_settings_file().write_text("backend = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_settings(workspace=str(workspace))
    user_settings_file().write_text('bakend = "vllm"\n')
    with pytest.raises(ConfigError, match="unknown setting\\(s\\): bakend"):
        resolve_settings(workspace=str(workspace))
    user_settings_file().write_text('max_steps = 0\n')
    with pytest.raises(ConfigError, match="max_steps"):
        resolve_settings(workspace=str(workspace))


def test_config_command_prints_values_and_origins(workspace: Path) -> None:
    env = {**os.environ, "A2IA_BACKEND": "vllm", "A2IA_API_KEY": "sk-secret"}
    result = subprocess.run([sys.executable, "-m", "a2ia.cli", "-C", str(workspace), "--max-steps", "3", "config"],
                            capture_output=True, env=env, timeout=60)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "backend = vllm    # env A2IA_BACKEND" in out and "max_steps = 3    # flag" in out
    assert "seed = 0    # default" in out and "api_key = ********" in out and "sk-secret" not in out


# --- found by the fuzz suite (tests/fuzz/test_fuzz_config.py); each pins the input it found ----------


@pytest.mark.parametrize(
    "text",
    [
        "model = " + "[" * 1000 + "]" * 1000,  # was RecursionError from the TOML parser
        "seed = " + "1" * 4301,  # was ValueError: integer over Python's 4,300-digit limit
    ],
)
def test_settings_files_toml_cannot_read_are_config_errors_naming_the_file(workspace: Path, text: str) -> None:
    user_settings_file().parent.mkdir(parents=True)
    user_settings_file().write_text(text)
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        resolve_settings(workspace=str(workspace))
    assert str(user_settings_file()) in str(caught.value)


@pytest.mark.parametrize(("text", "key"), [("backend = 1979-05-27T07:32:00Z", "backend"), ("max_steps = 0", "max_steps")])
def test_an_invalid_value_names_the_file_it_came_from(workspace: Path, text: str, key: str) -> None:
    # the message said "invalid setting: backend: Input should be 'auto', ..." without the file
    project = project_settings_file(workspace)
    project.parent.mkdir(parents=True)
    project.write_text(text + "\n")
    with pytest.raises(ConfigError, match=key) as caught:
        resolve_settings(workspace=str(workspace), trust=True)
    assert str(project) in str(caught.value)
