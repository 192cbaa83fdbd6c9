"""Spaced repetition: each member's memory of each card, scheduled with FSRS.

The `fsrs` package does the memory model; this module decides what an answer
means as a rating, which cards a review session takes, and how many new cards
a member may start today. Everything takes the time as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from bot.domain.answers import Mode, SelfGrade
from bot.domain.timezones import local_date

DEFAULT_RETENTION = 0.9
MIN_RETENTION = 0.70
MAX_RETENTION = 0.97
DEFAULT_NEW_CARDS_PER_DAY = 20
MAX_NEW_CARDS_PER_DAY = 200
# A right answer that took longer than this was hard to recall.
SLOW_ANSWER_MS = 20_000
# FSRS counts a card as mature once its interval reaches three weeks.
MATURE_INTERVAL = timedelta(days=21)
# fsrs's Card takes an integer id only for its own logs; ours are strings.
_FSRS_CARD_ID = 1


class Grade(IntEnum):
    """The four ratings, in the numbering FSRS and the review log use."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @classmethod
    def of(cls, self_grade: SelfGrade) -> Grade:
        return cls[SelfGrade(self_grade).name]


def grade_for_answer(
    *, mode: Mode, correct: bool, self_grade: SelfGrade | None, response_ms: int | None
) -> Grade:
    """What an answer tells about recall.

    Self-graded cards say it directly; a chosen or typed answer is Again when
    wrong, Hard when right but slow, Good otherwise.
    """
    if self_grade is not None:
        return Grade.of(self_grade)
    if not correct:
        return Grade.AGAIN
    # A daily challenge is timed from its post, not from when the member read it.
    if mode != Mode.DAILY and response_ms is not None and response_ms > SLOW_ANSWER_MS:
        return Grade.HARD
    return Grade.GOOD


@dataclass(frozen=True)
class MemoryState:
    """A member's memory of one card after its latest review."""

    card_id: str
    state: int  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reviews: int
    lapses: int

    @property
    def is_mature(self) -> bool:
        if self.last_review is None or self.state != State.Review:
            return False
        return self.due - self.last_review >= MATURE_INTERVAL


@dataclass(frozen=True)
class ReviewEvent:
    """One logged review: enough to replay a card's whole history."""

    card_id: str
    grade: Grade
    reviewed_at: datetime
    duration_ms: int | None


@lru_cache(maxsize=32)
def _scheduler(desired_retention: float) -> Scheduler:
    # Fuzzing would spread due dates randomly; without it a replay of the log
    # reproduces the stored state exactly.
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def check_retention(value: float) -> float:
    if not MIN_RETENTION <= value <= MAX_RETENTION:
        raise ValueError(
            f"desired retention must be between {MIN_RETENTION:.2f} and {MAX_RETENTION:.2f}"
        )
    return value


def review(
    previous: MemoryState | None,
    event: ReviewEvent,
    *,
    desired_retention: float = DEFAULT_RETENTION,
) -> MemoryState:
    """The memory state after one more review of a card."""
    if previous is None:
        card = FsrsCard(card_id=_FSRS_CARD_ID, due=event.reviewed_at)
        reviews = lapses = 0
    else:
        card = FsrsCard(
            card_id=_FSRS_CARD_ID,
            state=State(previous.state),
            step=previous.step,
            stability=previous.stability,
            difficulty=previous.difficulty,
            due=previous.due,
            last_review=previous.last_review,
        )
        reviews, lapses = previous.reviews, previous.lapses
    was_review = card.state == State.Review
    updated, _ = _scheduler(desired_retention).review_card(
        card, Rating(int(event.grade)), review_datetime=event.reviewed_at
    )
    return MemoryState(
        card_id=event.card_id,
        state=int(updated.state),
        step=updated.step,
        stability=updated.stability,
        difficulty=updated.difficulty,
        due=updated.due,
        last_review=updated.last_review,
        reviews=reviews + 1,
        lapses=lapses + int(was_review and event.grade is Grade.AGAIN),
    )


