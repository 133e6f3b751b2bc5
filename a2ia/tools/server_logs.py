"""Where stdio MCP servers' stderr goes: one log file per server, never the person's terminal
(a server's chatter would tear through the TUI). ``a2ia-cli mcp list`` names the folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

import platformdirs


class ServerLogs:
    """Opens ``mcp-<name>.log`` files (appending) under ``folder`` and closes them all at the end."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or platformdirs.user_log_path("a2ia")
        self._handles: list[TextIO] = []

    def open(self, name: str) -> TextIO:
        """The server's log file; ``os.devnull`` when the folder cannot be written (no log beats no server)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = (self.folder / f"mcp-{name}.log").open("a", encoding="utf-8")
        except OSError:
            handle = open(os.devnull, "w")  # noqa: SIM115 - closed in close()
        self._handles.append(handle)
        return handle

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        self._handles.clear()
