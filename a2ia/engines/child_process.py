"""What the engine servers a2ia starts (``vllm serve``, ``ollama serve``) share: a child run in
a process group of its own, with its output in a log file, stopped as a whole group.

Stopping the group, not only the leader, matters: vLLM's engine workers and Ollama's model
runners can outlive the process a2ia started, holding GPU memory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

LOG_TAIL_LINES = 15


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a child's log ("" when there is none yet)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def stop_group(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM to the group, SIGKILL after ``grace_s``; then kill what outlived the leader."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10.0)) if process.poll() is None else ():
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), wait)
            break
        except asyncio.TimeoutError:
            continue
    await reap_group(process.pid)


async def reap_group(pgid: int, within_s: float = 10.0) -> None:
    """SIGKILL what is left of the group until it is gone (or ``within_s`` has passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while loop.time() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.1)
