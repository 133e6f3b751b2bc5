"""Grounded path arguments: where decoding is constrained, a path can only name what is there.

A small model asked "What is in a.txt?" invents ``path/to/folder/file.txt``; a schema-valid
call that names nothing is useless. For a2ia's own file tools, the schema the arguments are
decoded under (``ToolSpec.decoding_schema``) narrows ``path`` to the workspace's real entries:
an ``enum`` of files for ``read_file``/``edit_file``, of folders for ``list_dir``/``glob``, of
both for ``grep``, and for ``write_file`` a ``pattern`` that admits a new file name only under
an existing folder. The schema calls are *checked* against stays ``input_schema``.

Entries are scanned afresh for each step (a file written in one step can be read in the
next), skipping tool and VCS folders and what the root ``.gitignore`` ignores, and bounded: a
workspace with more than ``MAX_ENTRIES`` entries is not grounded (the enum would cost more
than it saves; the tools' own errors still say what exists). MCP servers' tools are decoded
under the ``enum``/``pattern`` their own schemas declare.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path

from a2ia.tools.files import SKIPPED_DIRS
from a2ia.types import ToolSpec

MAX_ENTRIES = 200
FILES, FOLDERS, ANY, NEW_FILE = "files", "folders", "any", "new file"
PATH_ARGUMENT = {"read_file": FILES, "edit_file": FILES, "list_dir": FOLDERS, "glob": FOLDERS, "grep": ANY, "write_file": NEW_FILE}


@dataclass(frozen=True)
class Entries:
    files: tuple[str, ...]
    folders: tuple[str, ...]  # "." first


def _ignored(root: Path):
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return lambda _rel, _is_dir: False
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return lambda rel, is_dir: spec.match_file(rel + "/" if is_dir else rel)


def scan(root: Path, limit: int = MAX_ENTRIES) -> Entries | None:
    """The workspace's files and folders (relative, ``/``-separated), or None past ``limit``."""
    ignored = _ignored(root)
    files: list[str] = []
    folders: list[str] = ["."]
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder).relative_to(root)
        kept = []
        for d in sorted(dirs):
            rel = (base / d).as_posix()
            if d not in SKIPPED_DIRS and not ignored(rel, True) and not os.path.islink(os.path.join(folder, d)):
                kept.append(d)
                folders.append(rel)
        dirs[:] = kept
        files += [(base / n).as_posix() for n in sorted(names) if not ignored((base / n).as_posix(), False)]
        if len(files) + len(folders) > limit:
            return None
    return Entries(tuple(files), tuple(folders))


def _path_schema(kind: str, entries: Entries, original: dict) -> dict | None:
    if kind == NEW_FILE:
        under = "|".join(re.escape(f) for f in entries.folders if f != ".")
        name = r"[^/\\]{1,120}"
        pattern = f"^(({under})/)?{name}$" if under else f"^{name}$"
        return {**original, "pattern": pattern}
    values = {FILES: entries.files, FOLDERS: entries.folders, ANY: (*entries.folders, *entries.files)}[kind]
    if not values:
        return None
    return {k: v for k, v in original.items() if k not in ("maxLength", "pattern")} | {"enum": list(values)}


def ground(specs: list[ToolSpec], root: Path) -> list[ToolSpec]:
    """``specs`` with a grounded ``decoding_schema`` for a2ia's own path arguments (see above)."""
    targets = [s for s in specs if s.builtin and s.name in PATH_ARGUMENT]
    if not targets or (entries := scan(root)) is None:
        return specs
    out = []
    for spec in specs:
        kind = PATH_ARGUMENT.get(spec.name) if spec.builtin else None
        path = (spec.input_schema.get("properties") or {}).get("path") if kind else None
        grounded = _path_schema(kind, entries, path) if isinstance(path, dict) else None
        if grounded is None:
            out.append(spec)
            continue
        schema = copy.deepcopy(spec.input_schema)
        schema["properties"]["path"] = grounded
        out.append(spec.model_copy(update={"decoding_schema": schema}))
    return out
