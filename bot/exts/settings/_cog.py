"""The Discord layer of `/settings`: time zones, and review settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.errors import DomainError
from bot.domain.review import (
    MAX_NEW_CARDS_PER_DAY,
    MAX_RETENTION,
    MIN_RETENTION,
    check_retention,
)
from bot.domain.timezones import UnknownTimeZoneError, resolve_zone, search_zones
from bot.domain.words import plural
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete
from bot.members import remember_member

FOLLOW_SERVER = "server"  # the `zone` value that clears a member's own zone
MAX_CHOICES = 25

T = TypeVar("T")


class UnknownZoneError(DomainError):
    """An unknown zone name, answered with the close matches the lookup found."""

    def __init__(self, error: UnknownTimeZoneError) -> None:
        super().__init__(str(error))
        self.suggestions = error.suggestions


def zone_named(name: str) -> ZoneInfo:
    try:
        return resolve_zone(name)
    except UnknownTimeZoneError as error:
        raise UnknownZoneError(error) from None


def in_a_server() -> Callable[[T], T]:
    """Refuse in DMs before any other check: a subcommand cannot be marked guild-only."""

    def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    return app_commands.check(predicate)


def _choices(names: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in names]


async def _zone_autocomplete(
    interaction: discord.Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    return _choices(search_zones(current, MAX_CHOICES))


async def _own_zone_autocomplete(
    interaction: discord.Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    follow = app_commands.Choice(name="Use the server's time zone", value=FOLLOW_SERVER)
    offer_follow = not current.strip() or FOLLOW_SERVER.startswith(current.strip().casefold())
    zones = _choices(search_zones(current, MAX_CHOICES - int(offer_follow)))
    return [follow, *zones] if offer_follow else zones


def retention_percent(value: float) -> str:
    """A desired retention as a percentage, with every digit it was given: 0.925 is 92.5%."""
    return f"{round(value * 100, 6):g}%"


def _clock_line(zone: ZoneInfo, now: datetime) -> str:
    local = now.astimezone(zone)
    return f"It is {local:%H:%M} on {local:%A} there now."


class Settings(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot

    settings = app_commands.Group(
        name="settings", description="Time zones and review settings for you and the server"
    )

    @settings.command(name="timezone", description="Your time zone, for your study streak")
    @app_commands.describe(
        zone="An IANA name such as Europe/Berlin, or 'server' to follow the server's zone"
    )
    @app_commands.autocomplete(zone=_own_zone_autocomplete)
    async def timezone(
        self, interaction: discord.Interaction[QuizBot], zone: app_commands.Range[str, 1, 100]
    ) -> None:
        now = self.bot.clock()
        if zone.strip().casefold() == FOLLOW_SERVER:
            await remember_member(self.bot.db, interaction, now)
            await self.bot.db.members.set_timezone(interaction.user.id, None, now)
            text = "You now follow the server's time zone for your study streak."
        else:
            resolved = zone_named(zone)
            await remember_member(self.bot.db, interaction, now)
            await self.bot.db.members.set_timezone(interaction.user.id, resolved.key, now)
            text = (
                f"Your time zone is now **{resolved.key}**. {_clock_line(resolved, now)} "
                "Your study streak counts days there."
            )
        await replies.reply(interaction, text, ephemeral=True)

    @settings.command(
        name="server-timezone",
        description="The server's time zone for days, streaks and leaderboards (Manage Server)",
    )
    @app_commands.describe(zone="An IANA name such as Europe/Berlin or America/New_York")
    @app_commands.autocomplete(zone=_zone_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_a_server()
    async def server_timezone(
        self, interaction: discord.Interaction[QuizBot], zone: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild_id is not None  # in_a_server
        resolved = zone_named(zone)
        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        await self.bot.db.members.set_guild_timezone(interaction.guild_id, resolved.key)
        text = (
            f"This server's time zone is now **{resolved.key}**. {_clock_line(resolved, now)} "
            "Days for streaks and leaderboard periods follow it; members who set their own "
            "zone keep it for their study streak."
        )
        # The daily challenge keeps the clock time and zone it was set up with: say so,
        # rather than move a post the members expect at a time they know.
        daily = await self.bot.db.daily.schedule(interaction.guild_id)
        if daily is not None and daily.enabled and daily.timezone != resolved.key:
            text += (
                f"\nThe daily challenge still posts at {daily.post_time:%H:%M} "
                f"{daily.timezone}; `/daily setup` with `timezone:{resolved.key}` moves it."
            )
        await replies.reply(interaction, text, ephemeral=True)

    @settings.command(
        name="new-cards-per-day", description="How many new cards /review may start each day"
    )
    @app_commands.describe(count="New cards a day (0 to 200; 0 means reviews only)")
    async def new_cards_per_day(
        self,
        interaction: discord.Interaction[QuizBot],
        count: app_commands.Range[int, 0, MAX_NEW_CARDS_PER_DAY],
    ) -> None:
        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        await self.bot.db.reviews.set_new_cards_per_day(interaction.user.id, count)
        if count == 0:
            text = "`/review` now shows only cards you have already started."
        else:
            text = (
                f"`/review` now starts up to **{plural(count, 'new card')}** a day, "
                "counted from midnight in your time zone."
            )
        await replies.reply(interaction, text, ephemeral=True)

    @settings.command(
        name="retention",
        description="Desired retention for reviews in this server (Manage Server)",
    )
    @app_commands.describe(
        value="The share of reviews you aim to remember, 0.70 to 0.97 (default 0.90)"
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_a_server()
    async def retention(
        self,
        interaction: discord.Interaction[QuizBot],
        value: app_commands.Range[float, MIN_RETENTION, MAX_RETENTION],
    ) -> None:
        assert interaction.guild_id is not None  # in_a_server
        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        await self.bot.db.reviews.set_desired_retention(
            interaction.guild_id, check_retention(value)
        )
        stored = await self.bot.db.reviews.desired_retention(interaction.guild_id)
        await replies.reply(
            interaction,
            f"Reviews in this server now aim at **{retention_percent(stored)}** retention: "
            "higher means shorter intervals and more reviews. It applies from each card's "
            "next review.",
            ephemeral=True,
        )

    @settings.command(name="exam-date", description="Your exam date for a deck, for /readiness")
    @app_commands.describe(
        date="The day of the exam, YYYY-MM-DD, in your time zone",
        deck="The deck of the exam (default: the one studied last)",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def exam_date(
        self,
        interaction: discord.Interaction[QuizBot],
        date: app_commands.Range[str, 1, 40],
        deck: str | None = None,
    ) -> None:
        readiness = self.bot.get_cog("Readiness")
        if readiness is None:
            raise DomainError("Exam dates are not available right now. Try again in a minute.")
        await readiness.set_exam_date(interaction, date, deck)  # type: ignore[attr-defined]
