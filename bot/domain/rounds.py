"""Live rounds: a whole channel plays one quiz together, each question against the clock.

The rules only: what a round may be asked for, which cards it asks in which order, what
an answer scores, when a question is revealed, when a round ends, the typed-mode hint and
the final scoreboard. The storage layer makes each answer count once; the Discord layer
shows the result.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.answers import Mode
from bot.domain.errors import DomainError
from bot.domain.grading import GradeResult, Verdict

__all__ = [
    "DEFAULT_QUESTIONS",
    "DEFAULT_SECONDS",
    "MAX_QUESTIONS",
    "MAX_SECONDS",
    "MIN_QUESTIONS",
    "MIN_SECONDS",
    "PAUSE",
    "RESTART_GRACE",
    "ROUND_MODES",
    "UNANSWERED_LIMIT",
    "EndReason",
    "InvalidRoundOptionsError",
    "Phase",
    "RoundAnswerRow",
    "RoundState",
    "Standing",
    "check_round_options",
    "choose_cards",
    "deadline_after_restart",
    "ends_after",
    "hint",
    "hint_at",
    "points_for",
    "reveal_early",
    "scoreboard",
    "typed_is_right",
    "winner",
]

MIN_QUESTIONS = 1
MAX_QUESTIONS = 50
DEFAULT_QUESTIONS = 10
MIN_SECONDS = 5
MAX_SECONDS = 120
DEFAULT_SECONDS = 20
# The pause between a reveal and the next question, so the answer can be read.
PAUSE = timedelta(seconds=3)
# A round ends after this many questions in a row that nobody answered.
UNANSWERED_LIMIT = 2
# A question whose time ran out while the bot was down gets this long again after a start.
RESTART_GRACE = timedelta(seconds=10)
# The ways of answering a round offers.
ROUND_MODES = (Mode.MULTIPLE_CHOICE, Mode.TYPED)


class RoundState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"  # after its last question, or after questions nobody answered
    STOPPED = "stopped"  # by /round stop
    FAILED = "failed"  # its message or channel went away, or the bot lost its permission


class Phase(StrEnum):
    """Where a running round is; each phase ends at the round's stored deadline."""

    ASK = "ask"  # the next question is to be posted
    QUESTION = "question"  # the question is open for answers
    PAUSE = "pause"  # revealed; the next question follows


class EndReason(StrEnum):
    LAST_QUESTION = "last-question"
    UNANSWERED = "unanswered"
    STOPPED = "stopped"
    MESSAGE_DELETED = "message-deleted"
    CHANNEL_DELETED = "channel-deleted"
    NO_PERMISSION = "no-permission"


class InvalidRoundOptionsError(DomainError):
    pass


def check_round_options(mode: str, questions: int, seconds: int) -> Mode:
    """The round's mode; raises when an option is out of range (Discord checks them too)."""
    if mode not in ROUND_MODES:
        raise InvalidRoundOptionsError(
            f"`mode` must be one of {', '.join(m.value for m in ROUND_MODES)}."
        )
    if not MIN_QUESTIONS <= questions <= MAX_QUESTIONS:
        raise InvalidRoundOptionsError(
            f"`questions` must be between {MIN_QUESTIONS} and {MAX_QUESTIONS}."
        )
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidRoundOptionsError(
            f"`seconds` must be between {MIN_SECONDS} and {MAX_SECONDS}."
        )
    return Mode(mode)


def choose_cards(
    card_ids: Sequence[str], last_seen: Mapping[str, int], count: int, *, seed: str
) -> list[str]:
    """Up to ``count`` different cards: those the channel never saw first (in a seeded
    order), then those it saw longest ago. No card twice."""
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:16], "big"))
    unique = list(dict.fromkeys(card_ids))
    rng.shuffle(unique)  # a fair order among cards seen at the same instant, or never
    unseen = [card for card in unique if card not in last_seen]
    seen = sorted((card for card in unique if card in last_seen), key=lambda c: last_seen[c])
    return (unseen + seen)[: max(0, count)]


def points_for(correct: bool, *, first_right: bool) -> int:
    """1 point for a right answer, and 1 more for the first right answer of a question."""
    if not correct:
        return 0
    return 2 if first_right else 1


def typed_is_right(result: GradeResult) -> bool:
    """A typed answer in a round: only a sure match is right. A close call counts as
    wrong, since there is no time to ask the member."""
    return result.verdict is Verdict.CORRECT


def reveal_early(players_before: int, missing: int) -> bool:
    """Whether a question is revealed before its time: everyone who answered an earlier
    question of the round (``players_before`` of them) has answered this one
    (``missing`` have not). The first question always runs its time: nobody has
    played yet, so nobody is known to wait for."""
    return players_before > 0 and missing == 0


def ends_after(index: int, total: int, unanswered_in_a_row: int) -> EndReason | None:
    """Why the round ends after question ``index`` (0-based) was revealed, if it does."""
    if unanswered_in_a_row >= UNANSWERED_LIMIT:
        return EndReason.UNANSWERED
    if index + 1 >= total:
        return EndReason.LAST_QUESTION
    return None


def hint_at(shown_at: datetime, closes_at: datetime) -> datetime:
    """When a typed question shows its hint: half way to its deadline."""
    return shown_at + (closes_at - shown_at) / 2


def hint(answer: str) -> str:
    """A quarter of the answer's letters (rounded up: the first, then every fourth),
    the others as underscores; spaces and punctuation stay as they are."""
    positions = [i for i, char in enumerate(answer) if char.isalnum()]
    shown = set(positions[::4])
    return "".join(
        char if not char.isalnum() or i in shown else "_" for i, char in enumerate(answer)
    )


def deadline_after_restart(closes_at: datetime, now: datetime) -> datetime:
    """An open question's deadline after a start: what it had left, or a fresh short time
    when it ran out while the bot was down."""
    return closes_at if closes_at > now else now + RESTART_GRACE


@dataclass(frozen=True)
class RoundAnswerRow:
    """One member's answer to one question of a round, as the scoreboard needs it."""

    user_id: int
    question_index: int
    correct: bool
    points: int
    response_ms: int


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    points: int
    right: int
    answered: int
    average_ms: int  # over the right answers; 0 without any


def scoreboard(answers: Iterable[RoundAnswerRow]) -> list[Standing]:
    """Members by points, then right answers, then the faster average of their right
    answers, then user id; equal points, right answers and average share a rank."""
    totals: dict[int, list[int]] = {}
    for answer in answers:
        points, right, answered, time_ms = totals.setdefault(answer.user_id, [0, 0, 0, 0])
        totals[answer.user_id] = [
            points + answer.points,
            right + int(answer.correct),
            answered + 1,
            time_ms + (answer.response_ms if answer.correct else 0),
        ]
    rows = [
        (user_id, points, right, answered, time_ms // right if right else 0)
        for user_id, (points, right, answered, time_ms) in totals.items()
    ]
    rows.sort(key=lambda r: (-r[1], -r[2], r[4] if r[2] else 1 << 62, r[0]))
    standings: list[Standing] = []
    for position, (user_id, points, right, answered, average) in enumerate(rows, start=1):
        rank = position
        if standings:
            last = standings[-1]
            if (last.points, last.right, last.average_ms) == (points, right, average):
                rank = last.rank
        standings.append(Standing(rank, user_id, points, right, answered, average))
    return standings


def winner(standings: Sequence[Standing]) -> int | None:
    """The member alone at the top with at least one point, if any."""
    if not standings or standings[0].points == 0:
        return None
    if len(standings) > 1 and standings[1].rank == standings[0].rank:
        return None
    return standings[0].user_id
