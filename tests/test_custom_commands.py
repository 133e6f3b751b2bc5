"""Custom commands: Markdown (Claude Code's format) and TOML (Gemini CLI's) files become slash
commands; a project's only in a trusted folder; a broken file is left out and said. Real files
and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from a2ia.cli.custom_commands import load_commands, read_command
from a2ia.paths import config_dir
from a2ia.trust.check import check_trust


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_both_formats_and_their_arguments(tmp_path: Path) -> None:
    folder = tmp_path / "commands"
    md = read_command(write(folder / "review.md", "---\ndescription: Review a file\n---\nReview $1 for $2.\nAll: $ARGUMENTS\n"), folder, "user")
    assert (md.name, md.description) == ("/review", "Review a file")
    assert md.expand("a.py 'error paths'") == "Review a.py for error paths.\nAll: a.py 'error paths'"
    toml = read_command(write(folder / "git" / "commit.toml", 'description = "Commit"\nprompt = "Write a commit message for {{args}}."\n'), folder, "user")
    assert toml.name == "/git:commit" and toml.expand("the fix") == "Write a commit message for the fix."
    plain = read_command(write(folder / "explain.toml", 'prompt = "Explain this."\n'), folder, "user")
    assert plain.expand("the error") == "Explain this.\n\nthe error", "no placeholder: the arguments appended"
    assert plain.expand("") == "Explain this."


def test_a_broken_file_or_a_taken_name_is_left_out_and_said(tmp_path: Path) -> None:
    folder = config_dir() / "commands"
    write(folder / "ok.md", "Say hi.\n")
    write(folder / "bad.toml", "prompt = \n")
    write(folder / "empty.md", "---\ndescription: x\n---\n")
    write(folder / "open.md", "---\ndescription: x\nno end\n")
    write(folder / "help.md", "Not the real help.\n")
    commands, said = load_commands(tmp_path, project=False, taken={"/help"})
    assert set(commands) == {"/ok"}
    assert any(s.startswith(f"command file {folder / 'bad.toml'} left out:") for s in said)
    assert f"command file {folder / 'empty.md'} left out: its prompt is empty" in said
    assert f"command file {folder / 'open.md'} left out: its front matter has no closing ---" in said
    assert f"command file {folder / 'help.md'} left out: /help is a built-in command" in said


def test_a_projects_commands_wait_for_trust_and_run_as_the_persons_turn(workspace: Path) -> None:
    write(workspace / ".a2ia" / "commands" / "hello.md", "---\ndescription: Greet\n---\nSay hello to $ARGUMENTS.\n")
    write(config_dir() / "commands" / "mine.toml", 'prompt = "My own: {{args}}"\n')
    check = check_trust(workspace)
    assert check.state == "untrusted" and ".a2ia/commands/hello.md" in check.file_names()
    env = {**os.environ, "A2IA_SCRIPT": json.dumps([{"echo": True}] * 3)}
    argv = [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace)]
    untrusted = subprocess.run(argv, input="/hello Ada\n/mine x\n", capture_output=True, text=True, env=env, timeout=120)
    assert "unknown command /hello" in untrusted.stderr and "My own: x" in untrusted.stdout
    trusted = subprocess.run([*argv, "--trust"], input="/help\n/hello Ada\n", capture_output=True, text=True, env=env, timeout=120)
    assert trusted.returncode == 0, trusted.stderr
    assert "Say hello to Ada." in trusted.stdout
    assert "/hello [ARGUMENTS]" in trusted.stderr and "Greet" in trusted.stderr
