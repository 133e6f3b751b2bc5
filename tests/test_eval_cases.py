"""The tool-calling evaluation's own checks, and one short run of it on the real model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from eval_cases import CASES, KINDS, Case, make_workspace, names_missing_path  # noqa: E402


def test_the_suite_covers_every_kind_with_forty_cases_or_more() -> None:
    assert len(CASES) >= 40
    assert {c.kind for c in CASES} == set(KINDS)
    assert len({c.prompt for c in CASES}) == len(CASES), "no case twice"


def test_a_case_is_met_by_the_right_calls_in_order_and_the_answer() -> None:
    two = Case("two-step", "x", ((("list_dir", "glob"), "src"), ("read_file", "src/main.py")), ("hello",))
    assert two.met([("list_dir", "./src/"), ("grep", "."), ("read_file", "src/main.py")], "It prints hello.")
    assert not two.met([("read_file", "src/main.py"), ("list_dir", "src")], "It prints hello."), "order counts"
    assert not two.met([("list_dir", "src"), ("read_file", "src/main.py")], ""), "an empty answer is not met"
    assert not two.met([("list_dir", "src"), ("read_file", "src/main.py")], "no idea")
    no_tool = Case("no-tool", "hi")
    assert no_tool.met([], "Hello!") and not no_tool.met([("list_dir", ".")], "Hello!")


def test_missing_paths_are_told_apart(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    assert not names_missing_path(tmp_path, "read_file", "src/main.py")
    assert names_missing_path(tmp_path, "read_file", "path/to/file.txt")
    assert not names_missing_path(tmp_path, "write_file", "docs/new.md"), "a new file under a real folder"
    assert names_missing_path(tmp_path, "write_file", "nowhere/new.md")
    assert names_missing_path(tmp_path, "list_dir", "x" * 5000), "a name too long for the file system names nothing"
    assert not names_missing_path(tmp_path, "run_shell", None)


@pytest.mark.model
def test_a_short_run_on_the_real_model_reports_every_figure(smollm2: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "eval_tool_calling.py"), "--model", str(smollm2), "--modes", "native",
         "--every", "14", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["mode"] == "native" and row["answered"].endswith("/3")
    assert set(row["by_kind"]) == set(KINDS)
    assert row["missing_path_calls"] == 0, "paths are grounded in the workspace"
    assert isinstance(row["prompt_tokens_median"], int) and row["prompt_tokens_median"] < 650
