"""Persistent buttons: all their state is in the custom_id, so they survive restarts.

A feature subclasses `PersistentButton` with its own template and cog; a click is
handed to that cog's `on_button` with the raw custom_id, which the cog parses.

The daily challenge's answer buttons, the busiest, are the exception: each open
challenge has a registered view (`bot/exts/daily/_buttons.py`), which discord.py finds by
message id without rebuilding the message's view as it must for a dynamic item.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

import discord

if TYPE_CHECKING:
    from bot.client import QuizBot


@runtime_checkable
class ButtonHandler(Protocol):
    async def on_button(self, interaction: discord.Interaction[QuizBot], custom_id: str) -> None:
        """Handle a click on one of the feature's buttons."""


# The base never matches anything itself; only its subclasses are registered.
_NEVER = re.compile(r"(?!)")


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=_NEVER):
    cog_name: ClassVar[str] = ""

    def __init__(
        self,
        custom_id: str,
        *,
        label: str,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
        disabled: bool = False,
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=style, custom_id=custom_id, disabled=disabled
        )
        super().__init__(button, row=row)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(match.string, label=getattr(item, "label", None) or "?")

    async def callback(self, interaction: discord.Interaction[QuizBot]) -> None:  # type: ignore[override]
        cog = interaction.client.get_cog(self.cog_name)
        if isinstance(cog, ButtonHandler):
            await cog.on_button(interaction, self.custom_id)
