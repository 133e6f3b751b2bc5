"""Run a blocking iterator in a worker thread and consume it from the event loop.

The thread pushes each item onto an ``asyncio.Queue`` with ``call_soon_threadsafe``; the
event loop never blocks. Closing the async iterator (a cancelled turn) sets ``cancelled``;
the producer checks it between items and stops, and the blocking iterator is closed in its
own thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


async def iterate_in_thread(
    make_iterator: Callable[[threading.Event], Iterator[T]],
    *,
    name: str = "a2ia-worker",
) -> AsyncIterator[T]:
    """Yield what ``make_iterator(cancelled)`` yields, produced in a thread of its own.

    ``make_iterator`` receives the cancellation event so that long blocking steps inside it
    (a llama.cpp stopping criterion, say) can look at it too. An exception in the thread is
    re-raised here.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    cancelled = threading.Event()

    def put(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            cancelled.set()

    def produce() -> None:
        iterator = None
        try:
            iterator = make_iterator(cancelled)
            for item in iterator:
                if cancelled.is_set():
                    break
                put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises
            put(exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            put(_END)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        cancelled.set()
