"""Posting and revealing the daily challenges of every server.

The scheduler is a source of the bot's one loop (`bot.timers`, bot/timers.py): the loop
asks `next_due()` when a post or a reveal of the servers on this process's shards is next
due, and starts `run_due()` then, on a task of its own. All work of a run happens under
one lock: two runs never overlap, whoever starts them (the loop, or `/daily post`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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

# After standing down from a post another process claimed, look again this much later at
# the soonest: the holder moves the schedule on within seconds, or its lease ends.
STOOD_DOWN_SLEEP = timedelta(seconds=15)
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
        self._lock = asyncio.Lock()
        # The instant of the last run, if it stood down from a post another process held.
        self._stood_down_at: datetime | None = None

    async def next_due(self) -> datetime | None:
        """When a post or a reveal is next due here (None: nothing is scheduled); after a
        run that stood down, not before `STOOD_DOWN_SLEEP` has passed since, so a claim
        another process holds is not looked at again every second."""
        due = await self.bot.db.daily.next_due(shards=self.bot.shard_scope())
        if self._stood_down_at is None:
            return due
        return None if due is None else max(due, self._stood_down_at + STOOD_DOWN_SLEEP)

    async def run_due(self) -> RunReport:
        """Reveal and post everything due now; returns when all of it is done."""
        async with self._lock:
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
            self._stood_down_at = now if report.stood_down else None
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
        self.bot.timers.wake()
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
