"""Run a blocking iterator in a worker thread and consume it from the event loop.

The thread appends each item to a deque; the event loop never blocks. Closing the async
iterator (a cancelled turn) sets ``cancelled``; the producer checks it between items and
stops, and the blocking iterator is closed in its own thread.

The loop is woken at most once per ``BATCH_INTERVAL_S`` while items flow (and at once for the
first item after a pause, the end, or an error), and drains everything there is when it wakes.
Why: waking it for every item (what this did first) means the loop thread wants the GIL at the
very moment the worker does its own Python between two llama.cpp decode calls; on a busy 2-core
machine that cost the embedded engine 2-7% of its decode speed (benchmarks/bench_embedded.py,
P1; with batched wake-ups it is at parity with raw llama-cpp-python). Items still arrive one by
one, in order; the added latency is at most the interval, well under what a person sees.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

BATCH_INTERVAL_S = 0.02
_END = object()


class _Handoff:
    """Items from the worker thread to the event loop, with the loop woken sparingly."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop = loop
        self.interval = interval
        self.items: collections.deque[object] = collections.deque()
        self.ready = asyncio.Event()
        self.lock = threading.Lock()
        self.pending = False  # a wake-up is on its way to the loop
        self.last_wake = float("-inf")
        self.timer: asyncio.TimerHandle | None = None

    def put(self, item: object, *, urgent: bool = False) -> bool:
        """From the worker thread. False if the loop is gone (nobody is listening any more)."""
        self.items.append(item)
        with self.lock:
            if self.pending or (not urgent and time.monotonic() - self.last_wake < self.interval):
                return True  # the loop is woken anyway, or will look within the interval
            self.pending = True
        try:
            self.loop.call_soon_threadsafe(self.ready.set)
        except RuntimeError:
            return False
        return True

    async def wait(self) -> None:
        """In the loop: until there may be items (woken by the worker, or the interval at the latest)."""
        if not self.items:
            self.timer = self.loop.call_later(self.interval, self.ready.set)
            try:
                await self.ready.wait()
            finally:
                self.timer.cancel()
        self.ready.clear()
        with self.lock:
            self.pending = False
            self.last_wake = time.monotonic()


async def iterate_in_thread(
    make_iterator: Callable[[threading.Event], Iterator[T]],
    *,
    name: str = "a2ia-worker",
    batch_interval_s: float = BATCH_INTERVAL_S,
) -> AsyncIterator[T]:
    """Yield what ``make_iterator(cancelled)`` yields, produced in a thread of its own.

    ``make_iterator`` receives the cancellation event so that long blocking steps inside it
    (a llama.cpp stopping criterion, say) can look at it too. An exception in the thread is
    re-raised here.
    """
    handoff = _Handoff(asyncio.get_running_loop(), batch_interval_s)
    cancelled = threading.Event()

    def produce() -> None:
        iterator = None
        try:
            iterator = make_iterator(cancelled)
            for item in iterator:
                if cancelled.is_set():
                    break
                if not handoff.put(item):
                    cancelled.set()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises
            handoff.put(exc, urgent=True)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            handoff.put(_END, urgent=True)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            await handoff.wait()
            while handoff.items:
                item = handoff.items.popleft()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
    finally:
        cancelled.set()
