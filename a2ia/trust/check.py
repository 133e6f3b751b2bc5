"""Whether a workspace's project files apply: the trust decision, made from the store.

=========  ===========================================================  =======
state      when                                                         applies
=========  ===========================================================  =======
none       the folder has no project files                              (yes)
once       ``--trust`` was given for this run                           yes
trusted    the folder or a parent is trusted, and the folder's own      yes
           recorded files are unchanged
changed    the folder is trusted, but its project files changed since   no
untrusted  neither the folder nor a parent is trusted                   no
broken     the trust store cannot be read (``TrustStoreError``)         no
=========  ===========================================================  =======

A parent's trust covers its subfolders as they are and as they change; a folder trusted
itself records its files, and any change asks again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from a2ia.hints import setting
from a2ia.paths import project_files, shown_name
from a2ia.trust.store import TrustEntry, TrustStore, TrustStoreError, real_folder

TrustState = Literal["none", "once", "trusted", "changed", "untrusted", "broken"]


def project_digests(folder: Path) -> dict[str, str]:
    """The project files that exist for ``folder``, each with the digest of its bytes."""
    digests: dict[str, str] = {}
    for name, path in project_files(folder).items():
        try:
            digests[name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            continue
        except OSError as exc:  # present but unreadable (a folder, no permission): it still counts
            digests[name] = f"unreadable:{exc.errno}"
    return digests


@dataclass(frozen=True)
class TrustCheck:
    folder: Path  # the workspace's real path
    state: TrustState
    digests: dict[str, str] = field(default_factory=dict)
    entry: TrustEntry | None = None
    error: str | None = None

    @property
    def applies(self) -> bool:
        return self.state in ("none", "once", "trusted")

    @property
    def can_ask(self) -> bool:
        """A question a terminal can put: trust this folder (or its changed files)?"""
        return self.state in ("untrusted", "changed")

    def file_names(self) -> str:
        return ", ".join(shown_name(name) for name in self.digests)

    def changed_files(self) -> list[str]:
        old = self.entry.files if self.entry else {}
        names = sorted(set(old) | set(self.digests))
        return [name for name in names if old.get(name) != self.digests.get(name)]

    def notice(self) -> str | None:
        """What a front end says when the files are ignored (no terminal to ask, or "not now")."""
        if self.applies:
            return None
        files = self.file_names()
        if self.state == "broken":
            return f"ignored {files}: {self.error}"
        why = "changed since you trusted this folder" if self.state == "changed" else "this folder is not trusted"
        return f"ignored {files} ({why}); to use them: a2ia-cli trust {self.folder} (or {setting('trust')} for one run)"


def check_trust(workspace: Path, *, once: bool = False, store: TrustStore | None = None) -> TrustCheck:
    folder = real_folder(workspace)
    digests = project_digests(folder)
    if not digests:
        return TrustCheck(folder, "none")
    if once:
        return TrustCheck(folder, "once", digests)
    try:
        entry = (store or TrustStore()).find(folder)
    except TrustStoreError as exc:
        return TrustCheck(folder, "broken", digests, error=str(exc))
    if entry is None:
        return TrustCheck(folder, "untrusted", digests)
    if entry.folder == folder and entry.files != digests:
        return TrustCheck(folder, "changed", digests, entry)
    return TrustCheck(folder, "trusted", digests, entry)
