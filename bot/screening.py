"""Screening off the event loop, in batches: the messages waiting at the same moment share one model call.

The learned layer costs milliseconds a message, most of it in one matrix pass that reads many
messages almost as cheaply as one. Turns of different conversations that arrive together each
await `screen`; the first schedules a drain, which waits one loop pass so the others can join,
then screens them all in one `screen_many` on a worker thread. The event loop meanwhile goes on
with the database work of turns already screened. One batch runs at a time.

A long message (Slack allows 40,000 characters) is screened in full, never cut short, but in a lane of its
own: on a second thread, one at a time, so everyone else's turns never wait behind it. The screener is safe to
call from both threads (the layered screener guards what it remembers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from safety.types import Screening, ScreenRequest

__all__ = ["LONG_TEXT", "MAX_BATCH", "BatchScreener", "ManyScreener"]

MAX_BATCH = 64
"""More waiting than this go in the next batch: a turn never waits behind a huge one."""
LONG_TEXT = 2_000
"""Longer than this (about a page) goes in the long lane."""


class ManyScreener(Protocol):
    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]: ...


class BatchScreener:
    """An awaitable front to a screener's `screen_many`."""

    def __init__(self, screener: ManyScreener, *, max_batch: int = MAX_BATCH) -> None:
        self._screener = screener
        self._max_batch = max_batch
        self._waiting: list[tuple[ScreenRequest, asyncio.Future[Screening]]] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None  # held, so the running drain isn't collected
        self._pool: ThreadPoolExecutor | None = None
        self._long_pool: ThreadPoolExecutor | None = None

    async def screen(self, request: ScreenRequest) -> Screening:
        loop = asyncio.get_running_loop()
        if len(request.text) > LONG_TEXT:
            if self._long_pool is None:
                self._long_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screen-long")
            (result,) = await loop.run_in_executor(self._long_pool, self._screener.screen_many, [request])
            return result
        future: asyncio.Future[Screening] = loop.create_future()
        self._waiting.append((request, future))
        if not self._draining:
            self._draining = True
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                await asyncio.sleep(0)  # one loop pass: the turns that are ready now add theirs
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                live = [(request, future) for request, future in batch if not future.cancelled()]
                if not live:
                    continue
                try:
                    results = await loop.run_in_executor(
                        self._executor(), self._screener.screen_many, [request for request, _ in live])
                except Exception as exc:  # each turn sees the failure and fails (unacknowledged), never hangs
                    for _, future in live:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(live, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._draining = False

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screen")
        return self._pool

    def close(self) -> None:
        """Stop the worker threads (a batch under way finishes first)."""
        for pool in (self._pool, self._long_pool):
            if pool is not None:
                pool.shutdown(wait=True)
        self._pool = self._long_pool = None
