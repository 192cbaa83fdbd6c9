"""Exam readiness: how much of a deck a member would recall now, topic by topic, and a
plan to be ready by an exam date.

Everything comes from the member's FSRS memory states (`bot.domain.review`): a card's
predicted recall is its retrievability, and a card never studied counts as not known.
Everything takes the time as an argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.review import Grade, MemoryState, ReviewEvent, retrievability, review
from bot.domain.timezones import local_date, local_day_bounds

NO_TOPIC = "(no topic)"
WEAKEST_SHOWN = 3
# An exam further ahead than this is a typo more likely than a plan.
MAX_EXAM_DAYS = 3 * 366
# A card reviewed "Good" at every due date needs only a handful of reviews a year;
# this bounds the simulation of one card whatever the scheduler does.
_MAX_SIMULATED_REVIEWS = 64
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class TopicReadiness:
    """One topic: its cards, how many the member has seen, and the predicted recall now
    (the mean retrievability of its cards, unseen ones counted as 0)."""

    topic: str
    cards: int
    seen: int
    recall: float
    weight: float

    @property
    def seen_share(self) -> float:
        return self.seen / self.cards if self.cards else 0.0


@dataclass(frozen=True)
class Readiness:
    """Every topic with cards, in the deck's order, and the weighted overall recall."""

    topics: tuple[TopicReadiness, ...]
    overall: float
    weighted_by_deck: bool  # the deck gives weights; otherwise topics weigh their card counts

    def weakest(self, count: int = WEAKEST_SHOWN) -> list[TopicReadiness]:
        """The topics to study first: lowest recall, then the heavier weight, then by name.

        Topics without a weight (left out of the deck's weights) are not on the exam, so
        they are not suggested.
        """
        ranked = sorted(
            (t for t in self.topics if t.weight > 0), key=lambda t: (t.recall, -t.weight, t.topic)
        )
        return ranked[:count]


def topic_of(deck: Deck, card_id: str) -> str | None:
    card = deck.card(card_id)
    if card is None:
        return None
    return card.topic or NO_TOPIC


def topic_weights(deck: Deck) -> dict[str, float]:
    """Each topic's weight: the deck's own `weights`, or else its card count.

    With `weights`, a topic they leave out (and cards without a topic) weighs nothing.
    """
    counts: dict[str, int] = {}
    for card in deck.cards:
        topic = card.topic or NO_TOPIC
        counts[topic] = counts.get(topic, 0) + 1
    if deck.weights:
        given = dict(deck.weights)
        return {topic: given.get(topic, 0.0) for topic in counts}
    return {topic: float(count) for topic, count in counts.items()}


def readiness(deck: Deck, states: Iterable[MemoryState], *, now: datetime) -> Readiness:
    """The member's predicted recall of each topic of the deck now, and overall."""
    recall: dict[str, float] = {}
    seen: dict[str, int] = {}
    for state in states:
        topic = topic_of(deck, state.card_id)
        if topic is None:  # a card no longer in the deck
            continue
        recall[topic] = recall.get(topic, 0.0) + retrievability(state, now)
        seen[topic] = seen.get(topic, 0) + 1
    weights = topic_weights(deck)
    counts: dict[str, int] = {}
    for card in deck.cards:
        topic = card.topic or NO_TOPIC
        counts[topic] = counts.get(topic, 0) + 1
    order = [t for t in deck.topics if t in counts] + ([NO_TOPIC] if NO_TOPIC in counts else [])
    topics = tuple(
        TopicReadiness(
            topic=topic,
            cards=counts[topic],
            seen=seen.get(topic, 0),
            recall=recall.get(topic, 0.0) / counts[topic],
            weight=weights[topic],
        )
        for topic in order
    )
    total_weight = sum(t.weight for t in topics)
    overall = sum(t.recall * t.weight for t in topics) / total_weight if total_weight else 0.0
    return Readiness(topics=topics, overall=overall, weighted_by_deck=bool(deck.weights))


# -- exam dates --------------------------------------------------------------------------


class ExamDateError(DomainError):
    pass


