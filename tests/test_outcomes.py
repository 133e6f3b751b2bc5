"""One outcome table (error kind → failure reason → exit code → hint), and hints that name settings.

Lower layers name the *setting* that fixes a problem; each front end words it: a flag for the
command line, a slash command or a config key for the TUI and the REPL (their tests check the
words on screen: ``test_repl``, ``test_tui``, ``test_cli``).
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import pytest

from a2ia.cli.main import cli
from a2ia.cli.wording import for_cli, for_interactive
from a2ia.config import Settings
from a2ia.errors import (
    A2iaError,
    ApprovalDenied,
    BackendHTTPError,
    BackendProtocolError,
    BackendUnavailable,
    ConfigError,
    ContextOverflow,
    ModelNotFound,
    ToolsNotSupported,
)
from a2ia.hints import named_settings, plain, setting
from a2ia.outcomes import EXIT_CODES, FailureReason, exit_code_for_error, hint_for, reason_for

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "a2ia"


def test_each_failure_reason_has_the_documented_exit_code() -> None:
    assert set(EXIT_CODES) == set(typing.get_args(FailureReason))
    documented = {  # the README's table, written out
        "max_steps": 4, "repeated_call": 4, "tool_errors": 4, "empty_reply": 4, "approval_denied": 5,
        "config": 2, "backend_unavailable": 3, "backend": 1, "internal": 1,
    }
    assert EXIT_CODES == documented
    rows = re.findall(r"^\| (\d+) \| ", (ROOT / "README.md").read_text(), flags=re.MULTILINE)
    assert {int(r) for r in rows} == {0, 130, *documented.values()}, "the README's exit-code table lists each code"


@pytest.mark.parametrize(
    ("error", "reason", "code"),
    [
        (ModelNotFound("no model"), "config", 2),
        (ConfigError("bad"), "config", 2),
        (BackendUnavailable("down"), "backend_unavailable", 3),
        (ApprovalDenied("no one to ask"), "approval_denied", 5),
        (ToolsNotSupported("no tools", status=400), "backend", 1),
        (BackendProtocolError("garbled"), "backend", 1),
        (ContextOverflow("too long"), "backend", 1),
        (A2iaError("a download failed"), "backend", 1),
    ],
)
def test_an_error_kind_gives_its_reason_and_exit_code(error: A2iaError, reason: str, code: int) -> None:
    assert reason_for(error) == reason
    assert exit_code_for_error(error) == code


def test_every_backend_failure_comes_with_a_hint_and_its_own_hint_wins() -> None:
    assert "busy or still loading" in hint_for(BackendHTTPError("x", status=503))
    assert "the model server failed" in hint_for(BackendHTTPError("x", status=500))
    assert "refused the request" in hint_for(BackendHTTPError("x", status=404))
    assert named_settings(hint_for(BackendProtocolError("x"))) == [("backend", None), ("debug", None)]
    assert "is running and reachable" in hint_for(BackendUnavailable("x"))
    assert hint_for(BackendUnavailable("x", hint="start it")) == "start it"


def test_a_hint_is_worded_by_each_front_end() -> None:
    hint = f"allow it with {setting('yes')}, {setting('approval', 'yolo')} or {setting('allow_tools', 'git/*')}"
    assert for_cli(hint) == "allow it with --yes, --approval yolo or A2IA_ALLOW_TOOLS='git/*'"
    assert for_interactive(hint) == 'allow it with yes = true in config.toml, /approval yolo or allow_tools = ["git/*"] in config.toml'
    assert for_interactive(setting("react")) == "/react on"
    assert for_interactive(setting("trust")) == "--trust when you next start a2ia", "no file may set trust"
    assert for_cli(setting("workspace")) == "--workspace" and for_cli(setting("model", "a b.gguf")) == "--model 'a b.gguf'"
    assert for_interactive(setting("max_steps", "16")) == "max_steps = 16 in config.toml"


def test_an_error_read_outside_a_front_end_has_no_marks() -> None:
    error = ModelNotFound("no model", hint=f"pass one with {setting('model')}")
    assert str(error) == "no model\n  hint: pass one with model" == plain(error.text_with_hint())
    assert "\x1e" not in str(error)
    with pytest.raises(ValueError):
        setting("Not A Setting")


def _strings_outside_docstrings(tree: ast.AST) -> list[ast.Constant]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def _below_the_front_ends() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts]


def test_no_layer_below_the_front_ends_names_a_command_line_flag() -> None:
    flags = {opt for param in cli.params for opt in param.opts if opt.startswith("--")}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(flags, key=len, reverse=True))) + r")(?![\w-])")
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {pattern.search(node.value).group(0)}"
        for path in _below_the_front_ends()
        for node in _strings_outside_docstrings(ast.parse(path.read_text()))
        if pattern.search(node.value)
    ]
    assert found == [], "name the setting with a2ia.hints.setting instead"


def test_every_setting_a_hint_names_exists() -> None:
    named = {
        (path.relative_to(ROOT), node.args[0].value)
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setting"
        and node.args and isinstance(node.args[0], ast.Constant)
    }
    assert len(named) >= 20, "the scan finds the hints"
    assert [(p, n) for p, n in named if n not in Settings.model_fields] == []
