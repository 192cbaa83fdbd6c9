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
    catalog = interaction.client.catalog
    return [
        app_commands.Choice(name=_label(f"{catalog.decks[i].title} ({i})"), value=i)
        for i in catalog.search(current)
    ]
