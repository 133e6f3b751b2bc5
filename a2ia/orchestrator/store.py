"""Sessions on disk: one JSON Lines file per session, written as the conversation happens.

Line 1 is a header (``{"type": "session", "id", "created", "backend", "model", "workspace"}``);
every later line is one complete message (``{"type": "message", "message": {...}}``), written
and flushed when the message is complete, or a compaction (``{"type": "summary", "upto": N,
"text": ...}``: from there on the summary stands for the first N messages). A crash loses at most the reply in flight. A
damaged line (a crash mid-write, a hand edit) is skipped with a warning when the file is
read back, never fatal.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import platformdirs
from pydantic import ValidationError

from a2ia.errors import ConfigError
from a2ia.json_text import loads
from a2ia.types import Message

SUFFIX = ".jsonl"
HEADER_TEXT_FIELDS = ("id", "created", "backend", "model", "workspace")


def sessions_dir() -> Path:
    override = os.environ.get("A2IA_DATA_DIR")
    base = Path(override) if override else platformdirs.user_data_path("a2ia")
    return base / "sessions"


def checkpoints_dir(session_id: str) -> Path:
    """Where a session keeps what a2ia's file tools changed (``checkpoints.py``), beside its file."""
    return sessions_dir() / f"{session_id}.checkpoints"


def new_session_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class SessionInfo:
    id: str
    path: Path
    created: str
    backend: str
    model: str
    workspace: str
    first_prompt: str
    messages: int


@dataclass
class LoadedSession:
    header: dict[str, Any]
    messages: list[Message]
    warnings: list[str] = field(default_factory=list)
    summary: tuple[int, str, tuple[str, ...]] | None = None  # the last compaction: (messages it covers, text, the person's words)


def drop_partial_line(path: Path) -> None:
    """Cut the file back to its last newline: a write that failed midway leaves half a line."""
    try:
        with path.open("rb+") as handle:
            end = position = handle.seek(0, os.SEEK_END)
            while position > 0:
                step = min(65_536, position)
                handle.seek(position - step)
                newline = handle.read(step).rfind(b"\n")
                if newline != -1:
                    position = position - step + newline + 1
                    break
                position -= step
            if position < end:
                handle.truncate(position)
    except OSError:
        pass  # saving has already failed and is reported; this only tidies up


class SessionFile:
    """Appends messages to one session file; every write is flushed."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def create(cls, session_id: str, header: dict[str, Any], folder: Path | None = None) -> SessionFile:
        folder = folder or sessions_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{session_id}{SUFFIX}"
        handle = path.open("x", encoding="utf-8")
        file = cls(path, handle)
        file._write({"type": "session", "id": session_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **header})
        return file

    @classmethod
    def reopen(cls, path: Path) -> SessionFile:
        """Append to a saved session; half a line left by a crash is cut first, so the next
        message is not glued onto it (and lost)."""
        drop_partial_line(path)
        handle = path.open("a", encoding="utf-8")
        return cls(path, handle)

    def append(self, message: Message) -> None:
        # Python mode, not "json": pydantic's JSON mode raises on a lone surrogate, which a
        # server's JSON can carry ("\\ud800"); json.dumps below writes it as that escape.
        self._write({"type": "message", "message": message.model_dump()})

    def append_summary(self, upto: int, text: str, said: tuple[str, ...] = ()) -> None:
        """A compaction: the summary that stands for the first ``upto`` messages from now on."""
        self._write({"type": "summary", "upto": upto, "text": text, "said": list(said)})

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: escaped (\\udXXX), it reads back the same
                line = json.dumps(record)
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError:
            pass


def read_session(path: Path) -> LoadedSession:
    """A session file's header and messages; damaged lines are skipped and reported."""
    header: dict[str, Any] = {}
    messages: list[Message] = []
    warnings: list[str] = []
    summary: tuple[int, str, tuple[str, ...]] | None = None
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                record = loads(raw.decode("utf-8"))
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                if record.get("type") == "session" and number == 1:
                    header = record
                elif record.get("type") == "message":
                    messages.append(Message.model_validate(record["message"]))
                elif record.get("type") == "summary":
                    upto, text, said = record["upto"], record["text"], record.get("said", [])
                    if not isinstance(upto, int) or not isinstance(text, str) or not 0 <= upto <= len(messages):
                        raise ValueError("a summary that does not fit the messages before it")
                    if not isinstance(said, list) or not all(isinstance(line, str) for line in said):
                        raise ValueError("a summary whose person's words are not a list of strings")
                    summary = (upto, text, tuple(said))
                else:
                    raise ValueError(f"unknown record type {record.get('type')!r}")
            except (ValueError, KeyError, ValidationError) as exc:  # JSONTextError and UnicodeDecodeError are ValueErrors
                what = "the last line" if not raw.endswith(b"\n") else f"line {number}"
                why = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
                warnings.append(f"{path.name}: skipped {what}, which is damaged ({why})")
    if not header:
        warnings.append(f"{path.name}: no session header; shown with what could be read")
    for key in HEADER_TEXT_FIELDS:
        if key in header and not isinstance(header[key], str):
            warnings.append(f"{path.name}: the header's {key!r} is not a string; left out")
            del header[key]
    return LoadedSession(header, messages, warnings, summary)


def _session_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from folder.glob(f"*{SUFFIX}")


def _text(header: dict[str, Any], key: str, default: str) -> str:
    """A header field, if it is a string (a hand-edited or damaged header may hold anything)."""
    value = header.get(key)
    return value if isinstance(value, str) else default


def list_sessions(folder: Path | None = None) -> list[SessionInfo]:
    """Every saved session, newest first."""
    infos = []
    for path in _session_files(folder or sessions_dir()):
        loaded = read_session(path)
        first = next((m.content for m in loaded.messages if m.role == "user"), "")
        infos.append(
            SessionInfo(
                id=_text(loaded.header, "id", path.stem) or path.stem,
                path=path,
                created=_text(loaded.header, "created", ""),
                backend=_text(loaded.header, "backend", "?"),
                model=_text(loaded.header, "model", "?"),
                workspace=_text(loaded.header, "workspace", ""),
                first_prompt=first,
                messages=len(loaded.messages),
            )
        )
    return sorted(infos, key=lambda i: (i.created, i.path.stat().st_mtime), reverse=True)


def find_session(which: str, folder: Path | None = None) -> Path:
    """``latest``, a full id, or an unambiguous id prefix → the session's file."""
    sessions = list_sessions(folder)
    if not sessions:
        raise ConfigError("there are no saved sessions to resume", hint="start one; it is saved as you go")
    if which == "latest":
        return sessions[0].path
    matches = [s for s in sessions if s.id == which] or [s for s in sessions if s.id.startswith(which)]
    if len(matches) != 1:
        problem = "no saved session" if not matches else f"{len(matches)} sessions"
        raise ConfigError(f"{problem} matches {which!r}", hint="a2ia-cli sessions lists them")
    return matches[0].path