def retrievability(state: MemoryState, at: datetime) -> float:
    """FSRS's predicted chance of recalling the card at ``at`` (0 before any review)."""
    card = FsrsCard(
        card_id=_FSRS_CARD_ID,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due,
        last_review=state.last_review,
    )
    return float(_scheduler(DEFAULT_RETENTION).get_card_retrievability(card, at))


def replay(
    events: Iterable[ReviewEvent], *, desired_retention: float = DEFAULT_RETENTION
) -> MemoryState | None:
    """Recompute a card's state from its log, oldest review first."""
    state: MemoryState | None = None
    for event in sorted(events, key=lambda e: e.reviewed_at):
        state = review(state, event, desired_retention=desired_retention)
    return state


def new_cards_left(
    limit: int, first_reviews: Iterable[datetime], *, now: datetime, zone: ZoneInfo
) -> int:
    """How many new cards a member may still start today.

    "Today" is the member's local day, so the allowance comes back at their
    midnight, not at UTC's.
    """
    today = local_date(now, zone)
    started_today = sum(1 for instant in first_reviews if local_date(instant, zone) == today)
    return max(0, limit - started_today)


class NoNewCards(StrEnum):
    """Why a member may start no new card of a deck today."""

    TURNED_OFF = "turned off"  # their allowance is 0 a day
    ALL_STARTED = "all started"  # every card of the deck has been studied
    ALLOWANCE_USED = "allowance used"  # today's allowance is spent, in any deck


@dataclass(frozen=True)
class NewCardsToday:
    """How many new cards of one deck a member may still start today, and why not more.

    The allowance is per member and day, shared by all decks; a deck also runs out
    of new cards once each has been studied.
    """

    per_day: int  # the member's allowance
    allowance_left: int  # what is left of it today, in all decks
    unstarted: int  # cards of the deck never studied

    @property
    def left(self) -> int:
        return min(self.unstarted, self.allowance_left)

    @property
    def none_because(self) -> NoNewCards | None:
        if self.left:
            return None
        if self.per_day == 0:
            return NoNewCards.TURNED_OFF
        if self.unstarted == 0:
            return NoNewCards.ALL_STARTED
        return NoNewCards.ALLOWANCE_USED


def new_cards_today(
    per_day: int,
    first_reviews: Iterable[datetime],
    deck_card_ids: Sequence[str],
    states: Iterable[MemoryState],
    *,
    now: datetime,
    zone: ZoneInfo,
) -> NewCardsToday:
    """What is left today of new cards in a deck: `/review` and `/due` both ask this."""
    started = {s.card_id for s in states}
    unstarted = sum(1 for card_id in set(deck_card_ids) if card_id not in started)
    left = new_cards_left(per_day, first_reviews, now=now, zone=zone)
    return NewCardsToday(per_day=per_day, allowance_left=left, unstarted=unstarted)


def plan_review(
    deck_card_ids: Sequence[str],
    states: Iterable[MemoryState],
    *,
    now: datetime,
    new_allowed: int,
    limit: int,
) -> list[str]:
    """The cards of a review session: due ones, most overdue first, then new ones.

    New cards are taken in deck order, so a deck's author decides what comes first.
    """
    known = {s.card_id: s for s in states}
    in_deck = set(deck_card_ids)
    due = sorted(
        (s for s in known.values() if s.card_id in in_deck and s.due <= now),
        key=lambda s: (s.due, s.card_id),
    )
    chosen = [s.card_id for s in due][:limit]
    fresh = [card_id for card_id in deck_card_ids if card_id not in known]
    chosen += fresh[: max(0, min(new_allowed, limit - len(chosen)))]
    return chosen


@dataclass(frozen=True)
class DueSummary:
    due: int
    new_available: int
    next_due: datetime | None


def summarise_due(
    deck_card_ids: Sequence[str], states: Iterable[MemoryState], *, now: datetime, new_allowed: int
) -> DueSummary:
    in_deck = set(deck_card_ids)
    mine = [s for s in states if s.card_id in in_deck]
    due = sum(1 for s in mine if s.due <= now)
    later = [s.due for s in mine if s.due > now]
    unseen = len(in_deck) - len(mine)
    return DueSummary(due, min(unseen, new_allowed), min(later) if later else None)
