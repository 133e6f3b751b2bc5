"""The real CLI on a pseudo-terminal: stdin, stdout and stderr are the pty, as for a person."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time


class PtySession:
    def __init__(self, args: list[str], env: dict[str, str], *, cwd=None, rows: int = 50, cols: int = 200) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "a2ia.cli", *args], stdin=follower, stdout=follower, stderr=follower,
            env={**env, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}, cwd=cwd, start_new_session=True,
        )
        os.close(follower)
        self.seen = b""

    def _read(self, timeout_s: float) -> None:
        ready, _, _ = select.select([self.leader], [], [], timeout_s)
        if ready:
            try:
                self.seen += os.read(self.leader, 65536)
            except OSError:  # the child closed the terminal
                pass

    def expect(self, text: str, timeout_s: float = 30.0) -> None:
        """Read until ``text`` has appeared (select waits for output; no fixed sleeps)."""
        deadline = time.monotonic() + timeout_s
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not select.select([self.leader], [], [], 0)[0]):
                raise AssertionError(f"{text!r} never appeared; the terminal showed:\n{self.text()}")
            self._read(min(left, 0.5))

    def send(self, text: str) -> None:
        os.write(self.leader, text.encode())

    def text(self) -> str:
        return self.seen.decode(errors="replace")

    def close(self, timeout_s: float = 30.0) -> int:
        deadline = time.monotonic() + timeout_s
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        os.close(self.leader)
        return code
