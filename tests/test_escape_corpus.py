"""Path-escape attempts against every file tool, through the real MCP path: all refused.

A true escape (``..``, absolute, ``~``, symlinks, symlinked parents) must be refused with a
tool error naming the workspace root. An encoded or odd spelling (``%2e%2e``, backslashes,
NUL bytes, look-alike dots) is not a way out on a POSIX filesystem: it must either be refused
or stay inside the root. Nothing outside the root may be read, listed, written or changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

pytestmark = pytest.mark.anyio
SECRET = "TOP SECRET"

ESCAPES = [
    "..", "../", "../.", "./..", "../secret.txt", "./../secret.txt", "../../etc/passwd", "../../../../../../etc/passwd",
    "src/../../secret.txt", "src/../../", "a/b/../../../secret.txt", "../project/../secret.txt", "src/./../../secret.txt",
    "/etc/passwd", "/", "/tmp", "//etc/passwd", "/proc/self/environ", "/root/.ssh/id_rsa", "/etc/../etc/shadow",
    "{outside}/secret.txt", "{outside}", "{root}/../secret.txt", "{root}/src/../../secret.txt",
    "~", "~/", "~/.bashrc", "~root/.ssh/authorized_keys",
    "outlink", "outlink/secret.txt", "outlink/new.txt", "parentlink", "parentlink/secret.txt", "src/uplink/secret.txt",
    "src/uplink", "linkdir/../secret.txt", "filelink", "deep/er/link/secret.txt",
]
ODD = [
    "%2e%2e/secret.txt", "..%2fsecret.txt", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..\\secret.txt", "..\\..\\secret.txt",
    "..;/secret.txt", "\u2024\u2024/secret.txt", "\uff0e\uff0e/secret.txt", "..%00/secret.txt", "../secret.txt\x00.md",
    "\x00", "file:///etc/passwd", "\\\\server\\share\\secret.txt", " ../secret.txt", "...", "....//secret.txt",
]
TOOLS = {
    "list_dir": lambda p: {"path": p},
    "read_file": lambda p: {"path": p},
    "write_file": lambda p: {"path": p, "content": "PWNED"},
    "edit_file": lambda p: {"path": p, "old_text": "TOP", "new_text": "PWNED"},
    "glob": lambda p: {"pattern": "*", "path": p},
    "grep": lambda p: {"pattern": "SECRET", "path": p},
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"") for p in sorted(folder.rglob("*"))}


@pytest.fixture
async def setup(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "deep" / "er").mkdir(parents=True)
    (root / "ok.txt").write_text("fine\n")
    (root / "outlink").symlink_to(outside)
    (root / "parentlink").symlink_to(tmp_path)
    (root / "src" / "uplink").symlink_to(Path("..") / "..")
    (root / "linkdir").symlink_to(outside)
    (root / "filelink").symlink_to(outside / "secret.txt")
    (root / "deep" / "er" / "link").symlink_to(outside)
    async with ToolRegistry() as registry:
        await registry.add_server("a2ia", make_builtin_server(Workspace(root)))
        yield registry, root, outside


def spell(path: str, root: Path, outside: Path) -> str:
    return path.format(root=root, outside=outside)


def test_the_corpus_is_large_enough() -> None:
    assert len(ESCAPES) + len(ODD) >= 50


async def test_every_escape_is_refused_by_every_file_tool(setup) -> None:
    registry, root, outside = setup
    before = snapshot(outside)
    refused = 0
    for tool, arguments in TOOLS.items():
        for attempt in ESCAPES:
            result = await registry.call(ToolCall(id="x", name=tool, arguments=arguments(spell(attempt, root, outside))))
            assert result.is_error, f"{tool}({attempt!r}) was not refused: {result.content[:200]}"
            assert "outside the workspace root" in result.content, f"{tool}({attempt!r}): {result.content[:200]}"
            assert SECRET not in result.content
            refused += 1
    assert refused == len(TOOLS) * len(ESCAPES)
    assert snapshot(outside) == before, "nothing outside the root changed"


async def test_odd_spellings_stay_inside(setup) -> None:
    registry, root, outside = setup
    before = snapshot(outside)
    for tool, arguments in TOOLS.items():
        for attempt in ODD:
            result = await registry.call(ToolCall(id="x", name=tool, arguments=arguments(attempt)))
            assert SECRET not in result.content, f"{tool}({attempt!r}) leaked the secret"
    assert snapshot(outside) == before
    for created in root.rglob("*"):
        assert created.resolve().is_relative_to(root.resolve()) or created.is_symlink()
