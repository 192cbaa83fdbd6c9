"""The live answer count of an open daily challenge: the edit that `LiveCounts`
(bot/exts/live.py) makes at most once per interval, 200 clicks in a minute costing
about a dozen edits."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.daily import ChallengeState
from bot.exts import replies
from bot.exts.daily import _render as render
from bot.exts.live import LiveCounts

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)


def daily_counts(bot: QuizBot) -> LiveCounts:
    """The live counts of the daily challenges' messages, keyed by challenge id."""
    live: LiveCounts

    async def edit(challenge_id: int) -> bool:
        async with live.lock(challenge_id):
            challenge = await bot.db.daily.challenge(challenge_id)
            if (
                challenge is None
                or challenge.state is not ChallengeState.POSTED
                or challenge.message_id is None
            ):
                return False
            count = await bot.db.daily.count_answers(challenge_id)
            channel = bot.get_partial_messageable(challenge.channel_id, guild_id=challenge.guild_id)
            try:
                await replies.edit(
                    channel.get_partial_message(challenge.message_id),
                    embed=render.challenge_embed(challenge, answered=count),
                )
            except discord.HTTPException as error:
                log.warning(
                    "could not update the answer count of daily challenge %s: %s",
                    challenge_id,
                    error,
                )
                return False
            return True

    live = LiveCounts(edit, name="daily-count")
    return live
