"""The real CLI, run as a subprocess: scripted sessions on stdin, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def a2ia(*args: str, stdin: bytes | None = b"", env: dict[str, str] | None = None, cwd: Path | None = None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "a2ia.cli", *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def script(*replies) -> dict[str, str]:
    return {"A2IA_SCRIPT": json.dumps(list(replies))}


def assert_no_traceback(result) -> None:
    assert b"Traceback" not in result.stderr, result.stderr.decode()


def test_scripted_session_from_stdin_runs_each_line_as_a_turn(workspace: Path) -> None:
    env = script({"tool": "list_dir", "arguments": {"path": "."}}, "Two entries.", "Bye now.")
    result = a2ia("--backend", "scripted", "-C", str(workspace), stdin=b"What is here?\n\nThanks!\n", env=env)
    assert result.returncode == 0, result.stderr.decode()
    out, err = result.stdout.decode(), result.stderr.decode()
    assert out == "Two entries.\nBye now.\n"
    assert '⚙ list_dir [a2ia] {"path": "."}' in err
    assert "✓ 2 lines" in err
    assert err.index("» What is here?") < err.index("⚙ list_dir") < err.index("» Thanks!")
    assert_no_traceback(result)


def test_one_shot_prompt_with_tool_error_shown(workspace: Path) -> None:
    env = script({"tool": "read_file", "arguments": {"path": "../secret.txt"}}, "I cannot read that.")
    result = a2ia("--backend", "scripted", "-C", str(workspace), "-p", "read ../secret.txt", stdin=None, env=env)
    assert result.returncode == 0
    assert result.stdout.decode() == "I cannot read that.\n"
    assert "✗" in result.stderr.decode() and "outside the workspace root" in result.stderr.decode()
    assert b"TOP SECRET" not in result.stdout + result.stderr


def test_prompt_with_piped_stdin_appends_it_as_context(workspace: Path) -> None:
    env = script({"echo": True})
    result = a2ia("--backend", "scripted", "-C", str(workspace), "-p", "summarise", stdin=b"line one\nline two\n", env=env)
    assert result.returncode == 0
    assert result.stdout.decode() == "summarise\n\nline one\nline two\n"
    assert "»" not in result.stderr.decode(), "one turn, not one per stdin line"


def test_prompt_with_a_silent_open_pipe_on_stdin_runs_without_it(workspace: Path) -> None:
    """A parent that leaves stdin an open pipe and never writes (a CI runner) must not hang the run."""
    env = {**os.environ, **script({"echo": True})}
    proc = subprocess.Popen([sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), "-p", "hello"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        code = proc.wait(timeout=60)  # stdin stays open and silent the whole time
        out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.stdin.close()
    assert code == 0, err
    assert out == "hello\n"
    assert "stdin is a pipe that sent nothing" in err and "</dev/null" in err


def test_step_limit_exit_code(workspace: Path) -> None:
    """At the limit the model answers without tools (exit 0); only a model that still gives no text exits 4."""
    calls = [{"tool": "list_dir", "arguments": {"path": p}} for p in (".", "src", "..")]
    answered = a2ia("--backend", "scripted", "-C", str(workspace), "--max-steps", "2", "-p", "loop", env=script(*calls[:2], "two entries"))
    assert answered.returncode == 0, answered.stderr.decode()
    assert answered.stdout.decode() == "two entries\n"
    assert "stopped after 2 steps" in answered.stderr.decode() and "without tools" in answered.stderr.decode()
    result = a2ia("--backend", "scripted", "-C", str(workspace), "--max-steps", "2", "-p", "loop", env=script(*calls))
    assert result.returncode == 4
    assert "stopped after 2 steps" in result.stderr.decode() and "--max-steps" in result.stderr.decode()
    assert_no_traceback(result)


def test_repeated_call_stops_the_loop_with_exit_4(workspace: Path) -> None:
    env = script(*[{"tool": "list_dir", "arguments": {"path": "."}}] * 5)
    result = a2ia("--backend", "scripted", "-C", str(workspace), "-p", "loop", env=env)
    assert result.returncode == 4
    err = result.stderr.decode()
    assert err.count("⚙ list_dir") == 1 and "same arguments as in its previous step" in err


def test_slash_quit_ends_a_script(workspace: Path) -> None:
    result = a2ia("--backend", "scripted", "-C", str(workspace), stdin=b"hi\n/quit\nnever\n", env=script("hello", "no"))
    assert result.returncode == 0 and result.stdout.decode() == "hello\n"


def test_unknown_backend(workspace: Path) -> None:
    result = a2ia("--backend", "nope", "-p", "x")
    assert result.returncode == 2
    assert "Invalid value for '--backend'" in result.stderr.decode()
    assert_no_traceback(result)


def test_unknown_backend_from_environment() -> None:
    result = a2ia("-p", "x", env={"A2IA_BACKEND": "nope"})
    assert result.returncode == 2
    assert "invalid setting: backend" in result.stderr.decode()
    assert_no_traceback(result)


def test_server_backend_that_is_not_running_exits_3_naming_the_url() -> None:
    from servers import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    result = a2ia("--backend", "vllm", "--vllm-url", url, "-p", "x")
    assert result.returncode == 3
    assert f"cannot reach the model server at {url}" in result.stderr.decode()
    assert_no_traceback(result)
    alias = subprocess.run(
        [sys.executable, "-c", "import sys; from a2ia.cli.main import main_vllm; sys.argv[0] = 'a2ia-cli-vllm'; main_vllm()",
         "--vllm-url", url, "-p", "x"],
        capture_output=True, timeout=60,
    )
    assert alias.returncode == 3 and url in alias.stderr.decode()


def test_openai_backend_needs_a_url() -> None:
    result = a2ia("--backend", "openai", "-p", "x")
    assert result.returncode == 2 and "--base-url" in result.stderr.decode()


def test_missing_model_file(tmp_path: Path) -> None:
    result = a2ia("--model", str(tmp_path / "missing.gguf"), "-p", "x")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert f"no model file at {tmp_path / 'missing.gguf'}" in err and "hint:" in err
    assert_no_traceback(result)


def test_model_that_is_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>not a model</html>")
    result = a2ia("--model", str(fake), "-p", "x")
    assert result.returncode == 2 and "is not a GGUF model file" in result.stderr.decode()


def test_unreadable_stdin_bytes() -> None:
    result = a2ia(stdin=b"hello \xff\xfe world\n")
    assert result.returncode == 2
    assert "stdin is not UTF-8 text (byte 0xff at offset 6)" in result.stderr.decode()
    assert_no_traceback(result)


def test_empty_stdin() -> None:
    result = a2ia(stdin=b"\n  \n")
    assert result.returncode == 2 and "stdin was empty" in result.stderr.decode()


def test_missing_workspace(tmp_path: Path) -> None:
    result = a2ia("--backend", "scripted", "-C", str(tmp_path / "nope"), "-p", "x", env=script("x"))
    assert result.returncode == 2 and "workspace root is not a directory" in result.stderr.decode()


def test_bad_script_env_is_a_config_error() -> None:
    result = a2ia("--backend", "scripted", "-p", "x", env={"A2IA_SCRIPT": "{not json"})
    assert result.returncode == 2 and "A2IA_SCRIPT is not valid JSON" in result.stderr.decode()


def test_help_and_version() -> None:
    help_result = a2ia("--help")
    assert help_result.returncode == 0
    for flag in ("--backend", "--model", "--prompt", "--max-steps", "--debug", "pull-model"):
        assert flag in help_result.stdout.decode()
    version = a2ia("--version")
    assert version.returncode == 0 and "a2ia-cli, version" in version.stdout.decode()


def test_vllm_alias_presets_the_backend() -> None:
    from a2ia.cli.main import cli

    ctx = cli.make_context("a2ia-cli-vllm", ["-p", "x"], default_map={"backend": "vllm"})
    assert ctx.params["backend"] == "vllm"
    ctx = cli.make_context("a2ia-cli-vllm", ["--backend", "llamacpp"], default_map={"backend": "vllm"})
    assert ctx.params["backend"] == "llamacpp"


@pytest.mark.model
def test_real_model_end_to_end(smollm2: Path, workspace: Path) -> None:
    """The README's example, on the embedded default model: the call is shown as it happens."""
    result = a2ia("-C", str(workspace), "--max-steps", "2", stdin=b"What files are in this folder?\n")
    assert result.returncode in (0, 4), result.stderr.decode()
    err = result.stderr.decode()
    assert "⚙ list_dir [a2ia]" in err or "⚙ read_file [a2ia]" in err
    assert_no_traceback(result)


