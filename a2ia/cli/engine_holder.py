"""The engine a session talks to, held by a task of its own, so ``/model`` and ``/backend`` can
switch it while the session runs.

An engine (a started server, a loaded model) and its client are entered and left in one task
(``EngineHolder.run``): a switch opens the new one beside the old (the old keeps serving while
the new loads), and only when it is ready does the session move to it; the old one is then
closed. A switch that fails leaves the old engine in use, and says why.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc

from a2ia.client.base import LLMClient
from a2ia.config import Settings
from a2ia.engines.engine import PullCallback, StatusCallback, open_engine
from a2ia.engines.select import open_client


class EngineHolder:
    def __init__(self, settings: Settings, on_status: StatusCallback, on_pull: PullCallback | None = None,
                 check: bool = False) -> None:
        """``check``: ask the client for its capabilities before calling it open (a switch: a
        server that does not answer fails the switch, not the next turn)."""
        self.asked, self.check = settings, check
        self._on_status, self._on_pull = on_status, on_pull
        self.settings: Settings = settings  # as resolved, once open: a concrete backend, a bare model
        self.client: LLMClient | None = None
        self._close = anyio.Event()
        self.closed = anyio.Event()

    async def run(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Open the engine and its client, report them started, hold them until ``close``.
        A failure before that is raised to whoever started it (``TaskGroup.start``)."""
        try:
            async with open_engine(self.asked, self._on_status, self._on_pull) as settings:
                client = open_client(settings)
                async with client:
                    if self.check:
                        await client.capabilities()
                    self.settings, self.client = settings, client
                    task_status.started()
                    await self._close.wait()
        finally:
            self.closed.set()

    def close(self) -> None:
        self._close.set()


async def open_held(tg: anyio.abc.TaskGroup, settings: Settings, on_status: StatusCallback,
                    on_pull: PullCallback | None = None, check: bool = False) -> EngineHolder:
    """An engine held in ``tg``, open and ready; what ``open_engine`` raises when it cannot be."""
    holder = EngineHolder(settings, on_status, on_pull, check)
    await tg.start(holder.run)
    return holder
