"""What ``-p`` takes from stdin: piped text is context, a silent pipe is not waited on forever.

A program that starts ``a2ia-cli -p`` with its stdin an open pipe it never writes to or closes
(a CI runner, an editor's task, a Node ``spawn`` with default stdio) would otherwise block the
run forever on ``read()``. As Claude Code does, a pipe that gives no byte and no end within
``PIPE_WAIT_S`` is taken as "no context", with one note saying so; once a byte arrives, the
pipe is read to its end (the writer is sending).
"""

from __future__ import annotations

import os
import select
import stat
from collections.abc import Callable
from typing import BinaryIO

from a2ia.errors import ConfigError

PIPE_WAIT_S = 3.0
SILENT_PIPE_NOTE = (
    f"note: stdin is a pipe that sent nothing in {PIPE_WAIT_S:g} s; running without it "
    "(close it, or run with </dev/null)"
)


def decode_stdin(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"stdin is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="pipe text to a2ia-cli; convert other encodings first, e.g. with iconv -t UTF-8",
        ) from None


def piped_context(stream: BinaryIO, note: Callable[[str], None], wait_s: float = PIPE_WAIT_S) -> str:
    """Text piped or redirected into stdin, stripped; "" for a terminal, a socket or a silent pipe."""
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError):
        return ""
    if stat.S_ISREG(mode):
        return decode_stdin(stream.read()).strip()
    if not stat.S_ISFIFO(mode):
        return ""
    ready, _, _ = select.select([fd], [], [], wait_s)
    if not ready:
        note(SILENT_PIPE_NOTE)
        return ""
    return decode_stdin(stream.read()).strip()
