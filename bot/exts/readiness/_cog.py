"""The Discord layer of /readiness, its `Study this` buttons, and setting an exam date."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.readiness import Readiness as ReadinessFigures
from bot.domain.readiness import StudyPlan, parse_exam_date, readiness, study_plan
from bot.domain.review import MemoryState
from bot.domain.timezones import local_date
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete
from bot.exts.readiness import _render as render
from bot.exts.readiness._buttons import StudyButton, StudyClick
from bot.members import member_zone, remember_member

CHART_NAME = "readiness.png"
# The quiz a `Study this` button starts: flashcards play with any deck.
STUDY_MODE = "flashcard"


class NoDeckError(DomainError):
    pass


class DeckChangedError(DomainError):
    def __init__(self) -> None:
        super().__init__("This deck's topics changed since. Run `/readiness` again.")


@dataclass(frozen=True)
class Figures:
    found: ReadinessFigures
    plan: StudyPlan | None
    chart: bytes
    alt_text: str


def _figures(
    deck: Deck,
    states: list[MemoryState],
    *,
    now: datetime,
    exam: date | None,
    zone: Any,
    retention: float,
) -> Figures:
    """Every figure and the chart: CPU work, run in a worker thread."""
    from bot import charts  # drawing is imported on first use, not at start-up

    found = readiness(deck, states, now=now)
    plan = None
    if exam is not None:
        plan = study_plan(
            [card.id for card in deck.cards],
            states,
            exam=exam,
            now=now,
            zone=zone,
            desired_retention=retention,
        )
    bars = [charts.TopicBar(t.topic, None, t.recall) for t in found.topics]
    heading = f"Predicted recall now: {found.overall:.0%} overall"
    return Figures(
        found=found,
        plan=plan,
        chart=charts.readiness_png(bars, heading),
        alt_text=charts.readiness_alt_text(bars, found.overall),
    )


class Readiness(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot
        # Where the figures are worked out: in a worker thread, off the event loop.
        self.compute: Callable[..., Figures] = _figures

    async def cog_load(self) -> None:
        self.bot.add_buttons(StudyButton, self._study)

    async def cog_unload(self) -> None:
        self.bot.remove_buttons(StudyButton)

    async def _deck(self, interaction: discord.Interaction[QuizBot], deck: str | None) -> Deck:
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        if deck:
            return catalog.get(deck)
        chosen = catalog.studied_last(
            await self.bot.db.stats.decks_by_recency(interaction.user.id, interaction.guild_id)
        )
        if chosen is None:
            raise NoDeckError(render.no_deck([d.id for d in catalog.all()]))
        return chosen

    @app_commands.command(
        name="readiness", description="How ready you are for the exam, topic by topic"
    )
    @app_commands.describe(deck="The deck of the exam (default: the one studied last)")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def readiness(
        self, interaction: discord.Interaction[QuizBot], deck: str | None = None
    ) -> None:
        now = self.bot.clock()
        chosen = await self._deck(interaction, deck)
        await remember_member(self.bot.db, interaction, now)
        await interaction.response.defer(ephemeral=True, thinking=True)
        db = self.bot.db
        user_id = interaction.user.id
        zone = await member_zone(db, user_id, interaction.guild_id)
        states = await db.reviews.states(user_id, chosen.id)
        exam = await db.progress.exam_date(user_id, chosen.id)
        retention = await db.reviews.desired_retention(interaction.guild_id)
        figures = await asyncio.to_thread(
            self.compute, chosen, states, now=now, exam=exam, zone=zone, retention=retention
        )
        embed = render.readiness_embed(
            chosen,
            figures.found,
            plan=figures.plan,
            retention=retention,
            today=local_date(now, zone),
        )
        message: dict[str, Any] = {
            "embed": embed,
            "file": discord.File(
                io.BytesIO(figures.chart), filename=CHART_NAME, description=figures.alt_text
            ),
            "ephemeral": True,
        }
        view = render.study_buttons(chosen, figures.found, user_id)
        if view is not None:
            message["view"] = view
        await replies.reply(interaction, **message)

    async def _study(self, interaction: discord.Interaction[QuizBot], click: StudyClick) -> None:
        """Start a flashcard quiz on the topic, as `/quiz` would."""
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        deck = catalog.get(click.deck_id)
        if click.topic_index >= len(deck.topics):
            raise DeckChangedError()
        quiz = self.bot.get_cog("Quiz")
        if quiz is None:
            raise DomainError("Quizzes are not available right now. Try again in a minute.")
        command: Any = quiz.quiz  # type: ignore[attr-defined]
        await command.callback(
            quiz,
            interaction,
            deck=deck.id,
            mode=STUDY_MODE,
            topic=deck.topics[click.topic_index],
        )

    async def set_exam_date(
        self, interaction: discord.Interaction[QuizBot], when: str, deck: str | None
    ) -> None:
        """`/settings exam-date`: check the date in the member's own calendar, store it."""
        now = self.bot.clock()
        chosen = await self._deck(interaction, deck)
        zone = await member_zone(self.bot.db, interaction.user.id, interaction.guild_id)
        today = local_date(now, zone)
        day = parse_exam_date(when, today=today)
        await remember_member(self.bot.db, interaction, now)
        await self.bot.db.progress.set_exam_date(interaction.user.id, chosen.id, day, now)
        await replies.reply(
            interaction, render.exam_date_set(chosen, day, (day - today).days), ephemeral=True
        )