def parse_exam_date(text: str, *, today: date) -> date:
    """An exam date as a member writes it (YYYY-MM-DD), today or later."""
    value = text.strip()
    example = (today + timedelta(days=60)).isoformat()
    if not _DATE.fullmatch(value):
        raise ExamDateError(f"Write the exam date as YYYY-MM-DD, for example `{example}`.")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ExamDateError(
            f"`{value}` is not a date on the calendar. Write it as YYYY-MM-DD, "
            f"for example `{example}`."
        ) from None
    if day < today:
        raise ExamDateError(
            f"`{value}` is in the past (today is {today.isoformat()} in your time zone). "
            "Give the date of an exam still to come."
        )
    if (day - today).days > MAX_EXAM_DAYS:
        raise ExamDateError(
            f"`{value}` is more than three years away. Give a date within three years."
        )
    return day


@dataclass(frozen=True)
class StudyPlan:
    """What it takes to be ready on the exam date: every card at the desired retention.

    Reviews are counted as FSRS schedules them (each one recalled, "Good"), at the due
    date, until the exam; new cards are spread evenly over the days left.
    """

    exam: date
    days_left: int  # whole local days from today to the exam day (0: the exam is today)
    unseen: int
    new_per_day: int
    reviews: int  # reviews in all until the exam, first sights of new cards included
    reviews_per_day: float


def _reviews_until(
    state: MemoryState | None, start: datetime, end: datetime, desired_retention: float
) -> int:
    """How many reviews, each at its due date and each recalled, keep the card at the
    desired retention until ``end``; a new card is first seen at ``start``."""
    count = 0
    at = start if state is None else state.due
    while at < end and count < _MAX_SIMULATED_REVIEWS:
        event = ReviewEvent(state.card_id if state else "", Grade.GOOD, at, None)
        state = review(state, event, desired_retention=desired_retention)
        count += 1
        at = state.due
    return count


@lru_cache(maxsize=64)
def _new_card_reviews(days: int, desired_retention: float) -> tuple[timedelta, ...]:
    """The review times of a card first seen at an instant, relative to it, over ``days``.

    Every new card follows the same schedule, so it is worked out once.
    """
    origin = datetime(2000, 1, 1, tzinfo=UTC)
    end = origin + timedelta(days=days)
    offsets: list[timedelta] = []
    state: MemoryState | None = None
    at = origin
    while at < end and len(offsets) < _MAX_SIMULATED_REVIEWS:
        offsets.append(at - origin)
        state = review(
            state, ReviewEvent("", Grade.GOOD, at, None), desired_retention=desired_retention
        )
        at = state.due
    return tuple(offsets)


def study_plan(
    deck_card_ids: Sequence[str],
    states: Iterable[MemoryState],
    *,
    exam: date,
    now: datetime,
    zone: ZoneInfo,
    desired_retention: float,
) -> StudyPlan:
    """Reviews a day and new cards a day to be ready for an exam held on ``exam``
    (local date in ``zone``), counting from ``now``."""
    now = now.astimezone(UTC)  # FSRS schedules in UTC
    today = local_date(now, zone)
    days_left = max(0, (exam - today).days)
    exam_at, _ = local_day_bounds(exam, zone)
    in_deck = set(deck_card_ids)
    mine: Mapping[str, MemoryState] = {s.card_id: s for s in states if s.card_id in in_deck}
    unseen = len(in_deck) - len(mine)
    if days_left == 0:
        return StudyPlan(exam, 0, unseen, unseen, 0, 0.0)
    reviews = sum(_reviews_until(state, now, exam_at, desired_retention) for state in mine.values())
    new_per_day = math.ceil(unseen / days_left)
    if unseen:
        schedule = _new_card_reviews(days_left + 1, desired_retention)
        for index in range(unseen):
            start = now + timedelta(days=index // new_per_day)
            reviews += sum(1 for offset in schedule if start + offset < exam_at)
    return StudyPlan(
        exam=exam,
        days_left=days_left,
        unseen=unseen,
        new_per_day=new_per_day,
        reviews=reviews,
        reviews_per_day=reviews / days_left,
    )
