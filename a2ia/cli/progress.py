"""Progress of an Ollama model pull on stderr: a bar on a terminal, status lines elsewhere."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TransferSpeedColumn

from a2ia.engines.ollama_server import PullProgress


class PullDisplay:
    """Called with each ``PullProgress`` line; one bar per layer being downloaded."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.last_status = ""

    def __call__(self, event: PullProgress) -> None:
        if not self.stream.isatty() or event.status == "success":
            self.close()
            if event.status != self.last_status:
                print(f"note: ollama pull: {event.status}", file=self.stream, flush=True)
            self.last_status = event.status
            return
        if self.bar is None:
            console = Console(file=self.stream)
            self.bar = Progress("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=console)
            self.bar.start()
        if event.status not in self.tasks:
            self.tasks[event.status] = self.bar.add_task(event.status, total=event.total)
        self.bar.update(self.tasks[event.status], completed=event.completed or 0, total=event.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
