"""The bot's one loop for everything scheduled: stored deadlines and other due work.

It has two kinds of clients. A feature with simple deadlines stores each as a row (kind,
target, due instant) of the `timers` table, in the same transaction as the state it
belongs to, and registers a handler for its kind; the loop hands each due row to its
handler, which moves or deletes the row as part of its own work. A feature with its own
tables of due work (the daily challenge's schedules and reveals) registers a source
instead: a `run()` that does whatever is due now, and a `next_due()` that says when it
next needs a look.

Each look serves the due rows and starts a run of every source that is not running
already. A source runs on its own, so a long run (a daily fan-out to hundreds of servers)
holds back no deadline; when it ends, the loop looks again. A source that fails is logged
and stops none of the others. The loop then sleeps until the earliest of the next row's
deadline and every idle source's `next_due()`, or until `wake()`. Nothing waits in memory:
after a restart the rows are still there and the loop serves them. Sleeping is capped, so
a clock that jumps is noticed soon; rows are served under one lock, so two passes over
them never overlap.

Processes sharing the database each look only at the deadlines of servers on their own
shards, and claim a due one (with a lease) before serving it, releasing it after: a
deadline two processes both see is served once, and one whose holder died is served by
another process once the lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.storage import StorageUnavailable

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)

# A deadline's handler: its target and the instant of the run.
TimerHandler = Callable[[int, datetime], Awaitable[None]]

MAX_SLEEP = 300.0  # longest sleep between two looks at the database, in seconds
MIN_SLEEP = 0.5  # a deadline that stays due (a failing handler) is retried no faster
CONCURRENCY = 8  # deadlines served at the same time
PASSES = 4  # a handler may make another deadline due at once: served in the same run
FAILED_SLEEP = MAX_SLEEP / 10  # after a failed run, look again this much later at the latest
FAILED_RETRY = timedelta(seconds=FAILED_SLEEP)  # a source that failed is run again after this


@dataclass(frozen=True)
class Source:
    """Due work with its own tables: what to do now, and when to look again."""

    run: Callable[[], Awaitable[object]]
    next_due: Callable[[], Awaitable[datetime | None]]


class Timers:
    def __init__(self, bot: QuizBot, *, concurrency: int = CONCURRENCY) -> None:
        self.bot = bot
        self.concurrency = concurrency
        self.runs = 0  # runs finished, by the loop or by hand
        self._handlers: dict[str, TimerHandler] = {}
        self._sources: dict[str, Source] = {}
        self._failed: dict[str, datetime] = {}  # sources whose last run failed, and when
        self._running: dict[str, asyncio.Task[None]] = {}  # runs the loop started
        self._started: dict[str, float] = {}  # when each source's last run began (loop time)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def handle(self, kind: str, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    def forget(self, kind: str) -> None:
        self._handlers.pop(kind, None)

    def add_source(
        self,
        name: str,
        run: Callable[[], Awaitable[object]],
        next_due: Callable[[], Awaitable[datetime | None]],
    ) -> None:
        """Run ``run`` whenever ``next_due()`` says something is due (None: nothing is;
        look again after the longest sleep, or at a `wake()`)."""
        self._sources[name] = Source(run, next_due)
        self._failed.pop(name, None)

    def remove_source(self, name: str) -> None:
        self._sources.pop(name, None)
        self._failed.pop(name, None)
        self._started.pop(name, None)

    def start(self) -> None:
        """Start the loop unless it runs already (safe to call on every `on_ready`)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="timers")

    async def stop(self) -> None:
        """Stop the loop and the source runs it started."""
        tasks = [task for task in (self._task, *self._running.values()) if task is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look at everything again now (a deadline or a schedule was added or moved)."""
        self._wake.set()

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                await self._serve_due()
                delay = await self._start_due_sources()
            except Exception as error:
                _log_failure(error, "timer run failed")
                delay = FAILED_SLEEP
            finally:
                self.runs += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _start_due_sources(self) -> float:
        """Start the run of every idle source that is due now; the seconds until the next
        row or idle source is due (a running source wakes the loop when it ends)."""
        now = self.bot.clock()
        delays = [MAX_SLEEP]
        due = await self.bot.db.timers.next_due(self.bot.shard_scope())
        if due is not None:
            delays.append((due - now).total_seconds())
        for name, source in list(self._sources.items()):
            if name in self._running:
                continue
            if name in self._failed:
                due = self._failed[name] + FAILED_RETRY
            else:
                try:
                    due = await source.next_due()
                except Exception as error:
                    _log_failure(error, "the next due instant of %s failed", name)
                    self._failed[name] = now
                    due = now + FAILED_RETRY
            if due is None:
                continue
            if due > now:
                delays.append((due - now).total_seconds())
                continue
            # Something that stays due (a run that cannot move it on) is not run in a spin.
            wait = (
                self._started.get(name, -MIN_SLEEP) + MIN_SLEEP - asyncio.get_running_loop().time()
            )
            if wait > 0:
                delays.append(wait)
            else:
                self._start(name, source)
        return min(max(min(delays), MIN_SLEEP), MAX_SLEEP)

    def _start(self, name: str, source: Source) -> None:
        self._started[name] = asyncio.get_running_loop().time()
        task = asyncio.create_task(self._run_source(name, source), name=f"run of {name}")
        self._running[name] = task
        task.add_done_callback(functools.partial(self._ended, name))

    def _ended(self, name: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(name, None)
        self.wake()

    async def run_due(self) -> int:
        """Serve every deadline due now, then run every source, and return when all of it
        is done (the loop does the same without waiting for the sources); returns how
        many deadlines were served."""
        try:
            served = await self._serve_due()
            for name, source in list(self._sources.items()):
                await self._run_source(name, source)
            return served
        finally:
            self.runs += 1

    async def _serve_due(self) -> int:
        """Serve the due rows, under the lock; returns how many were served."""
        async with self._lock:
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

    async def _run_source(self, name: str, source: Source) -> None:
        try:
            await source.run()
        except Exception as error:
            _log_failure(error, "the run of %s failed", name)
            self._failed[name] = self.bot.clock()
        else:
            self._failed.pop(name, None)

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


def _log_failure(error: Exception, message: str, *args: object) -> None:
    """A database that is down is one line; anything else is a bug: its traceback too."""
    if isinstance(error, StorageUnavailable):
        log.error(message + ": %s", *args, error)
    else:
        log.error(message, *args, exc_info=error)
