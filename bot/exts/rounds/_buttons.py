"""Buttons of a live round: all their state is in the custom_id.

`round:<round id>:<question index>:<a|b|c|d|type>` answers a question (`type` opens the
typed answer's form, whose own custom_id ends in `modal`), and `round:<round id>:again`
starts the same round again. The handler loads the round from the database by id, so the
buttons work after a restart; a custom_id that names another question, another channel's
round or a closed question is refused politely, and nothing is stored.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import discord

from bot.exts.buttons import PersistentButton

PREFIX = "round"
LETTERS = ("a", "b", "c", "d")
TEMPLATE = re.compile(
    rf"{PREFIX}:(?P<round>[0-9]{{1,20}}):"
    r"(?:(?P<index>[0-9]{1,2}):(?P<action>[abcd]|type|modal)|(?P<again>again))"
)


class RoundClick(NamedTuple):
    round_id: int
    question: int  # the question's index; -1 for Play again
    action: str  # a-d, "type", "modal" or "again"


class RoundButton(PersistentButton[RoundClick], template=TEMPLATE):
    prefix = PREFIX

    @classmethod
    def parse(cls, match: re.Match[str]) -> RoundClick:
        if match["again"]:
            return RoundClick(int(match["round"]), -1, "again")
        return RoundClick(int(match["round"]), int(match["index"]), match["action"])


def answer_view(
    round_id: int,
    index: int,
    *,
    typed: bool,
    correct_index: int | None = None,
    closed: bool = False,
) -> discord.ui.View:
    """Buttons A-D, or `Answer` in typed mode; once closed, disabled, the right one green.

    The view only draws the buttons (it is stopped): clicks go to the round cog through
    the buttons' family.
    """
    view = discord.ui.View(timeout=None)
    items: list[discord.ui.Item[Any]]
    if typed:
        items = [
            RoundButton.make(
                round_id, index, "type", label="Answer", style=discord.ButtonStyle.primary,
                disabled=closed,
            )
        ]  # fmt: skip
    else:
        items = [
            RoundButton.make(
                round_id,
                index,
                letter,
                label=letter.upper(),
                style=discord.ButtonStyle.success
                if position == correct_index
                else discord.ButtonStyle.secondary,
                disabled=closed,
            )
            for position, letter in enumerate(LETTERS)
        ]
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def again_view(round_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        RoundButton.make(round_id, "again", label="Play again", style=discord.ButtonStyle.primary)
    )
    view.stop()
    return view


def form_id(round_id: int, index: int) -> str:
    return RoundButton.id_for(round_id, index, "modal")


def question_prefix(round_id: int, index: int) -> str:
    """How the custom_id of every button of a round's question begins."""
    return f"{PREFIX}:{round_id}:{index}:"
