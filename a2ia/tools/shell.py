"""``run_shell``: one shell command in the workspace, with a timeout and an output cap.

The command runs in a session (process group) of its own, so on timeout or cancellation the
whole group is killed, children included: SIGTERM, then SIGKILL after a grace period.
``AGENT=a2ia`` is set so scripts can tell who runs them.
"""

from __future__ import annotations

import asyncio
import os
import signal

from a2ia.text import head_and_tail
from a2ia.tools.files import ToolFailure
from a2ia.tools.workspace import Workspace

MAX_OUTPUT_CHARS = 32_000
DEFAULT_TIMEOUT_S = 60
MAX_TIMEOUT_S = 600
KILL_GRACE_S = 2.0


def cap_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Head and tail of a long output, with the cut said."""
    return head_and_tail(text, limit, "of output cut")


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


async def run_shell(workspace: Workspace, command: str, timeout_s: int = DEFAULT_TIMEOUT_S) -> str:
    if not command.strip():
        raise ToolFailure("the command is empty")
    timeout_s = max(1, min(int(timeout_s), MAX_TIMEOUT_S))
    env = {**os.environ, "AGENT": "a2ia", "PAGER": "cat", "GIT_PAGER": "cat"}
    try:
        process = await asyncio.create_subprocess_shell(
            command,
            cwd=workspace.root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolFailure(f"cannot start the shell: {exc.strerror or exc}") from None
    chunks: list[bytes] = []
    kept = 0

    async def read_all() -> None:
        nonlocal kept
        assert process.stdout is not None
        while block := await process.stdout.read(65536):
            if kept < MAX_OUTPUT_CHARS * 8:  # keep enough for head and tail; drop the middle of floods
                chunks.append(block)
                kept += len(block)
            else:
                chunks[-1] = block  # keep the newest block as the tail
        await process.wait()

    try:
        await asyncio.wait_for(read_all(), timeout_s)
    except asyncio.TimeoutError:
        await _stop(process)
        output = cap_output(b"".join(chunks).decode("utf-8", errors="replace"))
        raise ToolFailure(f"timed out after {timeout_s} s; the command and its children were stopped\n{output}") from None
    except asyncio.CancelledError:
        await asyncio.shield(_stop(process))
        raise
    output = cap_output(b"".join(chunks).decode("utf-8", errors="replace"))
    if process.returncode != 0:
        raise ToolFailure(f"exit code {process.returncode}\n{output}")
    return output if output else "(no output; exit code 0)"
