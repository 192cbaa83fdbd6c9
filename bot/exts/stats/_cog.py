"""The Discord layer of points, streaks, leaderboards, seasons and /forgetme."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.heatmap import first_day as calendar_start
from bot.domain.leaderboard import (
    Board,
    Period,
    Ranked,
    clamp_page,
    page_count,
    page_of,
    period_window,
)
from bot.domain.streaks import days_of, streak_breaks_at, study_streak
from bot.domain.timezones import local_date, local_day_bounds
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete
from bot.exts.stats import _render as render
from bot.exts.stats._buttons import (
    ForgetButton,
    ForgetClick,
    LeaderboardButton,
    PageClick,
    SeasonButton,
    SeasonClick,
)
from bot.exts.stats._picture import PICTURE_NAME, Picture, PictureInput, draw_stats
from bot.exts.stats._summary import ACTIVITY_DAYS, TopicResult, activity_days, topic_results
from bot.members import member_zone, remember_member, server_zone
from bot.storage.boards import BoardRow
from bot.storage.models import from_ms, to_ms

log = logging.getLogger(__name__)


def _line(row: BoardRow) -> render.Line:
    return render.Line(row.rank, row.user_id, row.name, row.value, row.graded, row.correct)


class Stats(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot
        # Draws the /stats picture; run in a worker thread, off the event loop.
        self.draw: Callable[[PictureInput], Picture] = draw_stats

    async def cog_load(self) -> None:
        # Registered at start, so buttons sent before a restart still answer.
        self.bot.add_buttons(LeaderboardButton, self._page)
        self.bot.add_buttons(SeasonButton, self._confirm_season)
        self.bot.add_buttons(ForgetButton, self._confirm_forget)

    async def cog_unload(self) -> None:
        for family in (LeaderboardButton, SeasonButton, ForgetButton):
            self.bot.remove_buttons(family)

    season = app_commands.Group(
        name="season",
        description="Leaderboard seasons of this server",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    # -- helpers --------------------------------------------------------------------

    # -- /streak --------------------------------------------------------------------

    @app_commands.command(name="streak", description="Study and daily-challenge streaks")
    @app_commands.describe(user="Whose streaks to show (default: yours)")
    async def streak(
        self, interaction: discord.Interaction[QuizBot], user: discord.User | None = None
    ) -> None:
        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        target = user or interaction.user
        guild_id = interaction.guild_id
        zone = await member_zone(self.bot.db, target.id, guild_id)
        today = local_date(now, zone)
        db = self.bot.db
        here = study_streak(days_of(await db.stats.quarters(target.id, guild_id), zone), today)
        overall = None
        if guild_id is not None:
            overall = study_streak(days_of(await db.stats.quarters(target.id, None), zone), today)
        daily = await db.daily.streak(guild_id, target.id) if guild_id is not None else None
        embed = render.streak_embed(
            target.display_name,
            here=here,
            overall=overall,
            daily=daily,
            today=today,
            breaks_at=streak_breaks_at(here, zone),
            zone=zone.key,
            in_server=guild_id is not None,
        )
        await replies.reply(interaction, embed=embed, ephemeral=True)

    # -- /leaderboard ---------------------------------------------------------------

    @app_commands.command(name="leaderboard", description="This server's leaderboard")
    @app_commands.guild_only()
    @app_commands.describe(
        board="What to rank by (default: points)",
        period="Which answers count, in the server's time zone (default: all-time)",
    )
    async def leaderboard(
        self,
        interaction: discord.Interaction[QuizBot],
        board: Literal["points", "streak", "accuracy"] = "points",
        period: Literal["all-time", "month", "week", "today"] = "all-time",
    ) -> None:
        assert interaction.guild_id is not None  # guild_only
        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        # Public: a leaderboard is for everyone in the channel. Deferred, since a
        # board over a large server can take a moment.
        await interaction.response.defer(thinking=True)
        owner = interaction.user.id
        view = await self._board(interaction.guild_id, Board(board), Period(period), 0, owner)
        await replies.reply(
            interaction,
            embed=render.leaderboard_embed(view),
            view=render.leaderboard_buttons(view, owner),
        )

    async def _board(
        self, guild_id: int, board: Board, period: Period, page: int, viewer_id: int
    ) -> render.BoardView:
        now = self.bot.clock()
        db = self.bot.db
        zone = await server_zone(self.bot.db, guild_id)
        season = await db.boards.season(guild_id)
        if board is Board.STREAK:
            return await self._streak_board(guild_id, period, page, viewer_id, zone, now)
        window = None
        if period is not Period.ALL_TIME:
            window = period_window(period, now, zone, season.started_at if season else None)
        found = await db.boards.page(board, guild_id, window=window, page=page, viewer_id=viewer_id)
        if page != clamp_page(page, found.total):  # members left since the button was made
            page = clamp_page(page, found.total)
            found = await db.boards.page(
                board, guild_id, window=window, page=page, viewer_id=viewer_id
            )
        viewer_graded = 0
        if board is Board.ACCURACY and found.own is None:
            since = window.start if window else (season.started_at if season else None)
            viewer_graded = (await db.stats.totals(viewer_id, guild_id, since=since)).graded
        return render.BoardView(
            board=board,
            period=period,
            lines=[_line(row) for row in found.rows],
            own=None if found.own is None else _line(found.own),
            viewer_id=viewer_id,
            total=found.total,
            page=page,
            pages=page_count(found.total),
            zone=zone.key,
            season=season,
            viewer_graded=viewer_graded,
        )

    async def _streak_board(
        self,
        guild_id: int,
        period: Period,
        page: int,
        viewer_id: int,
        zone: ZoneInfo,
        now: datetime,
    ) -> render.BoardView:
        """Current study streaks in this server, each in the member's own zone."""
        db = self.bot.db
        standings = await db.boards.study_streaks(guild_id, now, zone)
        cut = page_of(standings, page, viewer_id)
        shown = [r.standing.user_id for r in cut.rows]
        if cut.own is not None:
            shown.append(cut.own.standing.user_id)
        names = await db.members.names(shown)

        def line(ranked: Ranked) -> render.Line:
            standing = ranked.standing
            return render.Line(
                ranked.rank, standing.user_id, names.get(standing.user_id), standing.value
            )

        return render.BoardView(
            board=Board.STREAK,
            period=period,
            lines=[line(r) for r in cut.rows],
            own=None if cut.own is None else line(cut.own),
            viewer_id=viewer_id,
            total=cut.total,
            page=cut.page,
            pages=cut.pages,
            zone=zone.key,
            season=None,
        )

    # -- /stats ---------------------------------------------------------------------

    @app_commands.command(name="stats", description="Answers, accuracy, points and streaks")
    @app_commands.describe(
        user="Whose statistics to show (default: yours)",
        deck="The deck whose topics to break down (default: the one studied last)",
    )
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def stats(
        self,
        interaction: discord.Interaction[QuizBot],
        user: discord.User | None = None,
        deck: str | None = None,
    ) -> None:
        now = self.bot.clock()
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        await remember_member(self.bot.db, interaction, now)
        target = user or interaction.user
        guild_id = interaction.guild_id
        db = self.bot.db
        deck_note = None
        chosen: Deck | None
        if deck:
            chosen = catalog.get(deck)
        else:
            chosen = catalog.studied_last(await db.stats.decks_by_recency(target.id, guild_id))
            if chosen is None:
                deck_note = "Name a deck with `deck` to see its topics."
            elif len(catalog.decks) > 1:
                deck_note = "Topics are of the deck studied last; `deck` shows another."
        zone = await member_zone(self.bot.db, target.id, guild_id)
        today = local_date(now, zone)
        totals = await db.stats.totals(target.id, guild_id)
        season = await db.boards.season(guild_id) if guild_id is not None else None
        season_points = None
        if season is not None:
            season_points = (
                await db.stats.totals(target.id, guild_id, since=season.started_at)
            ).points
        topics: list[TopicResult] = []
        untouched: list[str] = []
        if chosen is not None:
            topics, untouched = topic_results(
                chosen, await db.stats.cards(target.id, guild_id, chosen.id)
            )
        recalled, reviewed = await db.reviews.retention_since(target.id, now - timedelta(days=30))
        first_day = today - timedelta(days=ACTIVITY_DAYS - 1)
        since, _ = local_day_bounds(first_day, zone)
        rounds_played, rounds_won = await db.rounds.record(guild_id, target.id)
        view = render.StatsView(
            name=target.display_name,
            place="this server" if guild_id is not None else "all servers and DMs",
            totals=totals,
            season=season,
            season_points=season_points,
            study=study_streak(days_of(await db.stats.quarters(target.id, guild_id), zone), today),
            daily=await db.daily.streak(guild_id, target.id) if guild_id is not None else None,
            deck_title=chosen.title if chosen is not None else None,
            deck_note=deck_note,
            topics=topics,
            untouched=untouched,
            activity=activity_days(
                await db.stats.activity(target.id, guild_id, since), zone, today
            ),
            zone=zone.key,
            recalled=recalled,
            reviewed=reviewed,
            mature=await db.reviews.mature_cards(target.id),
            rounds_played=rounds_played,
            rounds_won=rounds_won,
        )
        message: dict[str, Any] = {"embed": render.stats_embed(view), "ephemeral": True}
        if totals.answers:
            start, _ = local_day_bounds(calendar_start(today), zone)
            results = await db.progress.quarters(target.id, guild_id, start)
            given = PictureInput(
                today=today,
                now=now,
                zone=zone,
                quarters=[(q.start, q.answers, q.graded, q.correct) for q in results],
                deck=chosen,
                states=await db.reviews.states(target.id, chosen.id) if chosen else [],
                topics=topics,
            )
            picture = await asyncio.to_thread(self.draw, given)
            message["file"] = discord.File(
                io.BytesIO(picture.png), filename=PICTURE_NAME, description=picture.alt_text
            )
        else:
            whose = "You have" if target.id == interaction.user.id else "They have"
            message["content"] = (
                f"{whose} no answers here yet, so there is no picture of progress to draw. "
                "A few cards with `/quiz` or `/review` start one."
            )
        await replies.reply(interaction, **message)

    # -- /season start --------------------------------------------------------------

    @season.command(name="start", description="Start a new leaderboard season (Manage Server)")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def season_start(self, interaction: discord.Interaction[QuizBot]) -> None:
        assert interaction.guild_id is not None  # the group is guild-only
        now = self.bot.clock()
        await remember_member(self.bot.db, interaction, now)
        current = await self.bot.db.boards.season(interaction.guild_id)
        embed, view = render.season_prompt(current, interaction.user.id, to_ms(now))
        await replies.reply(interaction, embed=embed, view=view, ephemeral=True)

    # -- /forgetme ------------------------------------------------------------------

    @app_commands.command(
        name="forgetme", description="Delete your answers, quiz sessions and streaks everywhere"
    )
    async def forgetme(self, interaction: discord.Interaction[QuizBot]) -> None:
        # No _remember here: storing the name of someone asking to be forgotten is wrong.
        data = await self.bot.db.members.stored(interaction.user.id)
        if data.empty:
            await replies.reply(
                interaction,
                "I store nothing about you: there is nothing to delete.",
                ephemeral=True,
            )
            return
        embed, view = render.forget_prompt(data, interaction.user.id)
        await replies.reply(interaction, embed=embed, view=view, ephemeral=True)

    # -- buttons --------------------------------------------------------------------

    async def _page(self, interaction: discord.Interaction[QuizBot], click: PageClick) -> None:
        """The owner pages the message itself; anyone else gets their own private copy,
        with their own rank, rather than moving the board under the owner's eyes."""
        board, period, page, owner = click
        guild_id = interaction.guild_id
        if guild_id is None:
            raise DomainError("Leaderboards belong to servers.")
        viewer = interaction.user.id
        await remember_member(self.bot.db, interaction, self.bot.clock())
        if viewer == owner:
            await interaction.response.defer()
            view = await self._board(guild_id, board, period, page, viewer)
            await replies.update(
                interaction,
                embed=render.leaderboard_embed(view),
                view=render.leaderboard_buttons(view, owner),
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self._board(guild_id, board, period, page, viewer)
        await replies.reply(
            interaction,
            embed=render.leaderboard_embed(view),
            view=render.leaderboard_buttons(view, viewer),
            ephemeral=True,
        )

    async def _confirm_season(
        self, interaction: discord.Interaction[QuizBot], click: SeasonClick
    ) -> None:
        action, owner, shown_ms = click
        guild_id = interaction.guild_id
        if guild_id is None:
            raise DomainError("Seasons belong to servers.")
        if not interaction.permissions.manage_guild:  # it may have been taken away since
            raise app_commands.MissingPermissions(["manage_guild"])
        if action == "no":
            await replies.update(
                interaction,
                content="No new season: the current one goes on.",
                embed=None,
                view=None,
            )
            return
        now = self.bot.clock()
        started = await self.bot.db.boards.start_season(
            guild_id, now, unless_started_since=from_ms(shown_ms)
        )
        if started is None:
            current = await self.bot.db.boards.season(guild_id)
            when = render.stamp(current.started_at) if current else "just now"
            text = f"A new season was already started {when}; no other one was started."
        else:
            log.info("season %d started in guild %s by %s", started.number, guild_id, owner)
            text = render.season_started(started)
        await replies.update(interaction, content=text, embed=None, view=None)

    async def _confirm_forget(
        self, interaction: discord.Interaction[QuizBot], click: ForgetClick
    ) -> None:
        action, owner = click
        if action == "no":
            await replies.update(interaction, content="Nothing was deleted.", embed=None, view=None)
            return
        deleted = await self.bot.db.members.forget(owner)
        await replies.update(interaction, content=render.forgotten(deleted), embed=None, view=None)
