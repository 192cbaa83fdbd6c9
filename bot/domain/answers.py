"""The words of an answer: the ways of asking, the option letters, the self-grades, and
whether an answer is right and what it earns.

Each is a `StrEnum` whose values are the strings the database stores, so a row reads
back as the same word and compares equal to it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DAILY_POINTS",
    "QUIZ_MODES",
    "Letter",
    "Mode",
    "SelfGrade",
    "is_correct",
    "points_for",
]

# A right daily challenge answer is worth more: there is one a day, for the whole server.
DAILY_POINTS = 3


class Mode(StrEnum):
    """How a question is asked, and so how its answer is judged."""

    MULTIPLE_CHOICE = "multiple-choice"  # pick A-D
    FLASHCARD = "flashcard"  # reveal the back, grade yourself
    TYPED = "typed"  # type the back
    REVIEW = "review"  # spaced repetition: flashcards of due and new cards
    DAILY = "daily"  # the server's daily challenge: pick A-D on a public post

    @property
    def judged(self) -> bool:
        """The bot, not the member, decides whether the answer is right (so it scores)."""
        return self in (Mode.MULTIPLE_CHOICE, Mode.TYPED, Mode.DAILY)

    @property
    def self_graded(self) -> bool:
        return self in (Mode.FLASHCARD, Mode.REVIEW)

    @property
    def has_options(self) -> bool:
        """Its questions offer the card's back among wrong answers."""
        return self in (Mode.MULTIPLE_CHOICE, Mode.DAILY)


# The modes a member picks in `/quiz`.
QUIZ_MODES = (Mode.MULTIPLE_CHOICE, Mode.FLASHCARD, Mode.TYPED)


class Letter(StrEnum):
    """The letter of a multiple-choice option, in the order the options are shown."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def position(self) -> int:
        return _LETTERS.index(self)

    @classmethod
    def at(cls, index: int) -> Letter:
        return _LETTERS[index]


_LETTERS = tuple(Letter)


class SelfGrade(StrEnum):
    """How well a member says they recalled a flashcard, in the order the buttons show."""

    AGAIN = "again"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"


def is_correct(answer: Letter | SelfGrade | bool, *, correct_index: int = -1) -> bool:
    """Whether an answer is right: the letter of the right option, any self-grade but
    Again, or the verdict on a typed answer (the grader's, or the member's own on a
    close call)."""
    if isinstance(answer, Letter):
        return answer.position == correct_index
    if isinstance(answer, SelfGrade):
        return answer is not SelfGrade.AGAIN
    return answer


def points_for(mode: str, correct: bool) -> int:
    """1 point for a right multiple-choice or typed answer, DAILY_POINTS for a right daily
    challenge; self-graded cards are study only."""
    if not correct or not Mode(mode).judged:
        return 0
    return DAILY_POINTS if mode == Mode.DAILY else 1
