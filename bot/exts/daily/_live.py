"""The live answer count of open challenges, edited at most once per interval.

A click marks its challenge dirty. The first click of a quiet period edits the message at
once; clicks during the following interval are folded into one trailing edit. So 200
clicks in a minute cost about a dozen edits, and the last count shown is always right.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.daily import ChallengeState
from bot.exts import replies
from bot.exts.daily import _render as render

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5.0


class LiveCounts:
    def __init__(self, bot: QuizBot, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.bot = bot
        self.interval = interval
        self.edits = 0  # count edits made, for logs and tests
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, challenge_id: int) -> asyncio.Lock:
        """Serialises every edit of one challenge's message, so a late count edit can
        never overwrite the reveal."""
        return self._locks.setdefault(challenge_id, asyncio.Lock())

    def forget(self, challenge_id: int) -> None:
        """Drop the bookkeeping of a challenge that will not change any more."""
        self._dirty.discard(challenge_id)
        task = self._tasks.pop(challenge_id, None)
        if task is not None:
            task.cancel()
        lock = self._locks.get(challenge_id)
        if lock is not None and not lock.locked():
            del self._locks[challenge_id]

    def touch(self, challenge_id: int) -> None:
        """A new answer arrived: show the count soon."""
        self._dirty.add(challenge_id)
        if challenge_id not in self._tasks:
            self._tasks[challenge_id] = asyncio.create_task(
                self._run(challenge_id), name=f"daily-count-{challenge_id}"
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

    async def _run(self, challenge_id: int) -> None:
        try:
            while challenge_id in self._dirty:
                self._dirty.discard(challenge_id)
                await self._edit(challenge_id)
                await asyncio.sleep(self.interval)
        finally:
            # No await between the last dirty check and here, so no click is lost.
            if self._tasks.get(challenge_id) is asyncio.current_task():
                del self._tasks[challenge_id]

    async def _edit(self, challenge_id: int) -> None:
        async with self.lock(challenge_id):
            challenge = await self.bot.db.daily.challenge(challenge_id)
            if (
                challenge is None
                or challenge.state is not ChallengeState.POSTED
                or challenge.message_id is None
            ):
                return
            count = await self.bot.db.daily.count_answers(challenge_id)
            channel = self.bot.get_partial_messageable(
                challenge.channel_id, guild_id=challenge.guild_id
            )
            try:
                await replies.edit(
                    channel.get_partial_message(challenge.message_id),
                    embed=render.challenge_embed(challenge, answered=count),
                )
                self.edits += 1
            except discord.HTTPException as error:
                log.warning(
                    "could not update the answer count of daily challenge %s: %s",
                    challenge_id,
                    error,
                )
