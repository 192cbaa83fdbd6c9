"""The one loop that serves every stored deadline (the `timers` table).

A feature stores a deadline as a row (kind, target, due instant) in the same transaction
as the state it belongs to, and registers a handler for its kind. The loop sleeps until
the earliest deadline, or until `wake()`, and hands each due one to its handler, which
moves or deletes the row as part of its own work. Nothing waits in memory: after a
restart the rows are still there and the loop serves them. Sleeping is capped, so a clock
that jumps is noticed soon; a run happens under one lock, so two runs never overlap.

Processes sharing the database each look only at the deadlines of servers on their own
shards, and claim a due one (with a lease) before serving it, releasing it after: a
deadline two processes both see is served once, and one whose holder died is served by
another process once the lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)

# A deadline's handler: its target and the instant of the run.
TimerHandler = Callable[[int, datetime], Awaitable[None]]

MAX_SLEEP = 300.0  # longest sleep between two looks at the database, in seconds
MIN_SLEEP = 0.5  # a deadline that stays due (a failing handler) is retried no faster
CONCURRENCY = 8  # deadlines served at the same time
PASSES = 4  # a handler may make another deadline due at once: served in the same run


class Timers:
    def __init__(self, bot: QuizBot, *, concurrency: int = CONCURRENCY) -> None:
        self.bot = bot
        self.concurrency = concurrency
        self.runs = 0
        self._handlers: dict[str, TimerHandler] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def handle(self, kind: str, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    def forget(self, kind: str) -> None:
        self._handlers.pop(kind, None)

    def start(self) -> None:
        """Start the loop unless it runs already (safe to call on every `on_ready`)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="timers")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Look at the deadlines again now (one was added or moved)."""
        self._wake.set()

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                await self.run_due()
                delay = await self._seconds_to_next()
            except Exception:
                log.exception("timer run failed")
                delay = MAX_SLEEP / 10
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _seconds_to_next(self) -> float:
        due = await self.bot.db.timers.next_due(self.bot.shard_scope())
        if due is None:
            return MAX_SLEEP
        seconds = (due - self.bot.clock()).total_seconds()
        return min(max(seconds, MIN_SLEEP), MAX_SLEEP)

    async def run_due(self) -> int:
        """Serve every deadline due now; returns how many were served."""
        async with self._lock:
            self.runs += 1
            served: set[tuple[str, int]] = set()
            for _ in range(PASSES):
                now = self.bot.clock()
                due = [
                    (kind, target)
                    for kind, target in await self.bot.db.timers.due(now, self.bot.shard_scope())
                    if kind in self._handlers and (kind, target) not in served
                ]
                if not due:
                    break
                slots = asyncio.Semaphore(self.concurrency)
                await asyncio.gather(
                    *(self._serve(slots, kind, target, now) for kind, target in due)
                )
                served.update(due)
            return len(served)

    async def _serve(self, slots: asyncio.Semaphore, kind: str, target: int, now: datetime) -> None:
        async with slots:
            db, me = self.bot.db, self.bot.instance_id
            try:
                if not await db.timers.claim(kind, target, holder=me, now=now):
                    log.debug("the %s deadline of %s is another process's", kind, target)
                    return
            except Exception:
                log.exception("could not claim the %s deadline of %s", kind, target)
                return
            try:
                await self._handlers[kind](target, now)
            except Exception:
                log.exception("the %s deadline of %s failed", kind, target)
            finally:
                try:
                    await db.timers.release(kind, target, holder=me)
                except Exception:  # the lease ends by itself
                    log.exception("could not release the %s deadline of %s", kind, target)
