"""Context files: the instructions people write for agents, given to the model with every request.

``AGENTS.md`` (the convention Codex, Gemini CLI, opencode and goose read) or ``A2IA.md``:

1. the user's own, ``~/.config/a2ia/AGENTS.md`` (``A2IA_CONFIG_DIR`` moves it);
2. the project's, from the repository root (the nearest folder above with ``.git``; without
   one, the workspace alone) down to the workspace root, the nearest last, so it has the last
   word where they disagree.

Project files are someone else's words until the person trusts the folder (``a2ia.trust``):
they are read only when its project files apply. Each file keeps its first
``MAX_FILE_CHARS`` characters and all of them together ``MAX_TOTAL_CHARS``; a cut, an
unreadable file or one that is not text is said, and left out, and the session goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from a2ia.paths import CONTEXT_NAMES, config_dir, project_folders

MAX_FILE_CHARS = 20_000
MAX_TOTAL_CHARS = 40_000


@dataclass(frozen=True)
class ContextFile:
    path: Path
    scope: Literal["user", "project"]
    text: str  # what the model gets (its start, when cut)
    size: int  # characters in the file

    @property
    def cut(self) -> bool:
        return len(self.text) < self.size


def _candidates(workspace: Path, project: bool) -> list[tuple[Path, Literal["user", "project"]]]:
    found: list[tuple[Path, Literal["user", "project"]]] = [(config_dir() / name, "user") for name in CONTEXT_NAMES]
    if project:
        found += [(folder / name, "project") for folder in project_folders(workspace) for name in CONTEXT_NAMES]
    return found


def find_context_files(workspace: Path, *, project: bool) -> tuple[list[ContextFile], list[str]]:
    """The context files that apply, and what to tell the person (cuts, files left out)."""
    files: list[ContextFile] = []
    said: list[str] = []
    room = MAX_TOTAL_CHARS
    for path, scope in _candidates(workspace, project):
        if not path.exists():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or type(exc).__name__)
            said.append(f"context file {path} left out: {why}")
            continue
        if "\x00" in text:
            said.append(f"context file {path} left out: it is not text")
            continue
        keep = min(MAX_FILE_CHARS, room)
        if keep <= 0:
            said.append(f"context file {path} left out: the context files already hold {MAX_TOTAL_CHARS:,} characters")
            continue
        files.append(ContextFile(path, scope, text[:keep], len(text)))
        room -= min(len(text), keep)
        if len(text) > keep:
            said.append(f"context file {path} is {len(text):,} characters; the model gets its first {keep:,}")
    return files, said


def context_block(files: list[ContextFile]) -> str:
    """The files as the system prompt carries them: each marked with where it comes from."""
    parts = []
    for file in files:
        cut = f"\n[… cut: the model gets the first {len(file.text):,} of {file.size:,} characters]" if file.cut else ""
        parts.append(f"Instructions from {file.path} ({file.scope}):\n{file.text.strip()}{cut}")
    return "\n\n".join(parts)


class SubfolderContext:
    """The context files of the workspace's subfolders, given when the model works there: the
    first time one of a2ia's own file tools touches a path under such a folder, after that
    tool's result, once a session (``SessionState.context_given``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def note(self, path: object, given: set[Path]) -> str | None:
        if not isinstance(path, str) or "\x00" in path:
            return None
        try:
            target = (self.root / path).resolve()
        except (OSError, RuntimeError):
            return None
        folder = target if target.is_dir() else target.parent
        if folder == self.root or self.root not in folder.parents:
            return None
        chain = [folder, *folder.parents]
        notes = []
        for sub in reversed(chain[: chain.index(self.root)]):
            for name in CONTEXT_NAMES:
                file = sub / name
                if file in given or not file.is_file():
                    continue
                given.add(file)
                try:
                    text = file.read_text(encoding="utf-8")[:MAX_FILE_CHARS]
                except (OSError, UnicodeDecodeError):
                    continue
                where = sub.relative_to(self.root).as_posix()
                notes.append(f"[instructions from {where}/{name}, for work in {where}/]\n{text.strip()}")
        return "\n\n".join(notes) or None
