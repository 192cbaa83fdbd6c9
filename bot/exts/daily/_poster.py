"""Posting and revealing one server's challenge, safely against crashes and repeats.

A post goes through the database in three steps: the challenge row is written as an
intent (with its card), `attempts` is raised just before the message is sent, and the
message id is stored after. If the process dies in between, the next run finds the row
still an intent; when `attempts` is above zero a message may exist, so the channel's
recent history is searched for a bot message whose buttons carry this challenge's id.
Found, it is adopted; not found, it is sent. Either way the channel gets one message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

import discord

from bot.domain.answers import Mode
from bot.domain.daily import (
    RETRY_DELAY,
    ChallengeState,
    DailyQuestion,
    choose_card,
    first_post_at,
    plan_failure,
    reveal_time,
)
from bot.domain.errors import DomainError
from bot.domain.playable import check_playable
from bot.domain.questions import build_multiple_choice
from bot.domain.timezones import resolve_zone
from bot.exts import replies
from bot.exts.daily import _render as render
from bot.exts.daily._buttons import marker
from bot.exts.live import LiveCounts
from bot.storage.daily import DailyChallenge, DailySchedule

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)

# Messages searched for a post that may have been sent before a crash. Recovery runs at
# the next start, so only a very busy channel pushes the post further back than this.
HISTORY_SCAN = 200
# One server's Discord calls may not hold a fan-out slot longer than this.
POST_TIMEOUT = 60.0
# How long a process's claim on a day's post holds. Longer than a post may take, so a
# holder that is still sending is never overtaken; a holder that died is taken over once
# it ends (a restart of the same process included: its claim was made by another start).
CLAIM_LEASE = timedelta(seconds=2 * POST_TIMEOUT)


class PostResult(Enum):
    POSTED = "posted"
    RECOVERED = "recovered"  # a message sent before a crash was found and adopted
    ALREADY = "already"  # the day already had its post
    STOOD_DOWN = "stood down"  # another process holds the claim on the day's post
    FAILED = "failed"


class DeckGoneError(DomainError):
    def __init__(self, deck_id: str) -> None:
        super().__init__(f"The deck `{deck_id}` is no longer installed; choose another one.")


def describe_error(error: BaseException, channel_id: int) -> str:
    """What went wrong, in words an admin can act on."""
    channel = f"<#{channel_id}>"
    if isinstance(error, discord.NotFound) and error.code == 10003:
        return f"The channel {channel} no longer exists (deleted?)."
    if isinstance(error, discord.Forbidden):
        if error.code == 50001:
            return f"I can no longer see {channel} (Missing Access)."
        return (
            f"I am not allowed to post in {channel} (Missing Permissions): I need View Channel, "
            "Send Messages, Embed Links and Read Message History there."
        )
    if isinstance(error, discord.HTTPException):
        return f"Discord refused the post: {error.status} {error.text or ''}".strip()
    if isinstance(error, TimeoutError):
        return "Discord did not answer in time."
    if isinstance(error, DomainError):
        return str(error)
    return f"Unexpected error: {type(error).__name__}."


def _proves_nothing_sent(error: BaseException) -> bool:
    """Errors Discord gives before creating anything; others (5xx, timeouts) leave doubt."""
    if isinstance(error, discord.Forbidden | discord.NotFound):
        return True
    return isinstance(error, discord.HTTPException) and 400 <= error.status < 500


class Poster:
    def __init__(self, bot: QuizBot, live: LiveCounts) -> None:
        self.bot = bot
        self.live = live

    # -- posting ----------------------------------------------------------------------

    async def post(self, schedule: DailySchedule, day: date, now: datetime) -> PostResult:
        """Post the challenge of local ``day`` for a server, or record why it failed."""
        challenge: DailyChallenge | None = None
        sending = recovered = False
        try:
            async with asyncio.timeout(POST_TIMEOUT):
                challenge = await self._challenge_for(schedule, day, now)
                if challenge.state in (ChallengeState.POSTED, ChallengeState.REVEALED):
                    await self._move_on(schedule, day)
                    return PostResult.ALREADY
                if not await self._claim(challenge, now):
                    return PostResult.STOOD_DOWN
                await self._reveal_earlier(schedule.guild_id, day, now)
                message_id = None
                if challenge.state is ChallengeState.INTENT and challenge.attempts > 0:
                    message_id = await self._find_sent(challenge)
                recovered = message_id is not None
                if message_id is None:
                    if not await self.bot.db.daily.begin_send(
                        challenge.id,
                        attempts=challenge.attempts,
                        channel_id=schedule.channel_id,
                        role_id=schedule.role_id,
                        holder=self.bot.instance_id,
                    ):
                        return PostResult.ALREADY
                    challenge = replace(
                        challenge, channel_id=schedule.channel_id, role_id=schedule.role_id
                    )
                    sending = True
                    message_id = await self._send(challenge)
                    sending = False
                await self._mark_posted(schedule, challenge, message_id, day)
        except Exception as error:
            await self._failed(schedule, challenge, day, error, now, nothing_sent=sending)
            return PostResult.FAILED
        if recovered:
            log.info("recovered the daily post of guild %s for %s", schedule.guild_id, day)
            return PostResult.RECOVERED
        return PostResult.POSTED

    async def _challenge_for(
        self, schedule: DailySchedule, day: date, now: datetime
    ) -> DailyChallenge:
        """The day's challenge row, choosing its card and writing the intent if it is new."""
        db = self.bot.db
        existing = await db.daily.challenge_for_day(schedule.guild_id, day)
        if existing is not None:
            return existing
        deck = (await self.bot.catalogs.for_guild(schedule.guild_id)).decks.get(schedule.deck_id)
        if deck is None:
            raise DeckGoneError(schedule.deck_id)
        # A server deck replaced since the setup may have lost its cards or its answers.
        check_playable(deck, Mode.DAILY, topic=schedule.topic)
        pool = list(deck.cards_in_topic(schedule.topic) if schedule.topic else deck.cards)
        pool = [card for card in pool if not (card.picture_answer or card.front_image)]
        history = await db.daily.card_history(schedule.guild_id, deck.id)
        records = await db.daily.card_records(schedule.guild_id, deck.id)
        seed = f"{schedule.guild_id}:{day.isoformat()}"
        card = choose_card(pool, history, records, seed=seed)
        question = DailyQuestion.of(
            build_multiple_choice(deck, card, seed=f"daily:{seed}"), card.explanation
        )
        return await db.daily.create_intent(
            guild_id=schedule.guild_id,
            day=day,
            channel_id=schedule.channel_id,
            deck_id=deck.id,
            topic=schedule.topic,
            question=question,
            role_id=schedule.role_id,
            now=now,
        )

    async def _claim(self, challenge: DailyChallenge, now: datetime) -> bool:
        """Claim the sending of the day's post for this process, or say who has it.

        Two processes may both believe they run a server's shard (a rolling restart, a
        new shard count, a misconfiguration); the database lets one of them send.
        """
        db = self.bot.db
        me = self.bot.instance_id
        if await db.daily.claim(challenge.id, holder=me, now=now, until=now + CLAIM_LEASE):
            return True
        claim = await db.daily.claim_of(challenge.id)
        if claim is None or claim.holder is None:
            reason = f"it is {claim.state.value if claim else 'gone'} already"
        else:
            until = "" if claim.until is None else f" until {claim.until:%H:%M:%S} UTC"
            reason = f"process {claim.holder} claimed it{until}"
        log.info(
            "daily post of guild %s for %s left to another process: %s",
            challenge.guild_id,
            challenge.local_date,
            reason,
        )
        return False

    async def _find_sent(self, challenge: DailyChallenge) -> int | None:
        """The id of this challenge's message if an earlier attempt did send it."""
        me = self.bot.user
        if me is None:
            return None
        channel = self.bot.get_partial_messageable(
            challenge.channel_id, guild_id=challenge.guild_id
        )
        prefix = marker(challenge.id)
        async for message in channel.history(limit=HISTORY_SCAN):
            if message.author.id != me.id:
                continue
            for row in message.components:
                for child in getattr(row, "children", ()):
                    if str(getattr(child, "custom_id", None) or "").startswith(prefix):
                        return message.id
        return None

    async def _send(self, challenge: DailyChallenge) -> int:
        channel = self.bot.get_partial_messageable(
            challenge.channel_id, guild_id=challenge.guild_id
        )
        content, mentions = render.post_content(challenge)
        message = await replies.post(
            channel,
            content,
            embed=render.challenge_embed(challenge, answered=0),
            view=render.answer_view(challenge),
            allowed_mentions=mentions,
        )
        return message.id

    async def _mark_posted(
        self, schedule: DailySchedule, challenge: DailyChallenge, message_id: int, day: date
    ) -> None:
        posted_at = self.bot.clock()
        zone = resolve_zone(schedule.timezone)
        next_post = first_post_at(posted_at, schedule.post_time, zone, last_day=day)
        await self.bot.db.daily.mark_posted(
            challenge.id,
            message_id=message_id,
            posted_at=posted_at,
            reveal_at=reveal_time(posted_at, schedule.reveal_after, next_post),
            next_post_at=next_post,
        )

    async def _move_on(self, schedule: DailySchedule, day: date) -> None:
        """The day already has its post: the schedule's next post is on a later day."""
        zone = resolve_zone(schedule.timezone)
        next_post = first_post_at(self.bot.clock(), schedule.post_time, zone, last_day=day)
        await self.bot.db.daily.reschedule(
            schedule.guild_id, next_post, expected=schedule.next_post_at
        )

    async def _reveal_earlier(self, guild_id: int, day: date, now: datetime) -> None:
        """Close what is still open before a new day's challenge goes up."""
        for challenge in await self.bot.db.daily.open_challenges(guild_id, before=day):
            await self.reveal(challenge, now)

    async def _failed(
        self,
        schedule: DailySchedule,
        challenge: DailyChallenge | None,
        day: date,
        error: Exception,
        now: datetime,
        *,
        nothing_sent: bool,
    ) -> None:
        description = describe_error(error, schedule.channel_id)
        unexpected = not isinstance(error, discord.HTTPException | TimeoutError | DomainError)
        try:
            zone = resolve_zone(schedule.timezone)
            plan = plan_failure(schedule.failures, now, day, schedule.post_time, zone)
        except ValueError:  # the zone itself vanished from the tz database
            plan = plan_failure(
                schedule.failures, now, day, schedule.post_time, resolve_zone("UTC")
            )
        log.warning(
            "daily post of guild %s for %s failed (%d in a row%s): %s",
            schedule.guild_id,
            day,
            plan.failures,
            ", schedule paused" if plan.paused else "",
            description,
            exc_info=error if unexpected else None,
        )
        await self.bot.db.daily.record_failure(
            schedule.guild_id,
            None if challenge is None else challenge.id,
            error=description,
            nothing_sent=nothing_sent and _proves_nothing_sent(error),
            failures=plan.failures,
            paused=plan.paused,
            next_post_at=plan.next_post_at,
            now=now,
        )

    # -- revealing --------------------------------------------------------------------

    async def reveal(self, challenge: DailyChallenge, now: datetime) -> bool:
        """Close a challenge, settle the streaks of those who did not answer, show the result;
        False when another process has it in hand (or showed it already).

        Each step may be repeated after a crash: closing and streaks are idempotent, and
        the reveal counts as shown only once its message was edited (or is gone).
        """
        db = self.bot.db
        # Two processes may both look after the server: the database lets one reveal.
        if not await db.daily.claim_reveal(
            challenge.id, holder=self.bot.instance_id, now=now, until=now + CLAIM_LEASE
        ):
            log.info(
                "reveal of daily challenge %s left to another process: it holds the claim, "
                "or it is shown already",
                challenge.id,
            )
            return False
        async with self.live.lock(challenge.id):
            if challenge.state is ChallengeState.POSTED:
                await db.daily.close(challenge.id, now)
            await db.daily.break_missed_streaks(challenge, now)
            results = await db.daily.results(challenge.id)
            if challenge.message_id is not None:
                channel = self.bot.get_partial_messageable(
                    challenge.channel_id, guild_id=challenge.guild_id
                )
                message = channel.get_partial_message(challenge.message_id)
                try:
                    async with asyncio.timeout(POST_TIMEOUT):
                        await replies.edit(
                            message,
                            embed=render.revealed_embed(challenge, results),
                            view=render.answer_view(challenge, revealed=True),
                        )
                except (discord.NotFound, discord.Forbidden) as error:
                    # Nothing left to show it on; the result is settled all the same.
                    log.warning(
                        "could not show the reveal of daily challenge %s: %s",
                        challenge.id,
                        describe_error(error, challenge.channel_id),
                    )
                except (discord.HTTPException, TimeoutError) as error:
                    log.warning(
                        "reveal of daily challenge %s not shown yet, retrying: %s",
                        challenge.id,
                        describe_error(error, challenge.channel_id),
                    )
                    await db.daily.postpone_reveal(challenge.id, now + RETRY_DELAY)
                    return True
            await db.daily.mark_reveal_shown(challenge.id)
        self.live.forget(challenge.id)
        log.info(
            "revealed daily challenge %s of guild %s: %d answered, %d right",
            challenge.id,
            challenge.guild_id,
            results.answered,
            results.right,
        )
        return True
