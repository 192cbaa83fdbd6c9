"""Answer buttons of a daily challenge: `daily:<challenge id>:<letter>`.

While a challenge takes answers, its message has a persistent view registered for it
(`OpenChallenges`, filled from the database at start), so discord.py hands a click
straight to the handler. A click on any other daily button (a challenge revealed, or one
whose view is not registered) is routed by the client to the same handler, which loads
the challenge from the database: every button keeps working after a restart. The same
prefix is how a crashed post is recognised in the channel's history.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.client import ClaimingView

if TYPE_CHECKING:
    from bot.client import QuizBot

PREFIX = "daily"
LETTERS = ("a", "b", "c", "d")
TEMPLATE = re.compile(rf"{PREFIX}:(?P<challenge>[0-9]{{1,19}}):(?P<letter>[abcd])")

# (interaction, challenge id, chosen option index)
AnswerHandler = Callable[["discord.Interaction[QuizBot]", int, int], Awaitable[None]]


def custom_id(challenge_id: int, letter: str) -> str:
    value = f"{PREFIX}:{challenge_id}:{letter.lower()}"
    if not TEMPLATE.fullmatch(value):
        raise ValueError(f"not a daily custom_id: {value!r}")
    return value


def marker(challenge_id: int) -> str:
    """What every button of a challenge's message starts with."""
    return f"{PREFIX}:{challenge_id}:"


def parse_custom_id(value: str) -> tuple[int, int] | None:
    """(challenge id, option index) of a daily button, or None."""
    match = TEMPLATE.fullmatch(value)
    if match is None:
        return None
    return int(match["challenge"]), LETTERS.index(match["letter"])


def answer_buttons(
    challenge_id: int, *, correct_index: int | None = None
) -> list[discord.ui.Button[Any]]:
    """Buttons A-D; the right one green once it is shown (``correct_index``)."""
    return [
        discord.ui.Button(
            label=letter.upper(),
            custom_id=custom_id(challenge_id, letter),
            style=discord.ButtonStyle.success
            if index == correct_index
            else discord.ButtonStyle.secondary,
        )
        for index, letter in enumerate(LETTERS)
    ]


class _AnswerButton(discord.ui.Button["AnswerView"]):
    def __init__(self, button: discord.ui.Button[Any], index: int) -> None:
        super().__init__(label=button.label, custom_id=button.custom_id, style=button.style)
        self.index = index

    async def callback(self, interaction: discord.Interaction[QuizBot]) -> None:  # type: ignore[override]
        view = self.view
        if view is not None:
            await view.handler(interaction, view.challenge_id, self.index)


class AnswerView(ClaimingView):
    """The live buttons of one open challenge's message."""

    def __init__(self, challenge_id: int, handler: AnswerHandler) -> None:
        super().__init__()
        self.challenge_id = challenge_id
        self.handler = handler
        for index, button in enumerate(answer_buttons(challenge_id)):
            self.add_item(_AnswerButton(button, index))


class OpenChallenges:
    """The registered views of the challenges taking answers, by challenge id.

    A view is registered when its challenge is posted (or found posted at start) and
    stopped when it closes, so discord.py holds one per open challenge, not one per
    challenge ever posted.
    """

    def __init__(self, bot: QuizBot, handler: AnswerHandler) -> None:
        self._bot = bot
        self._handler = handler
        self._views: dict[int, AnswerView] = {}

    def __contains__(self, challenge_id: object) -> bool:
        return challenge_id in self._views

    def register(self, challenge_id: int, message_id: int) -> None:
        self.close(challenge_id)
        view = AnswerView(challenge_id, self._handler)
        self._bot.add_view(view, message_id=message_id)
        self._views[challenge_id] = view

    def close(self, challenge_id: int) -> None:
        view = self._views.pop(challenge_id, None)
        if view is not None:
            view.stop()  # takes it out of discord.py's view store

    def close_all(self) -> None:
        for challenge_id in list(self._views):
            self.close(challenge_id)
