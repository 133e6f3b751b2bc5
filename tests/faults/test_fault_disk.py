"""The session file's disk fills up: the real CLI in a subprocess under a small RLIMIT_FSIZE.

Past the limit every write fails with EFBIG, as on a full disk (CPython ignores SIGXFSZ, so the
process is told by the error, not killed). The turns go on in memory, the person is told once
that saving failed, every turn is answered, and the file keeps the turns written before. A
session file on ``/dev/full`` (ENOSPC on every write) checks when the warning comes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
from pathlib import Path

import pytest
from fault_support import a2ia_argv, final, history_problems, turn

from a2ia.client.scripted import ScriptedClient
from a2ia.errors import BackendUnavailable
from a2ia.orchestrator.events import Notice, TurnDone, TurnFailed
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, list_sessions, read_session
from a2ia.tools.registry import ToolRegistry
from a2ia.types import Message

pytestmark = pytest.mark.faults
LIMIT = 3_000  # bytes: the header and the first turn fit, the second turn's reply does not


def limited(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_in_the_real_cli(workspace: Path) -> None:
    replies = ["first answer", "y" * 4_000, {"echo": True}, {"tool": "list_dir", "arguments": {"path": "."}}, "fourth answer"]
    turns = ["one", "two", "three", "four"]
    result = subprocess.run(
        a2ia_argv("--backend", "scripted", "-C", str(workspace)),
        input="\n".join(turns).encode(), capture_output=True, timeout=120, preexec_fn=limited(LIMIT),
        env={**os.environ, "A2IA_SCRIPT": json.dumps(replies)},
    )
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert err.count("could not save the session") == 1, err
    assert "File too large" in err and "the conversation goes on, unsaved" in err
    assert result.stdout.decode().splitlines() == ["first answer", "y" * 4_000, "three", "fourth answer"], "every turn answered"
    (info,) = list_sessions()
    assert info.path.stat().st_size <= LIMIT
    loaded = read_session(info.path)
    assert not loaded.warnings, f"no half-written line is left behind: {loaded.warnings}"
    assert [m.content for m in loaded.messages] == ["one", "first answer", "two"], "what fit before the limit is kept"


def test_a_failed_write_leaves_no_half_line_to_resume_after(tmp_path: Path) -> None:
    """A write cut at the limit left a partial line; a resumed session then glued its first message to it."""
    path = tmp_path / "s.jsonl"
    pid = os.fork()
    if pid == 0:  # the limit applies to this child only
        try:
            resource.setrlimit(resource.RLIMIT_FSIZE, (1_500, 1_500))
            session = Session(id="s", file=SessionFile.create("s", {}, tmp_path))
            session.append(Message.user("kept"))
            session.append(Message.user("z" * 4_000))  # cut at the limit, then EFBIG
            session.append(Message.user("in memory only"))
            os._exit(0 if session.save_error and session.file is None and len(session.messages) == 3 else 1)
        except BaseException:  # noqa: BLE001 - a child must never return into pytest
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert path.read_bytes().endswith(b"\n"), "the partial line was taken back"
    resumed = Session(id="s", messages=read_session(path).messages, file=SessionFile.reopen(path))
    resumed.append(Message.user("after resume"))
    resumed.close()
    loaded = read_session(path)
    assert not loaded.warnings and [m.content for m in loaded.messages] == ["kept", "after resume"]
    assert not history_problems(loaded.messages)


@pytest.mark.anyio
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
async def test_saving_fails_in_a_turn_that_then_fails(workspace: Path) -> None:
    """/dev/full answers every write with ENOSPC. The warning comes with the failed turn, not a turn later."""
    full = Path("/dev/full")
    session = Session(id="full", file=SessionFile(full, full.open("a", encoding="utf-8")))
    client = ScriptedClient([BackendUnavailable("cannot reach the model server"), "answered"])
    async with ToolRegistry() as tools:
        orchestrator = Orchestrator(client, tools)
        failed = await turn(orchestrator, session, "first")
        after = await turn(orchestrator, session, "second")
    assert isinstance(failed[0], Notice) and failed[0].level == "warning", failed
    assert "could not save the session (/dev/full: No space left on device)" in failed[0].text
    assert isinstance(final(failed), TurnFailed) and final(failed).hint
    assert isinstance(final(after), TurnDone) and not any(isinstance(e, Notice) for e in after), "told once"
    assert [m.content for m in session.messages] == ["first", "second", "answered"], "the turns go on in memory"
