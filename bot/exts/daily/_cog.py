"""The Discord layer of `/daily`: commands, answer clicks, and the scheduler as a source of
the bot's one loop (`bot.timers`)."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.answers import Letter, Mode, is_correct, points_for
from bot.domain.catalog import DeckCatalog
from bot.domain.daily import (
    MAX_REVEAL_HOURS,
    MIN_REVEAL_HOURS,
    REVEAL_MARGIN,
    first_post_at,
)
from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.playable import UnplayableError, check_playable
from bot.domain.timezones import (
    InvalidTimeOfDayError,
    UnknownTimeZoneError,
    parse_hhmm,
    resolve_zone,
    search_zones,
)
from bot.domain.words import plural
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete, topic_autocomplete
from bot.exts.daily import _render as render
from bot.exts.daily._buttons import DailyButton, DailyClick
from bot.exts.daily._live import daily_counts
from bot.exts.daily._poster import Poster, PostResult
from bot.exts.daily._scheduler import DailyScheduler
from bot.members import member_name, remember_member, server_zone
from bot.storage import NewAnswer
from bot.storage.daily import DailyAnswerOutcome, DailyChallenge

log = logging.getLogger(__name__)

DAILY_SOURCE = "daily"  # the scheduler's name among the sources of `bot.timers`

# What the bot needs in the challenge channel: to see it, post, show embeds, and read
# its history (a post interrupted by a crash is looked for there before sending again).
NEEDED_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("read_message_history", "Read Message History"),
)


class DailySetupError(DomainError):
    """A `/daily setup` option is not usable; the message says why and how to fix it."""


class ChallengeGoneError(DomainError):
    def __init__(self) -> None:
        super().__init__("This challenge no longer exists.")


def _no_deck_error(deck_ids: list[str]) -> DailySetupError:
    listed = ", ".join(f"`{d}`" for d in deck_ids[:10]) or "none installed"
    return DailySetupError(f"Choose a deck with the `deck` option. Decks: {listed}.")


def _zone_note(given: str | None, zone: ZoneInfo, before: ZoneInfo) -> str:
    """What `/daily setup` did to the server's time zone."""
    if given is None:
        return ""
    if zone.key == before.key:
        return f"\nThe server's time zone stays **{zone.key}**."
    return (
        f"\nThe server's time zone is now **{zone.key}** (it was {before.key}): streak days "
        "and leaderboard periods follow it too. `/settings server-timezone` changes it."
    )


async def _zone_autocomplete(
    interaction: discord.Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=zone, value=zone) for zone in search_zones(current)]


