"""The held-back function-calling set's own checks, and one short run of its evaluation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from function_cases import CATEGORIES, FunctionCase, build_cases, right, tuning_cases  # noqa: E402


def test_forty_cases_a_category_each_checkable_and_apart_from_the_tuning_set() -> None:
    cases = build_cases()
    assert {c: sum(x.category == c for x in cases) for c in CATEGORIES} == {"single": 40, "choice": 40, "decline": 40}
    for case in cases:
        names = [t.name for t in case.offered]
        assert len(names) == len(set(names))
        if case.expected:
            spec = next(t for t in case.offered if t.name == case.expected)
            jsonschema.validate(case.arguments, spec.input_schema)
        assert (len(case.offered) == 1) == (case.category == "single") or case.category == "decline"
    tuning = tuning_cases()
    assert not {c.question for c in tuning} & {c.question for c in cases}
    assert not {t.name for c in tuning for t in c.offered} & {t.name for c in cases for t in c.offered}


def test_a_reply_is_right_by_its_category() -> None:
    single = next(c for c in build_cases() if c.category == "single" and c.expected == "convert_currency")
    assert right(single, [("convert_currency", {"amount": "100", "from_currency": "usd", "to_currency": "EUR"})])
    assert not right(single, [("convert_currency", {"amount": 10, "from_currency": "USD", "to_currency": "EUR"})])
    assert not right(single, []), "not calling is wrong where a function fits"
    choice = FunctionCase("choice", "q", single.offered, "convert_currency", {"amount": 1})
    assert right(choice, [("convert_currency", {})]), "the right function is what counts among several"
    assert not right(choice, [("get_weather", {"city": "x"})])
    decline = FunctionCase("decline", "Hi!", single.offered)
    assert right(decline, []) and not right(decline, [("convert_currency", {})])


@pytest.mark.model
def test_a_short_run_on_the_real_model_reports_each_category(smollm2: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "eval_function_calling.py"), "--model", str(smollm2), "--modes", "native",
         "--limit", "2", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    (row,) = rows
    assert row["mode"] == "native" and all(0 <= row[c] <= 2 for c in CATEGORIES)
    assert "| native |" in done.stdout
