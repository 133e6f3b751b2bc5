"""The socket filter sandboxed commands run under (a seccomp BPF program, built with libseccomp).

The network namespace already cuts every IP route and abstract unix socket; what a namespace
cannot cut is a *named* unix socket outside (an ssh-agent, the Docker daemon, the session bus:
each one a way out of the sandbox). So, without network: ``socket(AF_UNIX, …)`` fails with
EACCES (``socketpair`` still works: pipes between a command's own processes), and io_uring,
which could open and connect sockets without those system calls, is refused. Where there is
no network namespace (the Landlock backend on a machine without user namespaces) the filter
refuses every ``socket()`` instead (``all_sockets``). libseccomp
(``pyseccomp``) writes the program for this machine's architecture and refuses the calls of
other ABIs (i386 ``socketcall``, x32) that a hand-written filter would have to know about.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile

from a2ia.errors import ConfigError

AF_UNIX = 1
IO_URING = ("io_uring_setup", "io_uring_enter", "io_uring_register")


class SeccompUnavailable(ConfigError):
    pass


@functools.lru_cache(maxsize=2)
def network_filter(all_sockets: bool = False) -> bytes:
    """The BPF program (bytes: ``struct sock_filter`` instructions), built once per process."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, AttributeError) as exc:  # no libseccomp.so.2 on this machine
        raise SeccompUnavailable(f"libseccomp is not available ({exc})", hint="install libseccomp2") from None
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    if all_sockets:
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket")
    else:
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.EQ, AF_UNIX))
    for name in IO_URING:
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
    with tempfile.TemporaryFile() as out:
        rules.export_bpf(out)
        out.seek(0)
        return out.read()


@functools.lru_cache(maxsize=1)
def program_path() -> str:
    """A path any child of a2ia can open to read the program: a sealed memfd of this process.

    For stdio MCP servers, whose launcher cannot pass descriptors. Not a file in a folder a
    sandboxed command could write to, and not writable at all once sealed.
    """
    fd = os.memfd_create("a2ia-seccomp", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, network_filter())
    import fcntl

    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
    return f"/proc/{os.getpid()}/fd/{fd}"


def filter_pipe() -> int:
    """A pipe's read end holding the program, for one bwrap to read (closed by the caller)."""
    program = network_filter()
    read, write = os.pipe()
    try:
        os.write(write, program)  # a few hundred bytes: well under a pipe's buffer
    finally:
        os.close(write)
    return read
