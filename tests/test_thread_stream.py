"""``iterate_in_thread``: a blocking iterator consumed from the event loop, the loop woken sparingly.

Pinned: every item arrives, in order; a flow of items wakes the loop about once per interval,
not once per item (the embedded engine's decode speed, benchmarks P1); the first item after
a pause, errors and the end are not held back; closing the stream stops the producer.
"""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from a2ia.client import _thread_stream
from a2ia.client._thread_stream import iterate_in_thread

pytestmark = pytest.mark.anyio


async def test_every_item_arrives_in_order() -> None:
    got = [item async for item in iterate_in_thread(lambda _cancelled: iter(range(5000)))]
    assert got == list(range(5000))


async def test_a_flow_of_items_wakes_the_loop_a_few_times_not_per_item(monkeypatch: pytest.MonkeyPatch) -> None:
    wakes = 0
    wait = _thread_stream._Handoff.wait

    async def counted(self) -> None:
        nonlocal wakes
        wakes += 1
        await wait(self)

    monkeypatch.setattr(_thread_stream._Handoff, "wait", counted)

    def slow(_cancelled):
        for i in range(50):
            time.sleep(0.001)  # like a decode step: the GIL is released
            yield i

    got = [item async for item in iterate_in_thread(slow, batch_interval_s=5.0)]
    assert got == list(range(50))
    assert wakes <= 5, f"the loop was woken {wakes} times for 50 items"


async def test_the_first_item_is_not_held_for_the_interval() -> None:
    seen_first = threading.Event()

    def waits_for_the_consumer(_cancelled):
        yield "first"
        seen_first.wait(30)  # blocks until the consumer has the first item
        yield "second"

    got = []
    with anyio.fail_after(15):  # far below the 60 s interval: the first item came at once
        async for item in iterate_in_thread(waits_for_the_consumer, batch_interval_s=60.0):
            got.append(item)
            seen_first.set()
    assert got == ["first", "second"]


async def test_an_error_in_the_thread_is_raised_after_the_items_before_it() -> None:
    def fails(_cancelled):
        yield 1
        yield 2
        raise ValueError("boom")

    got = []
    with anyio.fail_after(15), pytest.raises(ValueError, match="boom"):
        async for item in iterate_in_thread(fails, batch_interval_s=60.0):
            got.append(item)
    assert got == [1, 2]


async def test_closing_the_stream_stops_the_producer() -> None:
    stopped = threading.Event()

    def endless(cancelled):
        try:
            i = 0
            while not cancelled.is_set():
                time.sleep(0.001)
                yield i
                i += 1
        finally:
            stopped.set()

    stream = iterate_in_thread(endless)
    async for item in stream:
        if item == 3:
            break
    await stream.aclose()
    assert await anyio.to_thread.run_sync(stopped.wait, 15)
