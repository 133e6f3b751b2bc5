"""Shared pieces of the sandbox tests: the skip when bubblewrap is missing, an outside world
to attack (a folder, a home with credentials, a2ia's config, listening servers, a process),
and a snapshot of it that any change shows up in."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from a2ia.sandbox.policy import make_policy
from a2ia.sandbox.support import probe

SECRET = "PRIVATE-KEY-MATERIAL"
BWRAP_HINT = "the sandbox is not available here ({}); apt-get install bubblewrap (.ci/run does)"


def require_sandbox(backend: str = "bwrap"):
    support = probe(backend)
    if not support.available:
        pytest.skip(BWRAP_HINT.format(support.detail) if backend == "bwrap" else f"no Landlock here: {support.detail}")
    return support


def sandbox_for(root: Path, mode: str = "workspace-write", *, backend: str = "bwrap", **policy):
    return require_sandbox(backend).sandbox(make_policy(mode, root, **policy))


def fingerprint(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: kind, mode, owner, times (ctime catches chmod/chown/xattrs), content."""
    seen: dict[str, tuple] = {}
    for path in sorted([folder, *folder.rglob("*")]):
        info = path.lstat()
        body = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else ""
        seen[str(path.relative_to(folder))] = (info.st_mode, info.st_uid, info.st_mtime_ns, info.st_ctime_ns, body)
    return seen


class Listener:
    """A server outside the sandbox that counts whoever reaches it."""

    def __init__(self, family: int, kind: int, address) -> None:
        self.sock = socket.socket(family, kind)
        self.sock.bind(address)
        self.reached = 0
        self.stream = kind == socket.SOCK_STREAM
        if self.stream:
            self.sock.listen(8)
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                if self.stream:
                    conn, _ = self.sock.accept()
                    conn.close()
                else:
                    self.sock.recv(1024)
                self.reached += 1
            except (TimeoutError, socket.timeout, OSError):
                continue

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


@dataclass
class World:
    base: Path  # outside the temp dir: nothing here is writable to a sandboxed command
    root: Path  # the workspace
    outside: Path
    home: Path
    config: Path
    tcp_port: int = 0
    udp_port: int = 0
    tcp6_port: int = 0
    unix_path: Path = Path()
    unix_tmp_path: Path = Path()
    abstract: str = ""
    victim: subprocess.Popen | None = None
    listeners: list[Listener] = field(default_factory=list)

    def state(self) -> dict[str, dict]:
        return {"outside": fingerprint(self.outside), "home": fingerprint(self.home), "config": fingerprint(self.config)}

    def reached(self) -> list[int]:
        return [listener.reached for listener in self.listeners]


@contextmanager
def outside_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A workspace and an outside world under /var/tmp (the sandbox lets commands write /tmp)."""
    base = Path(tempfile.mkdtemp(prefix="a2ia-escape-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None))
    root, outside, home = base / "project", base / "outside", base / "home"
    config = home / ".config" / "a2ia"  # where a person's is (the conftest's is in the temp dir)
    for folder in (root, outside, home / ".ssh", home / ".aws", home / ".gnupg", config):
        folder.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# inside\n")
    (outside / "target.txt").write_text("original\n")
    (home / ".ssh" / "id_rsa").write_text(SECRET + "\n")
    (home / ".aws" / "credentials").write_text(f"aws_secret_access_key = {SECRET}\n")
    (home / ".gnupg" / "secring.gpg").write_text(SECRET + "\n")
    (home / ".bashrc").write_text("# bashrc\n")
    (config / "trusted_folders.json").write_text('{"version": 1, "folders": {}}\n')
    (config / "config.toml").write_text('approval = "ask"\n')
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("A2IA_CONFIG_DIR", str(config))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    world = World(base, root, outside, home, config)
    tcp = Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0))
    udp = Listener(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0))
    tcp6 = Listener(socket.AF_INET6, socket.SOCK_STREAM, ("::1", 0)) if socket.has_ipv6 else None
    world.unix_path, world.unix_tmp_path = base / "server.sock", Path(tempfile.mkdtemp()) / "server.sock"
    world.abstract = f"a2ia-escape-{os.getpid()}"
    unix = Listener(socket.AF_UNIX, socket.SOCK_STREAM, str(world.unix_path))
    unix_tmp = Listener(socket.AF_UNIX, socket.SOCK_STREAM, str(world.unix_tmp_path))
    abstract = Listener(socket.AF_UNIX, socket.SOCK_STREAM, "\0" + world.abstract)
    world.listeners = [x for x in (tcp, udp, tcp6, unix, unix_tmp, abstract) if x is not None]
    world.tcp_port, world.udp_port = tcp.sock.getsockname()[1], udp.sock.getsockname()[1]
    world.tcp6_port = tcp6.sock.getsockname()[1] if tcp6 else tcp.sock.getsockname()[1]
    world.victim = subprocess.Popen(["sleep", "300"])
    try:
        yield world
    finally:
        world.victim.kill()
        world.victim.wait()
        for listener in world.listeners:
            listener.close()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(world.unix_tmp_path.parent, ignore_errors=True)


def processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
