"""Where a2ia keeps its own files, and which files of a folder are that folder's own config.

``PROJECT_FILES`` is the one table of a folder's project files: every file under
``<folder>/.a2ia/`` that changes what a2ia does there. They take effect only in a folder the
person trusts (``a2ia.trust``); a later file type is added here and is covered by trust.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

PROJECT_DIR = ".a2ia"
PROJECT_FILES: tuple[str, ...] = ("config.toml", "mcp.json")


def config_dir() -> Path:
    """The user's config folder (``~/.config/a2ia``; ``A2IA_CONFIG_DIR`` moves it)."""
    override = os.environ.get("A2IA_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path("a2ia")


def project_file(workspace: Path, name: str) -> Path:
    assert name in PROJECT_FILES, name
    return workspace / PROJECT_DIR / name
