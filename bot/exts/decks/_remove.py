"""The confirm buttons of `/decks remove`: all their state is in the custom_id.

`decks-remove:<deck id>:<yes|no>` keeps working after a restart; the server is
the clicking member's, and their permission is checked again on the click.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import discord

from bot.exts.buttons import PersistentButton

PREFIX = "decks-remove"
TEMPLATE = re.compile(rf"{PREFIX}:(?P<deck>[a-z0-9][a-z0-9-]{{0,62}}):(?P<action>yes|no)")


class RemoveClick(NamedTuple):
    deck_id: str
    action: str


class RemoveDeckButton(PersistentButton[RemoveClick], template=TEMPLATE):
    """Remove or Keep; clicks go to the decks cog."""

    prefix = PREFIX

    @classmethod
    def parse(cls, match: re.Match[str]) -> RemoveClick:
        return RemoveClick(match["deck"], match["action"])


def confirm_view(deck_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        RemoveDeckButton.make(deck_id, "yes", label="Remove", style=discord.ButtonStyle.danger)
    )
    view.add_item(RemoveDeckButton.make(deck_id, "no", label="Keep it"))
    return view
