"""The Discord layer of `/decks`: parse, look up, render."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.decks import Deck
from bot.exts.autocomplete import deck_autocomplete

EMBED_COLOUR = discord.Colour.blurple()
MAX_LISTED = 25  # an embed holds at most 25 fields


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def deck_list_embed(decks: list[Deck]) -> discord.Embed:
    embed = discord.Embed(title="Flashcard decks", colour=EMBED_COLOUR)
    if not decks:
        embed.description = "No decks are installed yet."
        return embed
    embed.description = "Start one with `/quiz deck:<id>`; `/decks info` tells more."
    for deck in decks[:MAX_LISTED]:
        topics = ", ".join(deck.topics) or "no topics"
        embed.add_field(
            name=_clip(f"{deck.title}", 256),
            value=_clip(f"`{deck.id}` · {len(deck.cards)} cards\n{topics}", 1024),
            inline=False,
        )
    if len(decks) > MAX_LISTED:
        embed.set_footer(text=f"and {len(decks) - MAX_LISTED} more: type in /decks info to search")
    return embed


def deck_info_embed(deck: Deck, progress_line: str | None) -> discord.Embed:
    embed = discord.Embed(
        title=_clip(deck.title, 256),
        description=_clip(deck.description, 4000),
        colour=EMBED_COLOUR,
    )
    lines = [f"{count} · {topic}" for topic, count in deck.topic_counts().items()]
    untagged = sum(1 for card in deck.cards if card.topic is None)
    if untagged:
        lines.append(f"{untagged} · (no topic)")
    embed.add_field(
        name=f"Topics ({len(deck.cards)} cards)",
        value=_clip("\n".join(lines) or "none", 1024),
        inline=False,
    )
    if progress_line:
        embed.add_field(name="Your progress", value=progress_line, inline=False)
    footer = f"id: {deck.id}"
    if deck.source:
        footer += f" · source: {deck.source}"
    embed.set_footer(text=_clip(footer, 2048))
    return embed


class Decks(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot

    decks = app_commands.Group(name="decks", description="Browse the flashcard decks")

    @decks.command(name="list", description="List the flashcard decks you can study")
    async def list_decks(self, interaction: discord.Interaction[QuizBot]) -> None:
        await interaction.response.send_message(
            embed=deck_list_embed(self.bot.catalog.all()), ephemeral=True
        )

    @decks.command(name="info", description="Describe a deck, its topics and your progress")
    @app_commands.describe(deck="The deck's id or title")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def deck_info(self, interaction: discord.Interaction[QuizBot], deck: str) -> None:
        found = self.bot.catalog.get(deck)
        progress = await self.bot.db.deck_progress(interaction.user.id, found.id)
        line = None
        if progress.answered:
            line = (
                f"{progress.answered} answers, {progress.accuracy:.0%} right; "
                f"{progress.distinct_cards} of {len(found.cards)} cards seen"
            )
        await interaction.response.send_message(embed=deck_info_embed(found, line), ephemeral=True)