@pytest.mark.model
def test_openai_backend_against_a_real_llama_cpp_server(openai_server: str, workspace: Path) -> None:
    result = a2ia("--backend", "openai", "--base-url", openai_server, "-C", str(workspace), "--max-steps", "2",
                  "-p", "What files are in this folder?")
    assert result.returncode in (0, 4), result.stderr.decode()
    assert_no_traceback(result)


def test_vllm_alias_against_the_real_vllm_server(vllm_server: str, workspace: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from a2ia.cli.main import main_vllm; main_vllm()",
         "--vllm-url", vllm_server, "-C", str(workspace), "--max-steps", "2", "-p", "What files are in this folder?"],
        capture_output=True, timeout=300, env=dict(os.environ), stdin=subprocess.DEVNULL,
    )
    assert result.returncode in (0, 4), result.stderr.decode()
    assert_no_traceback(result)


def test_ollama_backend_against_replayed_fixtures(ollama_server, workspace: Path) -> None:
    """Recorded Ollama wire fixtures replayed over HTTP (no Ollama daemon here): tools end to end."""
    ollama_server.reset()
    ollama_server.chat = "chat_tool_calls_arrive_whole.json"
    first = a2ia("--backend", "ollama", "--ollama-url", ollama_server.url, "-C", str(workspace), "--max-steps", "1", "-p", "x")
    err = first.stderr.decode()
    assert '⚙ list_dir [a2ia] {"path": "."}' in err and '⚙ read_file [a2ia] {"path": "README.md"}' in err
    assert first.returncode == 4
    ollama_server.chat = "chat_model_not_found.json"
    missing = a2ia("--backend", "ollama", "--ollama-url", ollama_server.url, "--model", "qwen9:1b", "-p", "x")
    assert missing.returncode == 2 and "ollama pull qwen9:1b" in missing.stderr.decode()