class Daily(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot
        self.live = daily_counts(bot)
        self.poster = Poster(bot, self.live)
        self.scheduler = DailyScheduler(bot, self.poster)

    async def cog_load(self) -> None:
        # At start (setup_hook loads extensions), so buttons of challenges posted before
        # a restart work.
        self.bot.add_buttons(DailyButton, self._answer)
        self.bot.timers.add_source(DAILY_SOURCE, self.scheduler.run_due, self.scheduler.next_due)
        self.bot.timers.start()

    async def cog_unload(self) -> None:
        self.bot.remove_buttons(DailyButton)
        self.bot.timers.remove_source(DAILY_SOURCE)
        await self.live.close()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Fires again after a reconnect: the loop is started once, and only asked to look
        # at the database again, so nothing is posted twice.
        self.bot.timers.start()
        self.bot.timers.wake()

    daily = app_commands.Group(
        name="daily", description="A question a day in a channel", guild_only=True
    )

    # -- /daily setup ---------------------------------------------------------------

    @daily.command(
        name="setup", description="Post a question every day at a set local time (Manage Server)"
    )
    @app_commands.describe(
        channel="Where the daily question is posted",
        time="Local time of the post, 24-hour HH:MM (for example 09:00)",
        timezone="IANA time zone, for example Europe/Berlin (default: the server's)",
        deck="The deck the questions come from",
        topic="Only cards of this topic",
        role="A role to mention with each question",
        reveal_after="Reveal the answer this many hours after the post (default: just "
        "before the next post)",
    )
    @app_commands.autocomplete(
        timezone=_zone_autocomplete, deck=deck_autocomplete, topic=topic_autocomplete
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup_daily(
        self,
        interaction: discord.Interaction[QuizBot],
        channel: discord.TextChannel,
        time: str,
        timezone: str | None = None,
        deck: str | None = None,
        topic: str | None = None,
        role: discord.Role | None = None,
        reveal_after: app_commands.Range[int, MIN_REVEAL_HOURS, MAX_REVEAL_HOURS] | None = None,
    ) -> None:
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        try:
            at = parse_hhmm(time)
        except InvalidTimeOfDayError as error:
            raise DailySetupError(str(error)) from error
        # `timezone` sets the server's zone, always: the post, streak days and leaderboard
        # periods then share one clock. Without it, the server's zone in force is kept.
        in_force = await server_zone(self.bot.db, guild.id)
        try:
            zone = in_force if timezone is None else resolve_zone(timezone)
        except UnknownTimeZoneError as error:
            raise DailySetupError(str(error)) from error
        catalog = await self.bot.catalogs.for_guild(guild.id)
        chosen = self._deck(catalog, deck)
        topic_name = catalog.topic_of(chosen, topic)
        self._check_questions(chosen, topic_name)
        await self._check_channel(guild, channel)

        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        if zone.key != in_force.key:
            await self.bot.db.members.set_guild_timezone(guild.id, zone.key)
        latest = await self.bot.db.daily.latest(guild.id, posted_only=True)
        next_post = first_post_at(
            now, at, zone, last_day=None if latest is None else latest.local_date
        )
        schedule = await self.bot.db.daily.save_schedule(
            guild_id=guild.id,
            channel_id=channel.id,
            post_time=at,
            timezone=zone.key,
            deck_id=chosen.id,
            topic=topic_name,
            role_id=None if role is None else role.id,
            reveal_after=reveal_after,
            next_post_at=next_post,
            reveal_by=next_post - REVEAL_MARGIN,
            updated_by=interaction.user.id,
            now=now,
        )
        self.bot.timers.wake()
        log.info(
            "daily challenge of guild %s set to %s %s in channel %s",
            guild.id,
            render.format_time(at),
            zone.key,
            channel.id,
        )
        await replies.reply(
            interaction,
            render.setup_reply(schedule, zone, next_post) + _zone_note(timezone, zone, in_force),
            ephemeral=True,
        )

    @staticmethod
    def _deck(catalog: DeckCatalog, deck_id: str | None) -> Deck:
        if deck_id is not None:
            return catalog.get(deck_id)
        chosen = catalog.default()
        if chosen is None:
            raise _no_deck_error([d.id for d in catalog.all()])
        return chosen

    @staticmethod
    def _check_questions(deck: Deck, topic: str | None) -> None:
        try:
            check_playable(deck, Mode.DAILY, topic=topic)
        except UnplayableError as error:
            raise error.suggesting("Choose another `deck` or `topic`.") from None

    async def _check_channel(self, guild: discord.Guild, channel: discord.TextChannel) -> None:
        me: discord.Member | None = guild.me
        if me is None and self.bot.user is not None:
            me = await guild.fetch_member(self.bot.user.id)
        if me is None:
            raise DailySetupError("I could not look up my own permissions; try again.")
        granted = channel.permissions_for(me)
        missing = [label for name, label in NEEDED_PERMISSIONS if not getattr(granted, name)]
        if missing:
            raise DailySetupError(
                f"I can't post the daily challenge in {channel.mention}: I'm missing the "
                f"{', '.join(missing)} permission{'s' if len(missing) > 1 else ''} there. "
                "Give them to my role in that channel, then run `/daily setup` again."
            )

    # -- /daily status, disable, post ------------------------------------------------

    @daily.command(name="status", description="Show this server's daily challenge settings")
    async def status(self, interaction: discord.Interaction[QuizBot]) -> None:
        assert interaction.guild_id is not None
        db = self.bot.db
        schedule = await db.daily.schedule(interaction.guild_id)
        zone = None if schedule is None else resolve_zone(schedule.timezone)
        last = await db.daily.latest(interaction.guild_id)
        results = None if last is None else await db.daily.results(last.id)
        await replies.reply(
            interaction, embed=render.status_embed(schedule, zone, last, results), ephemeral=True
        )

    @daily.command(name="disable", description="Stop posting daily challenges here (Manage Server)")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def disable(self, interaction: discord.Interaction[QuizBot]) -> None:
        assert interaction.guild_id is not None
        if await self.bot.db.daily.disable(interaction.guild_id, self.bot.clock()):
            self.bot.timers.wake()
            text = (
                "Daily challenges are off. The open challenge is still revealed on time; "
                "`/daily setup` turns them back on."
            )
        else:
            text = "Daily challenges are not on here. `/daily setup` starts them."
        await replies.reply(interaction, text, ephemeral=True)

    @daily.command(
        name="post", description="Post today's challenge now, to try the setup (Manage Server)"
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def post(self, interaction: discord.Interaction[QuizBot]) -> None:
        assert interaction.guild_id is not None
        schedule = await self.bot.db.daily.schedule(interaction.guild_id)
        if schedule is None or not schedule.enabled:
            raise DailySetupError("Daily challenges are not on here. Run `/daily setup` first.")
        if schedule.paused:
            raise DailySetupError(
                f"The daily challenge is paused after {plural(schedule.failures, 'failed post')}: "
                f"{schedule.last_error} Run `/daily setup` again to resume."
            )
        # Posting talks to Discord and may wait on its rate limits: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        result, challenge = await self.scheduler.post_today(schedule)
        await replies.reply(interaction, self._post_reply(result, challenge), ephemeral=True)

    @staticmethod
    def _post_reply(result: PostResult, challenge: DailyChallenge | None) -> str:
        if result is PostResult.FAILED or challenge is None:
            return "I could not post it. `/daily status` shows what went wrong."
        where = f"<#{challenge.channel_id}>"
        if challenge.message_id is not None:
            where = render.jump_url(challenge.guild_id, challenge.channel_id, challenge.message_id)
        if result is PostResult.ALREADY:
            return f"Today's challenge is already posted: {where}"
        if result is PostResult.STOOD_DOWN:
            return f"Today's challenge is being posted right now; it will appear in {where}."
        return f"Posted today's challenge: {where}"

    # -- answer clicks --------------------------------------------------------------

    async def _answer(self, interaction: discord.Interaction[QuizBot], click: DailyClick) -> None:
        challenge_id, chosen = click
        now = self.bot.clock()
        user_id = interaction.user.id

        def answer_for(challenge: DailyChallenge) -> NewAnswer:
            # Runs inside the answer's write, holding the write lock: pure, no awaits.
            correct = is_correct(Letter.at(chosen), correct_index=challenge.question.correct_index)
            return NewAnswer(
                user_id=user_id,
                guild_id=challenge.guild_id,
                deck_id=challenge.deck_id,
                card_id=challenge.card_id,
                mode=Mode.DAILY,
                correct=correct,
                answered_at=now,
                points=points_for(Mode.DAILY, correct),
                response_ms=_response_ms(challenge.posted_at, now),
                challenge_id=challenge.id,
            )

        recorded = await replies.in_time(
            interaction,
            self.bot.db.daily.answer(challenge_id, answer_for, member=member_name(interaction)),
        )
        if recorded is None:
            raise ChallengeGoneError()
        challenge = recorded.challenge
        if recorded.outcome is DailyAnswerOutcome.CLOSED:
            await replies.reply(interaction, render.closed(challenge), ephemeral=True)
            return
        if recorded.outcome is DailyAnswerOutcome.DUPLICATE:
            await replies.reply(
                interaction, render.already_answered(challenge, recorded.answer), ephemeral=True
            )
            return
        if recorded.answer is None or recorded.streak is None:
            raise ValueError("a recorded daily answer came back without its answer and streak")
        await replies.reply(
            interaction,
            embed=render.answer_reply(
                challenge,
                chosen=chosen,
                correct=recorded.answer.correct,
                points=recorded.answer.points,
                streak=recorded.streak,
            ),
            ephemeral=True,
        )
        self.live.touch(challenge.id)


def _response_ms(posted_at: datetime | None, now: datetime) -> int | None:
    if posted_at is None:
        return None
    return max(0, int((now - posted_at).total_seconds() * 1000))
