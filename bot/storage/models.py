"""Typed rows returned by the storage layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.answers import Mode, SelfGrade


def to_ms(instant: datetime) -> int:
    """Aware datetime to integer milliseconds since the epoch (UTC)."""
    if instant.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return int(instant.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(frozen=True)
class User:
    id: int
    display_name: str
    timezone: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Guild:
    id: int
    name: str
    timezone: str
    created_at: datetime


@dataclass(frozen=True)
class MemberName:
    """Who clicked, as leaderboards show them, and their server's name (no members intent
    is needed: every interaction carries both)."""

    user_id: int
    display_name: str
    guild_id: int | None
    guild_name: str = ""


@dataclass(frozen=True)
class NewAnswer:
    """An answer about to be recorded."""

    user_id: int
    guild_id: int | None
    deck_id: str
    card_id: str
    mode: Mode
    correct: bool
    answered_at: datetime
    points: int = 0
    grade: SelfGrade | None = None
    response_ms: int | None = None
    session_id: str | None = None
    question_index: int | None = None
    challenge_id: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in tuple(Mode):
            raise ValueError(f"unknown answer mode {self.mode!r}")
        if self.grade is not None and self.grade not in tuple(SelfGrade):
            raise ValueError(f"unknown grade {self.grade!r}")
        if self.session_id is not None and self.question_index is None:
            raise ValueError("an answer in a session needs its question index")

    def stored_as(self, answer_id: int) -> Answer:
        """The row this answer became, without reading it back."""
        return Answer(
            id=answer_id,
            user_id=self.user_id,
            guild_id=self.guild_id,
            deck_id=self.deck_id,
            card_id=self.card_id,
            mode=self.mode,
            correct=self.correct,
            grade=self.grade,
            points=self.points,
            answered_at=from_ms(to_ms(self.answered_at)),  # stored to the millisecond
            response_ms=self.response_ms,
            session_id=self.session_id,
            question_index=self.question_index,
            challenge_id=self.challenge_id,
        )


@dataclass(frozen=True)
class Answer:
    id: int
    user_id: int
    guild_id: int | None
    deck_id: str
    card_id: str
    mode: Mode
    correct: bool
    grade: SelfGrade | None
    points: int
    answered_at: datetime
    response_ms: int | None
    session_id: str | None
    question_index: int | None
    challenge_id: int | None


@dataclass(frozen=True)
class DeckProgress:
    """How far one user got in one deck.

    Accuracy counts the answers the bot judged, as /stats and the accuracy board do:
    self-graded flashcards and reviews are in `answered` but not in `judged`.
    """

    answered: int
    correct: int  # right answers among the judged ones
    distinct_cards: int
    judged: int = 0


# The judged modes as an SQL list, for `mode IN ...`: accuracy counts only these, wherever
# it is counted. The trigger and backfill of migration 0004 spell out the same modes.
JUDGED_MODES_SQL = "(" + ", ".join(f"'{mode}'" for mode in Mode if mode.judged) + ")"

ANSWER_COLUMNS = (
    "id, user_id, guild_id, deck_id, card_id, mode, correct, grade, points, answered_at, "
    "response_ms, session_id, question_index, challenge_id"
)


def answer_from_row(row: Sequence[Any]) -> Answer:
    return Answer(
        id=int(row[0]),
        user_id=int(row[1]),
        guild_id=None if row[2] is None else int(row[2]),
        deck_id=str(row[3]),
        card_id=str(row[4]),
        mode=Mode(row[5]),
        correct=bool(row[6]),
        grade=None if row[7] is None else SelfGrade(row[7]),
        points=int(row[8]),
        answered_at=from_ms(int(row[9])),
        response_ms=None if row[10] is None else int(row[10]),
        session_id=row[11],
        question_index=None if row[12] is None else int(row[12]),
        challenge_id=None if row[13] is None else int(row[13]),
    )
