"""Workspace confinement: every way out is refused by where the path really leads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from a2ia.tools.workspace import OutsideWorkspace, Workspace


@pytest.fixture
def ws(workspace: Path) -> Workspace:
    return Workspace(workspace)


@pytest.mark.parametrize(
    "path",
    ["..", "../secret.txt", "src/../../secret.txt", "./../secret.txt", "src/../..", "../project/../secret.txt"],
)
def test_traversal_out_is_refused(ws: Workspace, path: str) -> None:
    with pytest.raises(OutsideWorkspace, match="outside the workspace root"):
        ws.resolve(path)


def test_absolute_path_outside_is_refused(ws: Workspace, workspace: Path) -> None:
    for path in ["/etc/passwd", "/", str(workspace.parent / "secret.txt"), "~/.ssh/id_rsa"]:
        with pytest.raises(OutsideWorkspace):
            ws.resolve(path)


def test_absolute_path_inside_is_allowed(ws: Workspace, workspace: Path) -> None:
    assert ws.resolve(str(workspace / "src" / "main.py")) == workspace.resolve() / "src" / "main.py"


def test_symlink_out_is_refused(ws: Workspace, workspace: Path) -> None:
    (workspace / "escape").symlink_to(workspace.parent / "secret.txt")
    (workspace / "escape_dir").symlink_to(workspace.parent)
    for path in ["escape", "escape_dir", "escape_dir/secret.txt"]:
        with pytest.raises(OutsideWorkspace):
            ws.resolve(path)


def test_symlink_inside_is_followed(ws: Workspace, workspace: Path) -> None:
    (workspace / "link").symlink_to(workspace / "src")
    assert ws.resolve("link/main.py") == workspace.resolve() / "src" / "main.py"


def test_root_itself_and_dot_segments_inside(ws: Workspace, workspace: Path) -> None:
    assert ws.resolve(".") == workspace.resolve()
    assert ws.resolve("src/../README.md") == workspace.resolve() / "README.md"


def test_nul_byte_is_refused(ws: Workspace) -> None:
    with pytest.raises(OutsideWorkspace, match="NUL"):
        ws.resolve("README.md\x00.txt")


def test_root_given_through_a_symlink(tmp_path: Path, workspace: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(workspace)
    ws = Workspace(alias)
    assert ws.root == Path(os.path.realpath(workspace))
    assert ws.resolve("README.md").read_text().startswith("# Demo")


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        Workspace(tmp_path / "missing")
