"""Persistent answer buttons of a daily challenge: all their state is in the custom_id.

`daily:<challenge id>:<letter>` keeps working after a restart: the handler loads the
challenge from the database, so no view lives in memory. The same prefix is how a
crashed post is recognised in the channel's history.
"""

from __future__ import annotations

import re

from bot.exts.buttons import PersistentButton

PREFIX = "daily"
LETTERS = ("a", "b", "c", "d")
TEMPLATE = re.compile(rf"{PREFIX}:(?P<challenge>[0-9]{{1,19}}):(?P<letter>[abcd])")


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


class DailyButton(PersistentButton, template=TEMPLATE):
    """An answer button; clicks go to the daily cog whether or not the bot restarted."""

    cog_name = "Daily"
