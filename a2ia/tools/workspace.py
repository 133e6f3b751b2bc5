"""The workspace: the folders file tools may touch. Its root, and the folders added to it
(``--add-dir``, ``/add-dir``), which MCP servers are also given as roots.

Paths are resolved to real paths (every symlink followed) before the check, so ``..``,
absolute paths elsewhere and symlinks that point out of the folders are all refused the same
way: by where they really lead, not by how they are spelled. A relative path is relative to
the root; a path in an added folder is shown whole.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutsideWorkspace(ValueError):
    """A path that leads outside the workspace. Tools turn it into a tool error."""


def _real_dir(path: str | os.PathLike[str], what: str) -> Path:
    real = Path(os.path.realpath(Path(path).expanduser()))
    if not real.is_dir():
        raise NotADirectoryError(f"{what} is not a directory: {real}")
    return real


class Workspace:
    def __init__(self, root: str | os.PathLike[str], added: tuple[str | os.PathLike[str], ...] = ()) -> None:
        self.root = _real_dir(root, "workspace root")
        self.added: list[Path] = []
        for path in added:
            self.add(path)

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.root, *self.added)

    def add(self, path: str | os.PathLike[str]) -> bool:
        """Add a folder; ``False`` when it is already inside one (``NotADirectoryError``: not a folder)."""
        real = _real_dir(path, "the folder to add")
        if self._within(real) is not None:
            return False
        self.added.append(real)
        return True

    def _within(self, real: Path) -> Path | None:
        return next((root for root in self.roots if real == root or root in real.parents), None)

    def resolve(self, path: str) -> Path:
        """The real path of ``path`` (relative to the root), refused if it leaves the workspace."""
        if "\x00" in path:
            raise OutsideWorkspace("path contains a NUL byte")
        candidate = Path(path).expanduser() if path.startswith("~") else Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = Path(os.path.realpath(candidate))
        if self._within(real) is None:
            added = f" and the added folders {', '.join(map(str, self.added))}" if self.added else ""
            raise OutsideWorkspace(
                f"{path!r} is outside the workspace root {self.root}{added}; "
                "file tools only work on paths inside it (use a relative path)"
            )
        return real

    def locate(self, path: object) -> Path | None:
        """The real path ``path`` names inside the workspace, or ``None`` (not a path, or outside)."""
        if not isinstance(path, str):
            return None
        try:
            return self.resolve(path)
        except (OutsideWorkspace, OSError):
            return None

    def relative(self, path: Path) -> str:
        """How to show a path to the model: relative to the root (``.`` for the root), whole in an
        added folder."""
        root = self._within(path)
        if root is None or root != self.root:
            return path.as_posix()
        rel = path.relative_to(self.root).as_posix()
        return rel if rel != "." else "."
