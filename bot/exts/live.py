"""A live answer count on a public message, edited at most once per interval.

A click marks its message's key (a daily challenge, a round) dirty. The first click of a
quiet period edits the message at once; the clicks of the following interval are folded
into one trailing edit. So 300 clicks in a second cost two edits, and the last count shown
is right. Every edit of one key's message (count, hint, reveal) holds that key's lock, so
a late count edit never overwrites the reveal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

# Discord allows about 5 message edits per 5 s in a channel: one per 5 s leaves the rest
# for the hint, the reveal and the next question.
DEFAULT_INTERVAL = 5.0

Editor = Callable[[int], Awaitable[bool]]  # edits one key's count; whether it edited


class LiveCounts:
    def __init__(self, edit: Editor, *, name: str, interval: float = DEFAULT_INTERVAL) -> None:
        self._edit = edit
        self._name = name
        self.interval = interval
        self.edits = 0  # count edits made, for logs, tests and the benchmarks
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, key: int) -> asyncio.Lock:
        """Serialises every edit of one key's message."""
        return self._locks.setdefault(key, asyncio.Lock())

    def forget(self, key: int) -> None:
        """Drop the bookkeeping of a message whose count will not change any more (safe
        to call from inside its own count edit)."""
        self._dirty.discard(key)
        task = self._tasks.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        lock = self._locks.get(key)
        if lock is not None and not lock.locked():
            del self._locks[key]

    def touch(self, key: int) -> None:
        """A new answer arrived: show the count soon."""
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key), name=f"{self._name}-{key}")

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

    async def _run(self, key: int) -> None:
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                if await self._edit(key):
                    self.edits += 1
                await asyncio.sleep(self.interval)
        finally:
            # No await between the last dirty check and here, so no click is lost.
            if self._tasks.get(key) is asyncio.current_task():
                del self._tasks[key]
