"""Autocomplete callbacks shared by the features' commands."""

from __future__ import annotations

from discord import Interaction, app_commands

from bot.client import QuizBot

MAX_NAME = 100  # Discord's limit for a choice's name and value


def _label(text: str) -> str:
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"


async def deck_autocomplete(
    interaction: Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    catalog = await interaction.client.catalog_for(interaction.guild_id)
    return [
        app_commands.Choice(name=_label(f"{catalog.decks[i].title} ({i})"), value=i)
        for i in catalog.search(current)
    ]


async def topic_autocomplete(
    interaction: Interaction[QuizBot], current: str
) -> list[app_commands.Choice[str]]:
    """Topics of the deck chosen in the same command (or of the only deck)."""
    catalog = await interaction.client.catalog_for(interaction.guild_id)
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
