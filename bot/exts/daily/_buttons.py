"""Answer buttons of a daily challenge: `daily:<challenge id>:<letter>`.

A click is handed to the daily cog by the bot like any persistent button's (see
`bot.exts.buttons`); the cog loads the challenge from the database, so every button keeps
working after a restart, and a click on a revealed challenge is told it is closed. The same
prefix is how a crashed post is recognised in the channel's history.

No view is kept per open challenge. Without one, discord.py rebuilds the clicked message's
buttons to find the one clicked: measured at about 85 µs a click, where a view registered
for the message is found in well under 1 µs. Even a burst of 200 clicks in a second spends
under 20 ms on it, against milliseconds per click to store and answer each.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import discord

from bot.exts.buttons import PersistentButton

PREFIX = "daily"
LETTERS = ("a", "b", "c", "d")
TEMPLATE = re.compile(rf"{PREFIX}:(?P<challenge>[0-9]{{1,19}}):(?P<letter>[abcd])")


class DailyClick(NamedTuple):
    challenge_id: int
    chosen: int  # the option's index


class DailyButton(PersistentButton[DailyClick], template=TEMPLATE):
    prefix = PREFIX

    @classmethod
    def parse(cls, match: re.Match[str]) -> DailyClick:
        return DailyClick(int(match["challenge"]), LETTERS.index(match["letter"]))


def marker(challenge_id: int) -> str:
    """What every button of a challenge's message starts with."""
    return f"{PREFIX}:{challenge_id}:"


def answer_buttons(
    challenge_id: int, *, correct_index: int | None = None
) -> list[discord.ui.Item[Any]]:
    """Buttons A-D; the right one green once it is shown (``correct_index``)."""
    return [
        DailyButton.make(
            challenge_id,
            letter,
            label=letter.upper(),
            style=discord.ButtonStyle.success
            if index == correct_index
            else discord.ButtonStyle.secondary,
        )
        for index, letter in enumerate(LETTERS)
    ]
