"""Fuzzed session files: ``orchestrator/store`` (``read_session``, ``list_sessions``,
``find_session``) and the writer behind ``Session.append``.

Properties: any file reads back (a damaged line is skipped with one warning, never fatal):
every line is the header, a message or a warning; listing and finding sessions in a folder
of damaged files gives plain strings or a ``ConfigError``; any messages written — text with
lone surrogates, control characters, huge arguments — read back identical, with no warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_support import cases, cut_short, json_objects, json_text, junk, scratch_dir
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.errors import ConfigError
from a2ia.orchestrator.session import Session
from a2ia.orchestrator.store import SessionFile, find_session, list_sessions, read_session
from a2ia.types import Message, ToolCall

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with scratch_dir("sessions") as folder:
        yield folder


# Lone surrogates reach messages through JSON escapes ("\ud800") that a server or a tool sends.
# Strings are made as JSON makes them: an escaped high+low pair is one character (U+10000), not two.
_text = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Zl", "Zp", "Ll"]), max_size=10).map(lambda t: json.loads(json.dumps(t))),
)
_plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)
_calls = st.lists(
    st.builds(
        ToolCall,
        id=_text,
        name=_text,
        arguments=st.dictionaries(_text, _plain_values, max_size=3),
        arguments_error=st.none() | _text,
    ),
    max_size=2,
)
messages = st.one_of(
    st.builds(Message, role=st.sampled_from(["system", "user"]), content=_text),
    st.builds(Message, role=st.just("assistant"), content=_text, tool_calls=_calls.map(tuple)),
    st.builds(Message, role=st.just("tool"), content=_text, tool_call_id=_text, name=st.none() | _text),
)
_header = st.fixed_dictionaries(
    {"type": st.just("session")},
    optional={k: st.one_of(_text, junk) for k in ("id", "created", "backend", "model", "workspace")},
)


def _dump(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False)


# Lines as they are found in files: plain dicts, cheaper to draw than Messages (the round trip
# below writes real Messages).
_call_dict = st.fixed_dictionaries(
    {"id": st.text(max_size=4), "name": st.sampled_from(["read_file", "x", ""])},
    optional={"arguments": st.one_of(json_objects, junk), "arguments_error": st.one_of(st.none(), _text, junk)},
)
_message_dict = st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["user", "assistant", "tool", "system"]), st.sampled_from(["robot", "", "USER"]), junk)},
    optional={
        "content": st.one_of(_text, _text, junk),
        "tool_calls": st.one_of(st.lists(_call_dict, max_size=2), junk),
        "tool_call_id": st.one_of(_text, junk),
        "name": st.one_of(_text, junk),
        "extra": junk,
    },
)
_record = st.fixed_dictionaries(
    {"type": st.one_of(st.just("message"), st.just("message"), st.sampled_from(["session", "other"]), junk), "message": st.one_of(_message_dict, _message_dict, junk)}
)
NASTY_LINES = [
    '{"type": "message", "message": {"role": "user", "content": "' + "x" * 100_000 + '"}}',  # a huge value
    "[" * 1991 + "]" * 1991,  # nesting past the parser's recursion limit
    '{"type": "message", "message": {"role": "user", "content": ' + "1" * 4301 + "}}",  # past the digit limit
    '{"type": "message", "message": {"role": "user", "content": "\\ud800"}}',
    '{"type": "message", "message": {"role": "user", "content": "a\u2028b\u0085c"}}',
    "\ufeff{}", "", " ", "null", "\x00",
]
_line = st.one_of(
    _record.map(_dump),
    _record.map(_dump),
    _header.map(_dump),
    cut_short(_record.map(_dump)),  # a crash mid-write
    json_text,
    st.sampled_from(NASTY_LINES),
)


@st.composite
def session_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """A file's bytes and its number of lines."""
    lines = [draw(_header.map(_dump))] if draw(st.booleans()) else []
    lines += draw(st.lists(_line, max_size=6))
    body = b""
    for line in lines:
        data = line.replace("\n", " ").replace("\r", " ").encode("utf-8", draw(st.sampled_from(["surrogatepass", "replace"])))
        body += data + draw(st.sampled_from([b"\n", b"\r\n"]))
    if draw(st.booleans()):
        body += draw(st.binary(max_size=30))
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    return body, body.count(b"\n") + (0 if not body or body.endswith(b"\n") else 1)


@given(session_files())
def test_any_file_reads_back_with_a_warning_per_damaged_line(scratch: Path, case: tuple[bytes, int]) -> None:
    body, lines = case
    path = scratch / "s.jsonl"
    path.write_bytes(body)
    loaded = read_session(path)
    assert all(isinstance(m, Message) for m in loaded.messages)
    assert isinstance(loaded.header, dict)
    header_line = 1 if loaded.header else 0
    damaged = [w for w in loaded.warnings if "skipped" in w]
    assert header_line + len(loaded.messages) + len(damaged) == lines
    assert all(w.startswith(path.name) for w in loaded.warnings)
    assert all(isinstance(loaded.header[k], str) for k in ("id", "created", "backend", "model", "workspace") if k in loaded.header)


@settings(max_examples=cases(0.02))
@given(st.lists(session_files(), min_size=1, max_size=3), st.sampled_from(["latest", "2026", "", "s"]))
def test_listing_and_finding_damaged_sessions(scratch: Path, files: list[tuple[bytes, int]], which: str) -> None:
    folder = scratch / "many"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for index, (body, _) in enumerate(files):
        (folder / f"s{index}.jsonl").write_bytes(body)
    infos = list_sessions(folder)
    assert len(infos) == len(files)
    for info in infos:
        for value in (info.id, info.created, info.backend, info.model, info.workspace, info.first_prompt):
            assert isinstance(value, str)
    try:
        found = find_session(which, folder)
    except ConfigError as exc:
        assert str(exc)
        return
    assert found.parent == folder


@settings(max_examples=cases(0.1))
@given(st.lists(messages, max_size=6), _header.filter(lambda h: all(isinstance(v, str) for v in h.values())))
def test_written_sessions_read_back_identical(scratch: Path, written: list[Message], header: dict) -> None:
    path = scratch / "round-trip.jsonl"
    path.unlink(missing_ok=True)
    extra = {k: v for k, v in header.items() if k not in ("type", "id", "created")}
    session = Session(id="round-trip", file=SessionFile.create("round-trip", extra, scratch))
    for message in written:
        session.append(message)
    session.close()
    assert session.save_error is None
    loaded = read_session(path)
    assert loaded.warnings == []
    assert loaded.messages == written
    assert {k: loaded.header[k] for k in extra} == extra
