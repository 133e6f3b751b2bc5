"""The file tools' work, confined to the workspace: list, read, write, edit, glob, grep.

Plain functions over a ``Workspace``; ``builtin.py`` serves them over MCP. A refusal or a
failure raises ``ToolFailure`` with a message for the model (``builtin.py`` turns it into an
MCP tool error). Every path goes through ``Workspace.resolve``, which follows symlinks before
it checks, so nothing here can reach outside the root.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

from a2ia.tools.workspace import OutsideWorkspace, Workspace

MAX_LIST_ENTRIES = 500
MAX_READ_CHARS = 32_000
MAX_WRITE_CHARS = 1_000_000
MAX_GLOB_RESULTS = 500
MAX_GREP_MATCHES = 200
MAX_GREP_FILE_BYTES = 2_000_000
MAX_GREP_LINE_CHARS = 300
SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache"})


class ToolFailure(Exception):
    """A tool could not do what was asked; the message goes back to the model."""


def resolve(workspace: Workspace, path: str) -> Path:
    try:
        real = workspace.resolve(path)
        real.exists()  # an unusable name (too long, …) fails here
    except OutsideWorkspace as exc:
        raise ToolFailure(str(exc)) from None
    except OSError as exc:
        raise ToolFailure(f"cannot use the path {path[:80]!r}: {exc.strerror or exc}") from None
    return real


def _existing_file(workspace: Workspace, path: str) -> Path:
    real = resolve(workspace, path)
    if not real.exists():
        raise ToolFailure(f"{path!r} does not exist")
    if real.is_dir():
        raise ToolFailure(f"{path!r} is a folder; use list_dir to see what is in it")
    return real


def read_text(real: Path, path: str, limit_bytes: int) -> str:
    """A text file's first ``limit_bytes`` as text; a ``ToolFailure`` for one that cannot be read or is binary."""
    try:
        with real.open("rb") as handle:
            data = handle.read(limit_bytes)
    except OSError as exc:
        raise ToolFailure(f"cannot read {path!r}: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192]:
        raise ToolFailure(f"{path!r} looks like a binary file; the file tools read text only")
    return data.decode("utf-8", errors="replace")


def list_dir(workspace: Workspace, path: str = ".") -> str:
    real = resolve(workspace, path)
    if not real.exists():
        raise ToolFailure(f"{path!r} does not exist")
    if not real.is_dir():
        raise ToolFailure(f"{path!r} is a file, not a folder; use read_file to read it")
    try:
        entries = sorted(real.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
    except OSError as exc:
        raise ToolFailure(f"cannot list {path!r}: {exc.strerror or exc}") from None
    lines = [e.name + ("/" if e.is_dir() else "") for e in entries[:MAX_LIST_ENTRIES]]
    if len(entries) > MAX_LIST_ENTRIES:
        lines.append(f"… and {len(entries) - MAX_LIST_ENTRIES} more entries")
    return "\n".join(lines) if lines else f"({workspace.relative(real)} is empty)"


def read_file(workspace: Workspace, path: str, offset: int = 1, limit: int | None = None) -> str:
    """The file's text; ``offset`` (1-based line) and ``limit`` (lines) select a range."""
    if offset < 1:
        raise ToolFailure("offset is the first line to read, counted from 1")
    real = _existing_file(workspace, path)
    ranged = offset > 1 or limit is not None
    text = read_text(real, path, MAX_WRITE_CHARS * 4 if ranged else MAX_READ_CHARS * 4 + 1)
    if ranged:
        lines = text.splitlines(keepends=True)
        if offset > len(lines) and lines:
            raise ToolFailure(f"{path!r} has {len(lines)} lines; offset {offset} is past the end")
        end = len(lines) if limit is None else min(len(lines), offset - 1 + limit)
        text = "".join(lines[offset - 1 : end])
        header = f"[lines {offset}-{end} of {len(lines)}]\n"
        if len(text) > MAX_READ_CHARS:
            text = text[:MAX_READ_CHARS] + f"\n… (truncated at {MAX_READ_CHARS} characters; read a smaller range)"
        return header + text
    if len(text) > MAX_READ_CHARS:
        shown = text[:MAX_READ_CHARS]
        return shown + f"\n… (truncated at {MAX_READ_CHARS} characters, line {shown.count(chr(10)) + 1}; use offset and limit to read on)"
    return text


def write_file(workspace: Workspace, path: str, content: str) -> str:
    if len(content) > MAX_WRITE_CHARS:
        raise ToolFailure(f"content is {len(content)} characters; write_file takes at most {MAX_WRITE_CHARS}")
    real = resolve(workspace, path)
    if real.is_dir():
        raise ToolFailure(f"{path!r} is a folder")
    existed = real.exists()
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        resolve(workspace, str(real.parent))  # the created parents are inside too (re-checked after mkdir)
        real.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise ToolFailure(f"cannot write {path!r}: {exc.strerror or exc}") from None
    return f"{'overwrote' if existed else 'created'} {workspace.relative(real)} ({len(content.encode())} bytes)"


def planned_edit(workspace: Workspace, path: str, old_text: str, new_text: str, replace_all: bool = False) -> tuple[Path, str, str, int]:
    """What ``edit_file`` would do: the file, its text before and after, the places replaced;
    a ``ToolFailure`` when the text is missing or, unless ``replace_all``, ambiguous."""
    if not old_text:
        raise ToolFailure("old_text is empty; give the exact text to replace (use write_file to create a file)")
    real = _existing_file(workspace, path)
    text = read_text(real, path, MAX_WRITE_CHARS * 4)
    count = text.count(old_text)
    if count == 0:
        raise ToolFailure(f"old_text was not found in {path!r}; read the file and copy the exact text, whitespace included")
    if count > 1 and not replace_all:
        raise ToolFailure(
            f"old_text matches {count} places in {path!r}; include more surrounding lines to pick one, or set replace_all"
        )
    updated = text.replace(old_text, new_text) if replace_all else text.replace(old_text, new_text, 1)
    return real, text, updated, count


def edit_file(workspace: Workspace, path: str, old_text: str, new_text: str, replace_all: bool = False) -> str:
    """Replace an exact piece of text; refuses when it is missing or, unless ``replace_all``, ambiguous."""
    real, _, updated, count = planned_edit(workspace, path, old_text, new_text, replace_all)
    try:
        real.write_text(updated, encoding="utf-8")
    except OSError as exc:
        raise ToolFailure(f"cannot write {path!r}: {exc.strerror or exc}") from None
    return f"replaced {count if replace_all else 1} occurrence{'s' if replace_all and count > 1 else ''} in {workspace.relative(real)}"


def _walk(workspace: Workspace, base: Path):
    """``(path as found, real path)`` of the files under ``base`` (a real path in the workspace),
    skipping tool and VCS folders and any symlink that leads out."""
    for folder, dirs, files in os.walk(base, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            candidate = Path(folder) / name
            try:
                real = workspace.resolve(str(candidate))
            except OutsideWorkspace:
                continue
            yield candidate, real


def glob(workspace: Workspace, pattern: str, path: str = ".") -> str:
    """Files under ``path`` whose path relative to it matches ``pattern`` (``**`` crosses folders)."""
    if os.path.isabs(pattern) or ".." in Path(pattern).parts:
        raise ToolFailure("the pattern must be relative and stay inside the folder (no '..', no absolute paths)")
    base = resolve(workspace, path)
    if not base.is_dir():
        raise ToolFailure(f"{path!r} is not a folder")
    regex = re.compile(_glob_to_regex(pattern))
    found = []
    for candidate, _real in _walk(workspace, base):
        if regex.fullmatch(candidate.relative_to(base).as_posix()):
            found.append(workspace.relative(candidate))
            if len(found) > MAX_GLOB_RESULTS:
                break
    return _listing(found, MAX_GLOB_RESULTS, f"no files match {pattern!r} under {path!r}", "files; narrow the pattern")


def _listing(lines: list[str], limit: int, empty: str, over: str) -> str:
    """``lines`` one per line, at most ``limit`` of them (a search stops at ``limit + 1``)."""
    if not lines:
        return empty
    more = f"\n… (more than {limit} {over})" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def _glob_to_regex(pattern: str) -> str:
    """``**/`` any folders (or none), ``*`` and ``?`` within one path part, ``[...]`` as in fnmatch."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i : end + 1])[4:-3])
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def grep(workspace: Workspace, pattern: str, path: str = ".", glob_pattern: str | None = None, ignore_case: bool = False) -> str:
    """Lines matching a regular expression, as ``file:line: text``."""
    try:
        regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ToolFailure(f"the pattern is not a valid regular expression: {exc}") from None
    base = resolve(workspace, path)
    targets = [(base, base)] if base.is_file() else list(_walk(workspace, base)) if base.is_dir() else None
    if targets is None:
        raise ToolFailure(f"{path!r} does not exist")
    name_filter = re.compile(_glob_to_regex(glob_pattern)) if glob_pattern else None
    matches: list[str] = []
    for candidate, real in targets:
        rel = workspace.relative(candidate)
        if name_filter and not (name_filter.fullmatch(candidate.name) or name_filter.fullmatch(rel)):
            continue
        try:
            if real.stat().st_size > MAX_GREP_FILE_BYTES:
                continue
            data = real.read_bytes()
        except OSError:
            continue
        if b"\x00" in data[:8192]:
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            if regex.search(line):
                shown = line if len(line) <= MAX_GREP_LINE_CHARS else line[:MAX_GREP_LINE_CHARS] + "…"
                matches.append(f"{rel}:{number}: {shown}")
                if len(matches) > MAX_GREP_MATCHES:
                    break
        if len(matches) > MAX_GREP_MATCHES:
            break
    return _listing(matches, MAX_GREP_MATCHES, f"no lines match {pattern!r}", "matches; narrow the pattern or the path")
