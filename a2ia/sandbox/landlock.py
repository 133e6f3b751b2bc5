"""The fallback backend where bubblewrap cannot run: Landlock, through its three system calls.

Applied in the child between ``fork`` and ``exec`` (``preexec_fn``), in this order: no new
privileges; a user and network namespace when the kernel lets us make one (loopback only, as
with bwrap); ``landlock_restrict_self`` with a ruleset built in the parent (read everywhere but
``deny_read``, write in the writable roots, TCP refused when there is no network namespace;
signals and abstract unix sockets scoped to the sandbox on ABI 6); the seccomp socket filter.

It confines less than bwrap, and ``label`` says so: Landlock cannot refuse metadata changes
outside (``chmod``, ``touch``, ``chown``, xattrs), cannot keep ``.git/hooks`` or ``.a2ia``
read-only inside a writable workspace, nor hide a denied path inside a writable one; a process
that ``setsid``s away outlives the command (still confined); ``/dev/shm`` is the real one
(writable, like the temp dir: there is no private one without a mount namespace). A denied
folder's parents cannot be listed (Landlock only grants).
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from a2ia.sandbox.base import SHELL, Spawn
from a2ia.sandbox.policy import SandboxPolicy
from a2ia.sandbox.seccomp import network_filter

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2
SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The kernel's Landlock ABI (0: none, or turned off)."""
    try:
        version = _libc().syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute … make_sym
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def read_roots(denied: tuple[Path, ...]) -> list[Path]:
    """Folders and files to grant reading beneath so that everything but ``denied`` is readable.

    Landlock only grants, so a denied path's ancestors are replaced by their other children
    (a symlink pointing into a denied path is left out: its rule would land on the target).
    """
    roots = {Path("/")}
    for hidden in denied:
        holder = next((r for r in roots if r == hidden or r in hidden.parents), None)
        if holder is None:
            continue
        roots.discard(holder)
        current = holder
        for part in hidden.relative_to(holder).parts:
            step = current / part
            try:
                children = [Path(entry.path) for entry in os.scandir(current)]
            except OSError:
                break
            roots.update(c for c in children if c != step)
            current = step
    return sorted(r for r in roots if not any(d == Path(os.path.realpath(r)) or d in Path(os.path.realpath(r)).parents for d in denied))


@dataclass(frozen=True)
class LandlockSandbox:
    policy: SandboxPolicy
    abi: int
    namespaces: bool  # whether this machine lets an unprivileged process make user+net namespaces
    backend: Literal["landlock"] = "landlock"

    def label(self) -> str:
        return f"sandbox {self.policy.mode} (landlock, partial)"

    def _ruleset(self) -> int:
        libc, rights = _libc(), fs_rights(self.abi)
        net = (NET_BIND_TCP | NET_CONNECT_TCP) if self.abi >= 4 and not self.policy.network and not self.namespaces else 0
        scoped = (SCOPE_SIGNAL | (0 if self.policy.network else SCOPE_ABSTRACT_UNIX)) if self.abi >= 6 else 0
        attr = _RulesetAttr(rights, net, scoped)
        size = 24 if self.abi >= 6 else 16 if self.abi >= 4 else 8
        fd = int(libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)))
        if fd < 0:
            raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
        read = EXECUTE | READ_FILE | READ_DIR | (IOCTL_DEV & rights)
        device = WRITE_FILE | READ_FILE | ((TRUNCATE | IOCTL_DEV) & rights)
        rules = [(p, read) for p in read_roots(self.policy.hidden())]
        rules += [(p, rights) for p in self.policy.writable_roots()]
        if self.policy.mode == "workspace-write" and os.path.isdir("/dev/shm"):
            rules.append((Path("/dev/shm"), rights))  # POSIX semaphores (multiprocessing): no private one here
        rules += [(Path(p), device) for p in DEVICES if os.path.exists(p)]
        try:
            for path, allowed in rules:
                self._add(fd, path, allowed, rights)
        except BaseException:
            os.close(fd)
            raise
        return fd

    @staticmethod
    def _add(ruleset: int, path: Path, allowed: int, rights: int) -> None:
        try:
            handle = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return  # gone since it was listed
        try:
            if not os.path.isdir(path):  # a file takes file rights only
                allowed &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
            rule = _PathBeneath(allowed & rights, handle)
            _libc().syscall(ADD_RULE, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0))
        finally:
            os.close(handle)

    def spawn(self, command: str) -> Spawn:
        ruleset = self._ruleset()
        program = network_filter(all_sockets=not self.namespaces) if not self.policy.network else None
        return Spawn([SHELL, "-c", command], pass_fds=(ruleset,), preexec_fn=_confine(ruleset, program, self.policy.network, self.namespaces),
                     close=[ruleset])

    def server(self, command: str, args: list[str], cwd: str | None) -> tuple[str, list[str]]:
        raise RuntimeError("it is configured \"sandbox\": true, which needs bubblewrap (the Landlock sandbox confines run_shell only)")


def _confine(ruleset: int, program: bytes | None, network: bool, namespaces: bool):
    """The child's half, prepared in the parent: only system calls and small writes after fork."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    buffer = ctypes.create_string_buffer(program or b"")
    fprog = _SockFprog(len(program or b"") // 8, ctypes.cast(buffer, ctypes.c_void_p))

    def write(path: str, text: str) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)

    def confine() -> None:
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            os._exit(126)
        if not network and namespaces:
            if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
                os._exit(126)  # no network namespace after all: never run it with the network
            write("/proc/self/setgroups", "deny")
            write("/proc/self/uid_map", f"{uid} {uid} 1")
            write("/proc/self/gid_map", f"{gid} {gid} 1")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
                fcntl.ioctl(handle, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING, b""))
        if libc.syscall(RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            os._exit(126)  # never run a command unconfined that was meant to be confined
        if program and libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
            os._exit(126)

    confine.program = buffer  # type: ignore[attr-defined]  # the filter's memory lives as long as the closure
    return confine
