"""Hypothesis profiles for the fuzz suite, chosen with ``A2IA_FUZZ_PROFILE`` (default ``ci``).

* ``ci``: 10,000 cases per test (what CI runs: 26 tests, 88,200 cases, about 4.5 minutes on 2 cores);
* ``nightly``: 100,000 cases per test;
* ``dev``: 200 cases per test, for a quick look while editing.

A few slow whole-path tests take a share of the count (``fuzz_support.cases``); each target's
primary test takes all of it.

Seeds stay random (not derandomized): each run explores new inputs, and a failure prints the
``@reproduce_failure`` blob to replay it. Found failures are kept in
``.pytest_cache/hypothesis-fuzz`` and tried first on the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

PROFILES = {"ci": 10_000, "nightly": 100_000, "dev": 200}
_DATABASE = DirectoryBasedExampleDatabase(Path(__file__).resolve().parents[2] / ".pytest_cache" / "hypothesis-fuzz")

for _name, _cases in PROFILES.items():
    settings.register_profile(
        _name,
        max_examples=_cases,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
        database=_DATABASE,
    )

PROFILE = os.environ.get("A2IA_FUZZ_PROFILE", "ci")
if PROFILE not in PROFILES:
    raise pytest.UsageError(f"A2IA_FUZZ_PROFILE={PROFILE!r}: the profiles are {', '.join(PROFILES)}")
settings.load_profile(PROFILE)

