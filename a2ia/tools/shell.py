"""``run_shell``: one shell command in the workspace, with a timeout and an output cap.

The command runs in a session (process group) of its own, so on timeout or cancellation the
whole group is killed, children included: SIGTERM, then SIGKILL after a grace period. Jobs it
leaves running in the background with its output open are killed a second after it exits.
``AGENT=a2ia`` is set so scripts can tell who runs them. With a ``Sandbox`` the command runs
confined (``a2ia.sandbox``); what the sandbox refuses reaches the model as the command's own
error output, with one line naming the sandbox when the output looks like a refusal.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
import subprocess

from a2ia.sandbox.base import Sandbox
from a2ia.text import head_and_tail
from a2ia.tools.files import ToolFailure
from a2ia.tools.workspace import Workspace

MAX_OUTPUT_CHARS = 32_000
DEFAULT_TIMEOUT_S = 60
MAX_TIMEOUT_S = 600
KILL_GRACE_S = 2.0
LEFTOVER_GRACE_S = 1.0
EXIT_POLL_S = 0.1


def cap_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Head and tail of a long output, with the cut said."""
    return head_and_tail(text, limit, "of output cut")


class _Captured:
    """A command's output as it streams: only its head and tail are kept, and how long it was.

    The result is what ``cap_output`` gives for the whole output, with the cut counted over all
    of it: a 10 MB flood costs 32,000 characters of memory, and the note says 10 MB were cut.
    """

    def __init__(self, limit: int = MAX_OUTPUT_CHARS) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._head_room = limit * 2 // 3
        self._tail_room = limit - self._head_room
        self._head = ""
        self._tail = ""
        self._total = 0

    def add(self, block: bytes, *, final: bool = False) -> None:
        text = self._decoder.decode(block, final)
        self._total += len(text)
        if len(self._head) < self._head_room:
            room = self._head_room - len(self._head)
            self._head, text = self._head + text[:room], text[room:]
        if text:
            self._tail = (self._tail + text)[-self._tail_room:] if self._tail_room else ""

    def text(self) -> str:
        self.add(b"", final=True)
        cut = self._total - len(self._head) - len(self._tail)
        if cut <= 0:
            return self._head + self._tail
        return f"{self._head}\n[… {cut} characters of output cut …]\n{self._tail}"


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def _stop(process: asyncio.subprocess.Process) -> None:
    _kill_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), KILL_GRACE_S)
    except asyncio.TimeoutError:
        pass
    _kill_group(process.pid, signal.SIGKILL)  # the leader may be gone while children live on
    await process.wait()


REFUSALS = ("Read-only file system", "Permission denied", "Network is unreachable", "name resolution",
            "Name or service not known", "Operation not permitted", "Connection refused")


def _sandbox_note(sandbox: Sandbox | None, output: str) -> str:
    if sandbox is None or not any(mark in output for mark in REFUSALS):
        return ""
    return f"\n[this command ran in the {sandbox.policy.describe()} ({sandbox.backend})]"


async def _spawn(workspace: Workspace, command: str, sandbox: Sandbox | None) -> asyncio.subprocess.Process:
    env = {**os.environ, "AGENT": "a2ia", "PAGER": "cat", "GIT_PAGER": "cat"}
    pipes = {"stdin": asyncio.subprocess.DEVNULL, "stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.STDOUT}
    try:
        if sandbox is None:
            return await asyncio.create_subprocess_shell(command, cwd=workspace.root, env=env, start_new_session=True, **pipes)
        spawn = sandbox.spawn(command)
        try:
            return await asyncio.create_subprocess_exec(
                *spawn.argv, cwd=workspace.root, env=env, start_new_session=True, pass_fds=spawn.pass_fds,
                preexec_fn=spawn.preexec_fn, **pipes,
            )
        finally:
            for fd in spawn.close:
                os.close(fd)
    except (OSError, subprocess.SubprocessError) as exc:  # SubprocessError: the sandbox could not be set up
        raise ToolFailure(f"cannot start the shell: {getattr(exc, 'strerror', None) or exc}") from None


async def _drain(stream: asyncio.StreamReader, captured: _Captured) -> None:
    while block := await stream.read(65536):
        captured.add(block)  # head and tail only: the middle of a flood is counted, not kept


async def run_shell(workspace: Workspace, command: str, timeout_s: int = DEFAULT_TIMEOUT_S, sandbox: Sandbox | None = None) -> str:
    if not command.strip():
        raise ToolFailure("the command is empty")
    timeout_s = max(1, min(int(timeout_s), MAX_TIMEOUT_S))
    process = await _spawn(workspace, command, sandbox)
    captured = _Captured()

    async def read_all() -> None:
        assert process.stdout is not None
        reader = asyncio.ensure_future(_drain(process.stdout, captured))
        try:
            # ``wait()`` also waits for the pipes to close (Python 3.11), so the exit is watched.
            while process.returncode is None and not reader.done():
                await asyncio.wait({reader}, timeout=EXIT_POLL_S)
            if not reader.done():
                # Background jobs it left holding the output open are stopped once the command
                # is done (a grace to finish writing), not left to run until the timeout.
                try:
                    await asyncio.wait_for(asyncio.shield(reader), LEFTOVER_GRACE_S)
                except asyncio.TimeoutError:
                    _kill_group(process.pid, signal.SIGKILL)
                    await reader
            await process.wait()
        finally:
            if not reader.done():
                reader.cancel()

    try:
        await asyncio.wait_for(read_all(), timeout_s)
    except asyncio.TimeoutError:
        await _stop(process)
        output = captured.text()
        raise ToolFailure(f"timed out after {timeout_s} s; the command and its children were stopped\n{output}") from None
    except asyncio.CancelledError:
        await asyncio.shield(_stop(process))
        raise
    output = captured.text()
    if process.returncode != 0:
        raise ToolFailure(f"exit code {process.returncode}\n{output}{_sandbox_note(sandbox, output)}")
    return output if output else "(no output; exit code 0)"
