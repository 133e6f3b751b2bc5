"""The trust store: the folders the person trusts, kept in ``<config dir>/trusted_folders.json``.

::

    {"version": 1, "folders": {"/home/me/src/app": {
        "trusted_at": "2026-12-01T10:00:00+00:00",
        "files": {"mcp.json": "sha256:…"},          # the project files as they were trusted
        "summary": ["server lint runs: npx lint-mcp", …]}}}   # what they did then

Folders are real paths (symlinks resolved); a folder's entry covers its subfolders. A store
that cannot be read or parsed is a ``TrustStoreError``: it counts as "nothing trusted", and is
never replaced by a write (the person fixes or removes it; the error names the file).
Writes go to a temporary file renamed over the store, under an exclusive lock, so two a2ia
processes trusting at once both land.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from a2ia.errors import ConfigError
from a2ia.hints import setting
from a2ia.json_text import JSONTextError, loads
from a2ia.paths import config_dir

STORE_NAME = "trusted_folders.json"
VERSION = 1


class TrustStoreError(ConfigError):
    """The trust store is unreadable or malformed: nothing counts as trusted."""


def store_path() -> Path:
    return config_dir() / STORE_NAME


def real_folder(folder: Path) -> Path:
    """The folder as the store keys it: absolute, symlinks resolved."""
    return Path(os.path.realpath(os.path.expanduser(folder)))


@dataclass(frozen=True)
class TrustEntry:
    folder: Path
    trusted_at: str = ""
    files: dict[str, str] = field(default_factory=dict)
    summary: tuple[str, ...] = ()

    def covers(self, folder: Path) -> bool:
        return folder == self.folder or self.folder in folder.parents


class TrustStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or store_path()

    def _broken(self, why: str) -> TrustStoreError:
        return TrustStoreError(
            f"the trust store {self.path} {why}; no folder counts as trusted until it is fixed",
            hint=(
                "fix the file or remove it (then trust folders again with a2ia-cli trust); "
                f"{setting('trust')} applies a folder's files for one run"
            ),
        )

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"version": VERSION, "folders": {}}
        except (OSError, UnicodeDecodeError) as exc:
            raise self._broken(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
        try:
            data = loads(text)
        except JSONTextError:
            raise self._broken("is not valid JSON") from None
        folders = data.get("folders") if isinstance(data, dict) else None
        if not isinstance(folders, dict) or data.get("version") != VERSION:
            raise self._broken(f'is not a version-{VERSION} store ({{"version": 1, "folders": {{…}}}})')
        for key, value in folders.items():
            if not (os.path.isabs(key) and isinstance(value, dict) and isinstance(value.get("files", {}), dict)):
                raise self._broken(f"has a malformed entry for {key!r}")
        return data

    def entries(self) -> list[TrustEntry]:
        folders = self._read()["folders"]
        return [
            TrustEntry(
                folder=Path(key),
                trusted_at=str(value.get("trusted_at", "")),
                files={str(k): str(v) for k, v in value.get("files", {}).items()},
                summary=tuple(str(line) for line in value.get("summary", []) if isinstance(line, str)),
            )
            for key, value in sorted(folders.items())
        ]

    def find(self, folder: Path) -> TrustEntry | None:
        """The entry that covers ``folder`` (a real path): its own, else the nearest parent's."""
        covering = [e for e in self.entries() if e.covers(folder)]
        return max(covering, key=lambda e: len(e.folder.parts), default=None)

    def trust(self, folder: Path, files: dict[str, str], summary: list[str]) -> TrustEntry:
        entry = TrustEntry(real_folder(folder), datetime.now(timezone.utc).isoformat(timespec="seconds"), dict(files), tuple(summary))
        with self._locked() as data:
            data["folders"][str(entry.folder)] = {"trusted_at": entry.trusted_at, "files": entry.files, "summary": list(entry.summary)}
        return entry

    def untrust(self, folder: Path) -> bool:
        """Forget ``folder``'s own entry; False when it had none (a parent's trust is left alone)."""
        with self._locked() as data:
            return data["folders"].pop(str(real_folder(folder)), None) is not None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """The store's data to change, written back atomically when the block ends."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(STORE_NAME + ".lock"), "a")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise TrustStoreError(f"cannot write the trust store {self.path}: {exc.strerror or exc}") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()  # a broken store raises here: it is never overwritten
            yield data
            try:
                handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".trusted_folders.")
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(data, out, indent=2, ensure_ascii=False)
                    out.write("\n")
                os.replace(temp, self.path)
            except OSError as exc:
                with contextlib.suppress(OSError, UnboundLocalError):
                    os.unlink(temp)
                raise TrustStoreError(f"cannot write the trust store {self.path}: {exc.strerror or exc}") from None
