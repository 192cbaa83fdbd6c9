"""The live answer count of a round's open question, edited at most once per interval.

A click marks its round dirty. The first click of a quiet period edits the message at
once; the clicks of the following interval are folded into one trailing edit. So 300
clicks in a second cost two edits, and the last count shown is right. Every edit of a
round's message (count, hint, reveal) holds the round's lock, so a late count edit never
overwrites the reveal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

# Discord allows about 5 message edits per 5 s in a channel: one per 5 s leaves the rest
# for the hint, the reveal and the next question.
DEFAULT_INTERVAL = 5.0

Editor = Callable[[int], Awaitable[bool]]  # edits a round's count; whether it edited


class LiveCounts:
    def __init__(self, edit: Editor, *, interval: float = DEFAULT_INTERVAL) -> None:
        self._edit = edit
        self.interval = interval
        self.edits = 0  # count edits made, for logs, tests and the benchmark
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, round_id: int) -> asyncio.Lock:
        return self._locks.setdefault(round_id, asyncio.Lock())

    def forget(self, round_id: int) -> None:
        """Drop the bookkeeping of a round whose question will not change any more."""
        self._dirty.discard(round_id)
        task = self._tasks.pop(round_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def touch(self, round_id: int) -> None:
        """A new answer arrived: show the count soon."""
        self._dirty.add(round_id)
        if round_id not in self._tasks:
            self._tasks[round_id] = asyncio.create_task(
                self._run(round_id), name=f"round-count-{round_id}"
            )

    async def idle(self) -> None:
        """Wait until every pending count edit is done (tests use this)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._dirty.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self, round_id: int) -> None:
        try:
            while round_id in self._dirty:
                self._dirty.discard(round_id)
                if await self._edit(round_id):
                    self.edits += 1
                await asyncio.sleep(self.interval)
        finally:
            # No await between the last dirty check and here, so no click is lost.
            if self._tasks.get(round_id) is asyncio.current_task():
                del self._tasks[round_id]
