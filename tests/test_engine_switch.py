"""``/model`` and ``/backend`` switch the running session's engine: the new one is opened beside
the old, the conversation goes on with it, and a switch that fails leaves the old one in use.
The CLI as a subprocess, with the scripted backend (the same path as real engines: selection,
the engine's start, its client) and the embedded engine's refusal of a missing model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(workspace: Path, lines: str, script: list) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "A2IA_SCRIPT": json.dumps(script)}
    return subprocess.run([sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace)],
                          input=lines, capture_output=True, text=True, env=env, timeout=120)


def test_a_switch_carries_the_conversation_and_a_failed_one_keeps_the_old_engine(workspace: Path) -> None:
    lines = "first\n/model missing.gguf\nsecond\n/backend nope\n/model other-model\nthird\n/context\n"
    result = run(workspace, lines, [{"echo": True}] * 4)
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "could not switch:" in err and "missing.gguf" in err and "still using scripted" in err
    assert "unknown backend 'nope'; the backends are: auto," in err
    assert "now using scripted / scripted" in err and "the conversation goes on" in err
    assert result.stdout.splitlines() == ["first", "second", "third"], "answered before, after the failure, after the switch"
    assert "conversation" in err and "(6 messages)" in err, "the whole conversation went over to the new engine"
