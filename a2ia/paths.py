"""Where a2ia keeps its own files, and which files of a folder are that folder's own config.

``project_files`` is the one table of a folder's project files: every file that changes what
a2ia does there. They are ``<folder>/.a2ia/``'s files (``PROJECT_FILES``) and the context
files (``CONTEXT_NAMES``: instructions for the model) of the folder and of the folders above it
up to its repository's root. They take effect only in a folder the person trusts
(``a2ia.trust``); a later file type is added here and is covered by trust.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

PROJECT_DIR = ".a2ia"
PROJECT_FILES: tuple[str, ...] = ("config.toml", "mcp.json")  # under .a2ia/
CONTEXT_NAMES: tuple[str, ...] = ("AGENTS.md", "A2IA.md")  # at a folder's root


def config_dir() -> Path:
    """The user's config folder (``~/.config/a2ia``; ``A2IA_CONFIG_DIR`` moves it)."""
    override = os.environ.get("A2IA_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path("a2ia")


def project_file(workspace: Path, name: str) -> Path:
    assert name in PROJECT_FILES, name
    return workspace / PROJECT_DIR / name


def repository_root(folder: Path) -> Path:
    """The nearest folder at or above ``folder`` holding ``.git``; ``folder`` itself without one."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def project_folders(folder: Path) -> list[Path]:
    """The folders whose context files apply to ``folder``: its repository's root first, it last."""
    chain = [folder, *folder.parents]
    return list(reversed(chain[: chain.index(repository_root(folder)) + 1]))


def project_files(folder: Path) -> dict[str, Path]:
    """Every project file ``folder`` may have, by the name trust records: ``.a2ia/``'s by their
    path in it (``config.toml``, ``commands/review.md``), context files by their path from the
    folder (``../AGENTS.md`` for one above it)."""
    files = {name: project_file(folder, name) for name in PROJECT_FILES}
    commands = folder / PROJECT_DIR / "commands"
    if commands.is_dir():  # custom commands (cli/custom_commands.py), one file each
        for path in sorted(p for p in commands.rglob("*") if p.suffix in (".md", ".toml") and p.is_file()):
            files[path.relative_to(folder / PROJECT_DIR).as_posix()] = path
    for parent in project_folders(folder):
        for name in CONTEXT_NAMES:
            files[os.path.relpath(parent / name, folder)] = parent / name
    return files


def shown_name(name: str) -> str:
    """A project file's name as a person reads it, from the folder."""
    return name if name in CONTEXT_NAMES or name.startswith("..") else f"{PROJECT_DIR}/{name}"
