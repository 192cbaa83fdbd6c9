"""Persistent quiz buttons: all their state is in the custom_id.

`quiz:<session>:<question index>:<action>` survives a restart: the handler
reloads the session from the database by id, so no view lives in memory.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.exts.buttons import PersistentButton

PREFIX = "quiz"
ACTIONS = (
    "a", "b", "c", "d",  # multiple-choice letters
    "show",  # flashcard: reveal the back
    "again", "hard", "good", "easy",  # flashcard self-grades
    "type",  # typed: open the answer modal
    "modal",  # typed: the modal itself
    "right", "wrong",  # typed: the member's own verdict on a close call
    "next",  # move on
    "start", "keep",  # replacing a running session, or not
    "review",  # review due cards before the quiz
)  # fmt: skip
TEMPLATE = re.compile(
    rf"{PREFIX}:(?P<session>[a-z0-9]{{6,24}}):(?P<index>\d{{1,2}}):(?P<action>{'|'.join(ACTIONS)})"
)


class QuizClick(NamedTuple):
    session_id: str
    position: int  # the question's index
    action: str


class QuizButton(PersistentButton[QuizClick], template=TEMPLATE):
    """A quiz button; clicks go to the quiz cog whether or not the bot restarted."""

    prefix = PREFIX

    @classmethod
    def parse(cls, match: re.Match[str]) -> QuizClick:
        return QuizClick(match["session"], int(match["index"]), match["action"])
