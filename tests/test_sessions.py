"""Sessions saved as they happen, resumed, listed; damaged files and full disks lose nothing."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.events import Notice, TurnDone
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, find_session, list_sessions, read_session, sessions_dir
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import Message, ToolCall


def a2ia(*args: str, workspace: Path, stdin: bytes = b"", env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "a2ia.cli", "--backend", "scripted", "-C", str(workspace), *args],
        input=stdin, capture_output=True, timeout=120, env={**os.environ, **(env or {})},
    )


def script(*replies) -> dict:
    return {"A2IA_SCRIPT": json.dumps(list(replies))}


def test_each_message_is_on_disk_when_complete(tmp_path: Path) -> None:
    file = SessionFile.create("s1", {"backend": "scripted", "model": "m", "workspace": "/w"}, tmp_path)
    session = Session(id="s1", file=file)
    session.append(Message.user("hello"))
    lines = (tmp_path / "s1.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["type"] == "session" and json.loads(lines[1])["message"]["content"] == "hello"
    call = ToolCall(id="c", name="read_file", arguments={"path": "a"})
    session.append(Message(role="assistant", tool_calls=(call,)))
    loaded = read_session(tmp_path / "s1.jsonl")
    assert loaded.messages == session.messages and loaded.header["backend"] == "scripted" and not loaded.warnings


def test_a_damaged_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    file = SessionFile.create("s2", {}, tmp_path)
    file.append(Message.user("kept"))
    file.close()
    with (tmp_path / "s2.jsonl").open("a") as handle:
        handle.write('{"type": "message", "message": {"role": "assis')  # a crash mid-write
    loaded = read_session(tmp_path / "s2.jsonl")
    assert [m.content for m in loaded.messages] == ["kept"]
    assert len(loaded.warnings) == 1 and "the last line" in loaded.warnings[0]


def test_garbage_lines_in_the_middle_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s3.jsonl"
    path.write_bytes(b'{"type": "session", "id": "s3"}\n\xff\xfe\n[1]\n{"type": "message", "message": {"role": "user", "content": "ok"}}\n')
    loaded = read_session(path)
    assert [m.content for m in loaded.messages] == ["ok"] and len(loaded.warnings) == 2


@pytest.mark.anyio
async def test_a_full_disk_is_told_once_and_the_turn_goes_on(tmp_path: Path, workspace: Path) -> None:
    """RLIMIT_FSIZE makes writes past a small size fail with EFBIG, like a full disk."""
    file = SessionFile.create("s4", {}, tmp_path)
    session = Session(id="s4", file=file)
    client = ScriptedClient(["x" * 5000, "second answer"])
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, hard))
    try:
        async with ToolRegistry() as registry:
            await registry.add_server("a2ia", make_builtin_server(Workspace(workspace)))
            orchestrator = Orchestrator(client, registry)
            first = [e async for e in orchestrator.run(session, "write a lot")]
            second = [e async for e in orchestrator.run(session, "again")]
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    warnings = [e for e in first + second if isinstance(e, Notice) and "could not save the session" in e.text]
    assert len(warnings) == 1
    assert isinstance(first[-1], TurnDone) and isinstance(second[-1], TurnDone)
    assert [m.content for m in session.messages][-1] == "second answer", "the conversation went on in memory"
    on_disk = read_session(tmp_path / "s4.jsonl").messages
    assert [m.content for m in on_disk] == ["write a lot"], "what was saved before the failure stays readable"


def test_cli_saves_lists_and_resumes(workspace: Path) -> None:
    first = a2ia("-p", "remember the number 42", workspace=workspace, env=script("noted"))
    assert first.returncode == 0
    (info,) = list_sessions()
    assert info.first_prompt == "remember the number 42" and info.messages == 2 and info.backend == "scripted"
    listing = subprocess.run([sys.executable, "-m", "a2ia.cli", "sessions"], capture_output=True, env=os.environ, timeout=60)
    assert info.id in listing.stdout.decode() and "remember the number 42" in listing.stdout.decode()
    resumed = a2ia("--resume", "-p", "what number?", workspace=workspace, env=script({"echo": True}))
    assert resumed.returncode == 0 and f"resumed session {info.id} (2 messages)" in resumed.stderr.decode()
    messages = read_session(find_session(info.id)).messages
    assert [m.content for m in messages] == ["remember the number 42", "noted", "what number?", "what number?"]
    by_prefix = a2ia("--resume", info.id[:10], "-p", "x", workspace=workspace, env=script("y"))
    assert by_prefix.returncode == 0 and len(list_sessions()) == 1


def test_resume_problems_are_clear(workspace: Path) -> None:
    none_yet = a2ia("--resume", "-p", "x", workspace=workspace, env=script("y"))
    assert none_yet.returncode == 2 and "no saved sessions" in none_yet.stderr.decode()
    a2ia("-p", "x", workspace=workspace, env=script("y"))
    wrong = a2ia("--resume", "nope", "-p", "x", workspace=workspace, env=script("y"))
    assert wrong.returncode == 2 and "no saved session matches 'nope'" in wrong.stderr.decode()


def test_sessions_dir_follows_the_override(tmp_path: Path) -> None:
    assert sessions_dir() == tmp_path / "data" / "sessions"


def test_json_output_is_one_object_per_event(workspace: Path) -> None:
    result = a2ia("--output", "json", "--yes", workspace=workspace, stdin=b"what is here?\n/tools\n",
                  env=script({"tool": "list_dir", "arguments": {"path": "."}}, "Two things."))
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "user" and records[0]["text"] == "what is here?"
    assert ["tool_call", "tool_started", "tool_finished"] == [k for k in kinds if k.startswith("tool")]
    finished = next(r for r in records if r["kind"] == "tool_finished")
    assert finished["call"]["name"] == "list_dir" and finished["result"]["is_error"] is False
    assert "src/" in finished["result"]["content"] and isinstance(finished["duration_s"], float)
    assert "".join(r["text"] for r in records if r["kind"] == "text") == "Two things."
    assert kinds.count("turn_done") == 1 and kinds[-1] == "command" and "read_file" in records[-1]["text"]


def test_slash_commands_in_a_script(workspace: Path) -> None:
    result = a2ia(workspace=workspace, stdin=b"/help\n/approval auto-edit\n/react\n/nope\nhello\n/quit\nnever\n", env=script("hi"))
    err = result.stderr.decode()
    assert result.returncode == 0 and result.stdout.decode() == "hi\n"
    assert "/resume [ID|latest]" in err and "approval mode: auto-edit" in err and "ReAct prompting" in err
    assert "unknown command /nope" in err and "never" not in err


# --- found by the fuzz suite (tests/fuzz/test_fuzz_sessions.py); each pins the input it found --------


def test_lines_json_cannot_read_are_skipped_with_a_warning(tmp_path: Path) -> None:
    # a deeply nested line raised RecursionError; an integer over the digit limit is a ValueError
    path = tmp_path / "deep.jsonl"
    ok = b'{"type": "message", "message": {"role": "user", "content": "ok"}}\n'
    path.write_bytes(b'{"type": "session", "id": "deep"}\n' + b"[" * 1991 + b"]" * 1991 + b"\n" + b"1" * 4301 + b"\n" + ok)
    loaded = read_session(path)
    assert [m.content for m in loaded.messages] == ["ok"] and len(loaded.warnings) == 2


def test_header_fields_that_are_not_strings_are_left_out(tmp_path: Path) -> None:
    # list_sessions sorted None against str (TypeError) and find_session called None.startswith
    (tmp_path / "a.jsonl").write_bytes(b"")
    (tmp_path / "b.jsonl").write_bytes(b'{"type": "session", "created": null}\n')
    (tmp_path / "c.jsonl").write_bytes(b'{"type": "session", "id": null, "model": 5}\n')
    loaded = read_session(tmp_path / "c.jsonl")
    assert loaded.header == {"type": "session"} and len(loaded.warnings) == 2
    infos = list_sessions(tmp_path)
    assert sorted(i.id for i in infos) == ["a", "b", "c"] and all(isinstance(i.created, str) for i in infos)
    assert find_session("c", tmp_path) == tmp_path / "c.jsonl"


def test_a_lone_surrogate_is_saved_and_read_back(tmp_path: Path) -> None:
    # Message(content='\ud800') made SessionFile.append raise UnicodeEncodeError (pydantic's JSON
    # mode, then a UTF-8 file); JSON carries one as the escape "\ud800", which is how it is written
    session = Session(id="sur", file=SessionFile.create("sur", {"model": "\udfff"}, tmp_path))
    written = [
        Message.user("\ud800"),
        Message(role="assistant", tool_calls=(ToolCall(id="c", name="read_file", arguments={"\ud800": None}),)),
        Message.user("ok \u2028 \x85 \U0001f600"),
    ]
    for message in written:
        session.append(message)
    session.close()
    assert session.save_error is None
    loaded = read_session(tmp_path / "sur.jsonl")
    assert loaded.messages == written and loaded.header["model"] == "\udfff" and not loaded.warnings


def test_resuming_a_file_cut_mid_line_does_not_glue_the_next_message_onto_it(tmp_path: Path) -> None:
    """A crash mid-write leaves half a line; a resumed session's first message must survive."""
    file = SessionFile.create("cut", {"backend": "scripted"}, tmp_path)
    file.append(Message.user("first"))
    file.close()
    path = tmp_path / "cut.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"type": "message", "message": {"role": "assistant", "content": "half')
    resumed = SessionFile.reopen(path)
    resumed.append(Message.user("after the crash"))
    resumed.close()
    loaded = read_session(path)
    assert [m.content for m in loaded.messages] == ["first", "after the crash"]
    assert not loaded.warnings
