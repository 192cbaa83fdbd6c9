"""The one task that posts and reveals daily challenges for every server.

It reads the earliest due instant of all servers from the database and sleeps until
then, or until `wake()` (a setup changed, the gateway came back). Sleeping is capped, so
a clock that jumps (a suspended laptop, a corrected system time) is noticed soon. All
work of a run happens under one lock: two runs never overlap, whoever triggers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from bot.domain.daily import ChallengeState, plan_due
from bot.domain.timezones import local_date, resolve_zone
from bot.exts.daily._poster import Poster, PostResult
from bot.storage import StorageUnavailable
from bot.storage.daily import DailyChallenge, DailySchedule

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)

T = TypeVar("T")

# Longest sleep between two looks at the database, in real seconds.
MAX_SLEEP = 300.0
# Shortest sleep: if something stays due (a bug, a database error), do not spin.
MIN_SLEEP = 1.0
# After standing down from a post another process claimed, look again this much later at
# the soonest: the holder moves the schedule on within seconds, or its lease ends.
STOOD_DOWN_SLEEP = 15.0
# Servers posted to at the same time; discord.py queues the rest on its rate limits.
CONCURRENCY = 8


@dataclass
class RunReport:
    """What one run did, for logs and tests."""

    posts: Counter[PostResult] = field(default_factory=Counter)
    skipped: int = 0  # due, but their day had passed: moved to the next post time
    revealed: int = 0

    @property
    def posted(self) -> int:
        return self.posts[PostResult.POSTED] + self.posts[PostResult.RECOVERED]

    @property
    def failed(self) -> int:
        return self.posts[PostResult.FAILED]

    @property
    def stood_down(self) -> int:
        return self.posts[PostResult.STOOD_DOWN]


class DailyScheduler:
    def __init__(self, bot: QuizBot, poster: Poster, *, concurrency: int = CONCURRENCY) -> None:
        self.bot = bot
        self.poster = poster
        self.concurrency = concurrency
        self.runs = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- the task ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop unless it runs already (safe to call on every `on_ready`)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="daily-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look at the database again now (a schedule changed, or the clock did)."""
        self._wake.set()

    async def _loop(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                report = await self.run_due()
                delay = await self._seconds_to_next()
                if report.stood_down:
                    delay = max(delay, STOOD_DOWN_SLEEP)
            except StorageUnavailable as error:
                log.error("daily scheduler run failed: %s", error)
                delay = MAX_SLEEP / 10
            except Exception:
                log.exception("daily scheduler run failed")
                delay = MAX_SLEEP / 10
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _seconds_to_next(self) -> float:
        due = await self.bot.db.daily.next_due(shards=self.bot.shard_scope())
        if due is None:
            return MAX_SLEEP
        seconds = (due - self.bot.clock()).total_seconds()
        return min(max(seconds, MIN_SLEEP), MAX_SLEEP)

    # -- the work ---------------------------------------------------------------------

    async def run_due(self) -> RunReport:
        """Reveal and post everything due now; returns when all of it is done."""
        async with self._lock:
            self.runs += 1
            now = self.bot.clock()
            report = RunReport()
            # Reveals first: yesterday's answer is shown before today's question.
            # Only the servers on this process's shards: the process that runs a server's
            # shard posts and reveals its challenges.
            shards = self.bot.shard_scope()
            reveals = await self.bot.db.daily.due_reveals(now, shards=shards)
            await self._fan_out(reveals, lambda c: self._reveal(c, now, report))
            schedules = await self.bot.db.daily.due_schedules(now, shards=shards)
            await self._fan_out(schedules, lambda s: self._post_due(s, now, report))
            if report.posts or report.revealed or report.skipped:
                log.info(
                    "daily run: %d posted, %d failed, %d skipped, %d revealed, %d left to "
                    "another process",
                    report.posted,
                    report.failed,
                    report.skipped,
                    report.revealed,
                    report.stood_down,
                )
            return report

    async def post_today(self, schedule: DailySchedule) -> tuple[PostResult, DailyChallenge | None]:
        """Post a server's challenge of today now, unless today already has one."""
        async with self._lock:
            now = self.bot.clock()
            today = local_date(now, resolve_zone(schedule.timezone))
            existing = await self.bot.db.daily.challenge_for_day(schedule.guild_id, today)
            if existing is not None and existing.state in (
                ChallengeState.POSTED,
                ChallengeState.REVEALED,
            ):
                return PostResult.ALREADY, existing
            result = await self.poster.post(schedule, today, now)
            challenge = await self.bot.db.daily.challenge_for_day(schedule.guild_id, today)
        self.wake()
        return result, challenge

    async def _fan_out(self, items: Iterable[T], work: Callable[[T], Awaitable[None]]) -> None:
        """Run ``work`` on every item, a bounded number at a time; one failure stops none."""
        slots = asyncio.Semaphore(self.concurrency)

        async def one(item: T) -> None:
            async with slots:
                try:
                    await work(item)
                except StorageUnavailable as error:
                    log.error("daily work on %r failed: %s", item, error)
                except Exception:
                    log.exception("daily work on %r failed", item)

        await asyncio.gather(*(one(item) for item in items))

    async def _reveal(self, challenge: DailyChallenge, now: datetime, report: RunReport) -> None:
        if await self.poster.reveal(challenge, now):
            report.revealed += 1

    async def _post_due(self, schedule: DailySchedule, now: datetime, report: RunReport) -> None:
        assert schedule.next_post_at is not None
        plan = plan_due(
            schedule.next_post_at, now, schedule.post_time, resolve_zone(schedule.timezone)
        )
        if plan.day is None:
            # Down through the whole scheduled day: that day is never posted afterwards.
            await self.bot.db.daily.reschedule(
                schedule.guild_id, plan.next_post_at, expected=schedule.next_post_at
            )
            report.skipped += 1
            return
        report.posts[await self.poster.post(schedule, plan.day, now)] += 1
