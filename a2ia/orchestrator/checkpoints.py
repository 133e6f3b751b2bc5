"""Checkpoints: what a2ia's own file tools changed, per turn, so ``/undo`` can put it back.

Before ``write_file`` or ``edit_file`` runs, the file's bytes (or its absence) are kept; after
it, what it wrote. Kept in the session's data dir (``<session>.checkpoints/``: an index of one
JSON line per change, and the contents by digest), never in the person's git. ``/undo``
restores the last turn's changes, newest first; a file changed since a2ia wrote it (by hand,
by a shell command) is not touched, and said so. Shell commands are listed as what they are:
their effects cannot be undone. Without a folder (saving off) the checkpoints live in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

EDITS = frozenset({"write_file", "edit_file"})


@dataclass(frozen=True)
class Change:
    turn: int
    tool: str
    path: str  # the real path
    before: str | None  # digest of the bytes before; None: the file did not exist
    after: str | None  # digest of what the tool left; None: no file (the call failed before writing)


class Checkpoints:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.changes: list[Change] = []
        self._blobs: dict[str, bytes] = {}  # in memory when there is no folder
        if folder is not None and (folder / "index.jsonl").exists():
            self.changes = list(_read_index(folder / "index.jsonl"))

    # --- keeping -------------------------------------------------------------------------------

    def _keep(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self.folder is None:
            self._blobs[digest] = data
        else:
            blob = self.folder / "blobs" / digest
            if not blob.exists():
                blob.parent.mkdir(parents=True, exist_ok=True)
                blob.write_bytes(data)
        return digest

    def _blob(self, digest: str) -> bytes:
        return self._blobs[digest] if self.folder is None else (self.folder / "blobs" / digest).read_bytes()

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def before(self, path: Path) -> str | None:
        """Keep the file as it is now; its digest (``None``: it does not exist)."""
        data = self._read(path)
        return None if data is None else self._keep(data)

    def record(self, turn: int, tool: str, path: Path, before: str | None) -> None:
        """After the tool ran: what it left, kept with what was there before (no change: nothing)."""
        data = self._read(path)
        after = None if data is None else self._keep(data)
        if after == before:
            return
        self._add(Change(turn, tool, str(path), before, after))

    def note_shell(self, turn: int, command: str) -> None:
        self._add(Change(turn, "run_shell", command, None, None))

    def _add(self, change: Change) -> None:
        self.changes.append(change)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / "index.jsonl").open("a") as index:
                index.write(json.dumps(asdict(change)) + "\n")

    # --- undoing -------------------------------------------------------------------------------

    def turns(self) -> list[int]:
        return sorted({c.turn for c in self.changes})

    def undo(self, count: int = 1) -> list[str]:
        """Put back the file changes of the last ``count`` turns that made any; what happened, a line each."""
        lines: list[str] = []
        undoable = sorted({c.turn for c in self.changes if c.tool in EDITS})
        for turn in reversed(undoable[-count:] if count > 0 else []):
            for change in reversed([c for c in self.changes if c.turn == turn and c.tool in EDITS]):
                lines.append(self._restore(change))
            self.changes = [c for c in self.changes if c.turn != turn]
        if self.folder is not None and self.folder.exists():
            (self.folder / "index.jsonl").write_text("".join(json.dumps(asdict(c)) + "\n" for c in self.changes))
        return lines or ["nothing to undo: a2ia's file tools changed nothing in this session"]

    def _restore(self, change: Change) -> str:
        try:
            return self._put_back(change)
        except (OSError, KeyError) as exc:
            why = getattr(exc, "strerror", None) or "its kept copy is gone"
            return f"not restored: {change.path} ({why})"

    def _put_back(self, change: Change) -> str:
        path = Path(change.path)
        now = self._read(path)
        if (None if now is None else hashlib.sha256(now).hexdigest()) != change.after:
            return f"not restored: {path} was changed after a2ia's {change.tool} (by hand or by a command); left as it is"
        if change.before is None:
            os.unlink(path)
            return f"removed {path} (a2ia's {change.tool} had created it)"
        path.write_bytes(self._blob(change.before))
        return f"restored {path} (as before a2ia's {change.tool})"

    def listing(self) -> str:
        if not self.changes:
            return "no changes: a2ia's file tools changed nothing in this session"
        lines = []
        for turn in self.turns():
            lines.append(f"turn {turn}:")
            for c in (c for c in self.changes if c.turn == turn):
                if c.tool == "run_shell":
                    lines.append(f"  ran {c.path}  (a shell command: its effects cannot be undone)")
                else:
                    what = "created" if c.before is None else "removed" if c.after is None else "changed"
                    lines.append(f"  {what} {c.path}  ({c.tool})")
        return "\n".join([*lines, "/undo puts back the last turn's file changes, /undo N the last N turns'"])


def _read_index(path: Path):
    """The kept changes; a line cut short (a crash mid-write) or damaged is skipped."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            yield Change(**json.loads(line))
        except (ValueError, TypeError):
            continue
