"""The `Study this` buttons of /readiness.

`study:<deck>:<topic>:<owner>` starts a flashcard quiz on the deck's topic number
``topic`` (its place in the deck's list of topics) for the member who ran /readiness.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.exts.buttons import PersistentButton

STUDY_TEMPLATE = re.compile(
    r"study:(?P<deck>[a-z0-9][a-z0-9-]{0,62}):(?P<topic>\d{1,4}):(?P<owner>\d{1,20})"
)


class StudyClick(NamedTuple):
    deck_id: str
    topic_index: int
    owner: int


class StudyButton(PersistentButton[StudyClick], template=STUDY_TEMPLATE):
    prefix = "study"
    command = "readiness"

    @classmethod
    def parse(cls, match: re.Match[str]) -> StudyClick:
        return StudyClick(match["deck"], int(match["topic"]), int(match["owner"]))

    @classmethod
    def owner(cls, state: StudyClick) -> int:
        return state.owner
