"""The workspace root: the one folder file tools may touch.

Paths are resolved to real paths (every symlink followed) before the check, so ``..``,
absolute paths elsewhere and symlinks that point out of the root are all refused the same
way: by where they really lead, not by how they are spelled.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutsideWorkspace(ValueError):
    """A path that leads outside the workspace root. Tools turn it into a tool error."""


class Workspace:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.realpath(root))
        if not self.root.is_dir():
            raise NotADirectoryError(f"workspace root is not a directory: {self.root}")

    def resolve(self, path: str) -> Path:
        """The real path of ``path`` (relative to the root), refused if it leaves the root."""
        if "\x00" in path:
            raise OutsideWorkspace("path contains a NUL byte")
        candidate = Path(path).expanduser() if path.startswith("~") else Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = Path(os.path.realpath(candidate))
        if real != self.root and self.root not in real.parents:
            raise OutsideWorkspace(
                f"{path!r} is outside the workspace root {self.root}; "
                "file tools only work on paths inside it (use a relative path)"
            )
        return real

    def relative(self, real: Path) -> str:
        """How to show a resolved path to the model: relative to the root, ``.`` for the root."""
        rel = real.relative_to(self.root)
        return str(rel) if str(rel) != "." else "."
