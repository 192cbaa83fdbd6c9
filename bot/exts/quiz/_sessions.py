"""Starting sessions and showing their first screen: shared by /quiz and /review so
both follow the same rules."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.client import QuizBot
from bot.domain.answers import Mode
from bot.domain.decks import Deck
from bot.domain.quiz import MAX_QUESTIONS, Question, QuizSession, SessionStatus, build_question
from bot.domain.review import (
    MemoryState,
    NewCardsToday,
    new_cards_left,
    new_cards_today,
    plan_review,
)
from bot.exts import replies
from bot.exts.quiz import _render as render
from bot.members import member_zone


def new_session_id() -> str:
    return secrets.token_hex(6)


def make_session(
    interaction: discord.Interaction[QuizBot],
    *,
    session_id: str,
    deck: Deck,
    topic: str | None,
    mode: Mode,
    questions: tuple[Question, ...],
    requested: int,
    now: datetime,
    status: SessionStatus,
) -> QuizSession:
    return QuizSession(
        id=session_id,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        deck_id=deck.id,
        topic=topic,
        mode=mode,
        questions=questions,
        requested=requested,
        position=0,
        answered=0,
        correct=0,
        points=0,
        status=status,
        started_at=now,
        updated_at=now,
        question_shown_at=now,
    )


async def running_session(bot: QuizBot, user_id: int, now: datetime) -> QuizSession | None:
    """The member's active session, closing it first if it ran out of time."""
    active = await bot.db.sessions.active(user_id)
    if active is not None and active.expired_at(now):
        await bot.db.sessions.set_status(
            active.id, SessionStatus.EXPIRED, now, only_from=SessionStatus.ACTIVE
        )
        return None
    return active


@dataclass(frozen=True)
class Allowance:
    """A member's new-card allowance as stored: enough to say what is left in any deck."""

    per_day: int
    started: list[datetime]  # when recently started cards were first studied
    zone: ZoneInfo
    now: datetime

    @property
    def left_today(self) -> int:
        """What is left of the allowance today, in all decks."""
        return new_cards_left(self.per_day, self.started, now=self.now, zone=self.zone)

    def of(self, deck: Deck, states: Sequence[MemoryState]) -> NewCardsToday:
        return new_cards_today(
            self.per_day,
            self.started,
            [card.id for card in deck.cards],
            states,
            now=self.now,
            zone=self.zone,
        )


async def allowance(bot: QuizBot, user_id: int, guild_id: int | None, now: datetime) -> Allowance:
    return Allowance(
        per_day=await bot.db.reviews.new_cards_per_day(user_id),
        # Two days back covers every zone's "today".
        started=await bot.db.reviews.first_reviews_since(user_id, now - timedelta(days=2)),
        zone=await member_zone(bot.db, user_id, guild_id),
        now=now,
    )


async def review_questions(
    bot: QuizBot, deck: Deck, user_id: int, guild_id: int | None, now: datetime
) -> tuple[Question, ...]:
    """Due cards, most overdue first, then new ones within today's allowance."""
    states = await bot.db.reviews.states(user_id, deck.id)
    new = (await allowance(bot, user_id, guild_id, now)).of(deck, states)
    chosen = plan_review(
        [card.id for card in deck.cards],
        states,
        now=now,
        new_allowed=new.left,
        limit=MAX_QUESTIONS,
    )
    cards = {card.id: card for card in deck.cards}
    return tuple(
        build_question(deck, cards[card_id], mode=Mode.REVIEW, seed=card_id) for card_id in chosen
    )


async def new_review(
    bot: QuizBot, interaction: discord.Interaction[QuizBot], deck_id: str, *, replace: bool
) -> tuple[QuizSession | None, QuizSession | None]:
    """Store a review session of a deck's due and new cards.

    Returns (the new session or None when nothing is due, the member's running
    session it waits on, when not replacing it).
    """
    deck = (await bot.catalogs.for_guild(interaction.guild_id)).get(deck_id)
    now = bot.clock()
    questions = await review_questions(bot, deck, interaction.user.id, interaction.guild_id, now)
    if not questions:
        return None, None
    active = None if replace else await running_session(bot, interaction.user.id, now)
    session = make_session(
        interaction,
        session_id=new_session_id(),
        deck=deck,
        topic=None,
        mode=Mode.REVIEW,
        questions=questions,
        requested=len(questions),
        now=now,
        status=SessionStatus.PENDING if active else SessionStatus.ACTIVE,
    )
    return await bot.db.sessions.create(session, replace_active=replace), active


async def screen_picture(
    interaction: discord.Interaction[QuizBot], screen: render.Screen
) -> replies.Picture | None:
    """The picture a screen shows, found through the deck that names it: a file beside a
    deck file, or a server deck's picture in the database."""
    if screen.picture is None:
        return None
    deck_id, name = screen.picture
    catalog = await interaction.client.catalogs.for_guild(interaction.guild_id)
    deck = catalog.decks.get(deck_id)
    if deck is None:
        return None
    if interaction.guild_id is not None and catalog.is_server_deck(deck_id):
        stored = await interaction.client.db.pictures.get(interaction.guild_id, deck_id, name)
        return None if stored is None else replies.PictureData(stored.name, stored.data)
    return deck.picture(name)


async def send_screen(interaction: discord.Interaction[QuizBot], screen: render.Screen) -> None:
    """Show a session's screen as a private answer to the member's command."""
    kwargs: dict[str, Any] = {"embeds": screen.embeds, "ephemeral": True}
    kwargs["picture"] = await screen_picture(interaction, screen)
    if screen.view is not None:
        kwargs["view"] = screen.view
    if screen.content is not None:
        kwargs["content"] = screen.content
    await replies.reply(interaction, **kwargs)
