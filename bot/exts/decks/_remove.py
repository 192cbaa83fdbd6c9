"""The confirm buttons of `/decks remove`: all their state is in the custom_id.

`decks-remove:<deck id>:<yes|no>` keeps working after a restart; the server is
the clicking member's, and their permission is checked again on the click.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.client import QuizBot

PREFIX = "decks-remove"
TEMPLATE = re.compile(rf"{PREFIX}:(?P<deck>[a-z0-9][a-z0-9-]{{0,62}}):(?P<action>yes|no)")


def custom_id(deck_id: str, action: str) -> str:
    value = f"{PREFIX}:{deck_id}:{action}"
    if not TEMPLATE.fullmatch(value):
        raise ValueError(f"not a deck removal custom_id: {value!r}")
    return value


class RemoveDeckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """Remove or Keep; clicks go to the decks cog."""

    def __init__(self, deck_id: str, action: str) -> None:
        remove = action == "yes"
        super().__init__(
            discord.ui.Button(
                label="Remove" if remove else "Keep it",
                style=discord.ButtonStyle.danger if remove else discord.ButtonStyle.secondary,
                custom_id=custom_id(deck_id, action),
            )
        )
        self.deck_id = deck_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RemoveDeckButton:
        return cls(match["deck"], match["action"])

    async def callback(self, interaction: discord.Interaction[QuizBot]) -> None:  # type: ignore[override]
        cog = interaction.client.get_cog("Decks")
        if cog is not None:
            await cog.on_remove_click(interaction, self.deck_id, self.action)  # type: ignore[attr-defined]


def confirm_view(deck_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RemoveDeckButton(deck_id, "yes"))
    view.add_item(RemoveDeckButton(deck_id, "no"))
    return view