def test_react_flag_and_env(workspace: Path) -> None:
    env = script("Thought: look\nAction: list_dir\nAction Input: {\"path\": \".\"}", "Final Answer: two entries")
    for args, extra in ((["--react"], {}), ([], {"A2IA_REACT": "1"})):
        result = a2ia("--backend", "scripted", "-C", str(workspace), *args, "-p", "what is here?", env={**env, **extra})
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout.decode() == "two entries\n"
        assert '⚙ list_dir [a2ia] {"path": "."}' in result.stderr.decode()


def test_the_main_options_also_work_after_a_subcommand(workspace: Path, tmp_path: Path) -> None:
    """``a2ia-cli mcp list --mcp-config F`` is how people type it; after the subcommand wins."""
    after = a2ia("--max-steps", "5", "config", "--max-steps", "3", "-C", str(workspace))
    assert after.returncode == 0, after.stderr.decode()
    assert "max_steps = 3    # flag" in after.stdout.decode()
    before = a2ia("--max-steps", "5", "config", "-C", str(workspace))
    assert "max_steps = 5    # flag" in before.stdout.decode()
    missing = a2ia("mcp", "list", "--mcp-config", str(tmp_path / "missing.json"), "-C", str(workspace))
    assert missing.returncode == 2
    assert "no file at" in missing.stderr.decode() and "hint: check --mcp-config" in missing.stderr.decode()
    assert_no_traceback(missing)
