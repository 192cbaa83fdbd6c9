"""`/review` and `/due`: spaced repetition on top of the quiz sessions."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.markdown import literal
from bot.domain.review import NoNewCards, summarise_due
from bot.domain.words import plural
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete
from bot.exts.embeds import clip
from bot.exts.quiz import _render as render
from bot.exts.quiz._cog import NoDeckChosenError
from bot.exts.quiz._sessions import allowance, new_review, send_screen
from bot.members import remember_member

MAX_DECKS_SHOWN = 25


class NothingToReviewError(DomainError):
    pass


def _when(instant_unix: int) -> str:
    return f"<t:{instant_unix}:R> (<t:{instant_unix}:f>)"


class Review(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot

    @app_commands.command(name="review", description="Review the cards that are due, then new ones")
    @app_commands.describe(deck="The deck to review (default: the only one)")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def review(
        self, interaction: discord.Interaction[QuizBot], deck: str | None = None
    ) -> None:
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        chosen = catalog.get(deck) if deck else catalog.default()
        if chosen is None:
            raise NoDeckChosenError([d.id for d in catalog.all()])
        await remember_member(self.bot.db, interaction, self.bot.clock())
        session, running = await new_review(self.bot, interaction, chosen.id, replace=False)
        if session is None:
            raise NothingToReviewError(await self._nothing_due(interaction, chosen))
        screen = (
            render.confirm_replace_screen(session, running)
            if running is not None
            else render.question_screen(session)
        )
        await send_screen(interaction, screen)

    async def _nothing_due(self, interaction: discord.Interaction[QuizBot], deck: Deck) -> str:
        now = self.bot.clock()
        states = await self.bot.db.reviews.states(interaction.user.id, deck.id)
        new = (await allowance(self.bot, interaction.user.id, interaction.guild_id, now)).of(
            deck, states
        )
        upcoming = [s.due for s in states if s.due > now]
        text = f"Nothing to review in `{deck.id}` right now"
        if upcoming:
            text += f"; the next card is due {_when(int(min(upcoming).timestamp()))}"
        if new.none_because is NoNewCards.TURNED_OFF:
            text += ". New cards are off: `/settings new-cards-per-day` turns them on"
        elif new.none_because is NoNewCards.ALL_STARTED:
            text += f". You have started all {plural(len(deck.cards), 'card')} of this deck"
            if new.allowance_left:
                text += f"; {plural(new.allowance_left, 'new card')} left today for other decks"
        else:
            text += (
                f". You have started today's {plural(new.per_day, 'new card')}; "
                "more come at midnight"
            )
        return text + "."

    @app_commands.command(name="due", description="How many cards are due for review, per deck")
    async def due(self, interaction: discord.Interaction[QuizBot]) -> None:
        now = self.bot.clock()
        user_id = interaction.user.id
        today = await allowance(self.bot, user_id, interaction.guild_id, now)
        embed = discord.Embed(title="Due for review", colour=render.QUESTION_COLOUR)
        total_due = 0
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        for deck in catalog.all()[:MAX_DECKS_SHOWN]:
            states = await self.bot.db.reviews.states(user_id, deck.id)
            summary = summarise_due(
                [card.id for card in deck.cards],
                states,
                now=now,
                new_allowed=today.of(deck, states).left,
            )
            total_due += summary.due
            lines = [f"**{summary.due}** due · **{summary.new_available}** new available"]
            if summary.next_due is not None:
                lines.append(f"next {_when(int(summary.next_due.timestamp()))}")
            embed.add_field(
                name=clip(f"{literal(deck.title)} ({deck.id})", 256),
                value="\n".join(lines),
                inline=False,
            )
        embed.description = (
            "Start with `/review`." if total_due else "Nothing is due. `/quiz` to learn more."
        )
        embed.set_footer(text=f"New cards left today: {today.left_today}")
        await replies.reply(interaction, embed=embed, ephemeral=True)
