"""Autocomplete callbacks shared by the features' commands."""

from __future__ import annotations

from discord import Interaction, app_commands

from bot.client import QuizBot
from bot.domain.decks import Deck
from bot.exts.embeds import CHOICE_LIMIT, clip, clip_middle

MAX_NAME = CHOICE_LIMIT  # Discord's limit for a choice's name and value


def _label(text: str) -> str:
    return clip(text, MAX_NAME)


def deck_choice(deck: Deck) -> app_commands.Choice[str]:
    """A deck as a choice: its title, cut in the middle if long so that what tells decks
    apart (often the end: "... part 2") stays, then its id, always whole."""
    suffix = f" ({deck.id})"
    title = clip_middle(" ".join(deck.title.split()), MAX_NAME - len(suffix))
    return app_commands.Choice(name=title + suffix, value=deck.id)


async def deck_autocomplete(
    interaction: Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    catalog = await interaction.client.catalogs.for_guild(interaction.guild_id)
    return [deck_choice(catalog.decks[i]) for i in catalog.search(current)]


async def topic_autocomplete(
    interaction: Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    """Topics of the deck chosen in the same command (or of the only deck)."""
    catalog = await interaction.client.catalogs.for_guild(interaction.guild_id)
    deck_id = getattr(interaction.namespace, "deck", None)
    deck = catalog.decks.get(deck_id) if deck_id else catalog.default()
    if deck is None:
        return []
    needle = current.casefold().strip()
    return [
        app_commands.Choice(name=_label(topic), value=topic[:MAX_NAME])
        for topic in deck.topics
        if needle in topic.casefold()
    ][:25]
