"""Daily challenges as rules: when to post, when to reveal, which card, what a failure does.

Every instant here is an aware UTC datetime; "days" are local calendar days in the
schedule's zone. Nothing here knows about Discord or SQL, so the scheduler's decisions
can be tested for any zone and any clock.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.decks import Card
from bot.domain.questions import MultipleChoiceQuestion
from bot.domain.timezones import local_date, local_day_bounds, next_local_occurrence

__all__ = [
    "HARD_SHARE",
    "MAX_FAILURES",
    "MAX_REVEAL_HOURS",
    "MIN_REVEAL_HOURS",
    "RETRY_DELAY",
    "REVEAL_MARGIN",
    "CardRecord",
    "ChallengeState",
    "DailyQuestion",
    "DuePlan",
    "FailurePlan",
    "choose_card",
    "cycle_remaining",
    "first_post_at",
    "plan_due",
    "plan_failure",
    "post_instant",
    "reveal_time",
]

MIN_REVEAL_HOURS = 1
MAX_REVEAL_HOURS = 23
# "Just before the next day's post": the reveal must land first, so members who look at
# the new challenge already see yesterday's answer.
REVEAL_MARGIN = timedelta(minutes=1)
# A failed post is retried after this long, the same local day only.
RETRY_DELAY = timedelta(minutes=15)
# This many failed posts in a row pause the schedule until an admin runs setup again.
MAX_FAILURES = 3
# How often a day's card comes from the cards the server gets wrong most, rather than
# from the cards it has never seen, when both kinds are left.
HARD_SHARE = 0.5

_TINY = timedelta(microseconds=1)


class ChallengeState(StrEnum):
    """Where one server's challenge of one local date stands."""

    INTENT = "intent"  # written before sending; a message may or may not exist
    UNSENT = "unsent"  # the last attempt failed in a way that proves nothing was posted
    POSTED = "posted"  # the message exists and takes answers
    REVEALED = "revealed"  # answers are closed and the result is settled
    MISSED = "missed"  # its local day ended without a post


@dataclass(frozen=True)
class DailyQuestion(MultipleChoiceQuestion):
    """A day's question frozen at posting time, so deck edits never change it afterwards."""

    explanation: str | None = None

    @classmethod
    def of(cls, question: MultipleChoiceQuestion, explanation: str | None) -> DailyQuestion:
        return cls(
            question.card_id, question.prompt, question.options, question.correct_index, explanation
        )


# -- when to post -------------------------------------------------------------------------


def post_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """When the post of local ``day`` is due: the first instant the clock reads ``at``.

    A time skipped by a spring-forward change gives the first valid minute after it; a
    time that happens twice gives its first occurrence.
    """
    start, _end = local_day_bounds(day, zone)
    return next_local_occurrence(start - _TINY, at, zone)


def first_post_at(
    now: datetime, at: time, zone: ZoneInfo, *, last_day: date | None = None
) -> datetime:
    """The next post from ``now`` on (``now`` itself included), on a day after ``last_day``.

    ``last_day`` is the latest local date that already has a challenge: one post per
    server and date, so that date and earlier ones are never due again.
    """
    candidate = next_local_occurrence(now - _TINY, at, zone)
    day = local_date(candidate, zone)
    while last_day is not None and day <= last_day:
        candidate = post_instant(day + timedelta(days=1), at, zone)
        day = local_date(candidate, zone)
    return candidate


@dataclass(frozen=True)
class DuePlan:
    """What a due schedule should do now: post for ``day``, or just wait for ``next_post_at``."""

    day: date | None
    next_post_at: datetime


def plan_due(scheduled_at: datetime, now: datetime, at: time, zone: ZoneInfo) -> DuePlan:
    """Decide what to do with a schedule whose next post was due at ``scheduled_at``.

    On the scheduled local day the post goes out, late if the bot was down. Once that day
    is over it is never posted: today's own post time decides instead, so a bot that
    comes back after today's time posts today's challenge late, and one that comes back
    before it waits for it.
    """
    if now < scheduled_at:
        return DuePlan(None, scheduled_at)
    today = local_date(now, zone)
    if local_date(scheduled_at, zone) >= today:
        return DuePlan(today, scheduled_at)
    todays = post_instant(today, at, zone)
    if todays <= now:
        return DuePlan(today, todays)
    return DuePlan(None, todays)


def reveal_time(
    posted_at: datetime, reveal_after_hours: int | None, next_post_at: datetime | None
) -> datetime:
    """When a challenge posted at ``posted_at`` is revealed.

    ``reveal_after_hours`` after the post if set, otherwise just before the next post;
    never after the next post (a late post must not overlap the next day's), never
    before the post itself.
    """
    before_next = None if next_post_at is None else next_post_at - REVEAL_MARGIN
    if reveal_after_hours is not None:
        chosen = posted_at + timedelta(hours=reveal_after_hours)
        if before_next is not None:
            chosen = min(chosen, before_next)
    else:
        chosen = before_next if before_next is not None else posted_at + timedelta(days=1)
    return max(chosen, posted_at)


@dataclass(frozen=True)
class FailurePlan:
    """A schedule after a failed post: its failure count, whether it pauses, when to retry."""

    failures: int
    paused: bool
    next_post_at: datetime | None


def plan_failure(
    failures_before: int, now: datetime, day: date, at: time, zone: ZoneInfo
) -> FailurePlan:
    """Count one more failure for the post of ``day``: retry later that day, or pause.

    A retry that would fall on the next local day is dropped: that day gets its own post.
    """
    failures = failures_before + 1
    if failures >= MAX_FAILURES:
        return FailurePlan(failures, True, None)
    retry = now + RETRY_DELAY
    if local_date(retry, zone) != day:
        retry = first_post_at(now, at, zone, last_day=day)
    return FailurePlan(failures, False, retry)


# -- which card ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CardRecord:
    """How a server did on one card: answers given and how many of them were wrong."""

    answered: int
    wrong: int

    @property
    def difficulty(self) -> float:
        # Smoothed, so one wrong answer out of one does not outrank 9 wrong out of 10.
        return (self.wrong + 1) / (self.answered + 2)


def cycle_remaining(pool: Sequence[Card], history: Sequence[str]) -> list[Card]:
    """The cards of ``pool`` not yet used in the current cycle.

    ``history`` holds the card ids of the server's earlier challenges, oldest first. A
    cycle ends once every card of the pool was used; cards outside the pool (another
    topic, a removed card) do not count.
    """
    ids = {card.id for card in pool}
    used: set[str] = set()
    for card_id in history:
        if card_id not in ids:
            continue
        if used == ids:
            used = set()
        used.add(card_id)
    if used == ids:
        used = set()
    return [card for card in pool if card.id not in used]


def _rng(seed: str) -> random.Random:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def choose_card(
    pool: Sequence[Card],
    history: Sequence[str],
    records: Mapping[str, CardRecord],
    *,
    seed: str,
) -> Card:
    """The card of the day: deterministic for a seed (server and date) and the same inputs.

    Cards already used this cycle are skipped. Among the rest, the seed picks either the
    card the server gets wrong most often or a card it has never answered, so practice
    goes where it is needed without starving new material.
    """
    if not pool:
        raise ValueError("the card pool is empty")
    remaining = sorted(cycle_remaining(pool, history), key=lambda card: card.id)
    seen: list[Card] = []
    unseen: list[Card] = []
    for card in remaining:
        answered = card.id in records and records[card.id].answered > 0
        (seen if answered else unseen).append(card)
    rng = _rng(seed)
    pick_hard = rng.random() < HARD_SHARE
    if seen and (pick_hard or not unseen):
        hardest = max(records[card.id].difficulty for card in seen)
        top = [card for card in seen if records[card.id].difficulty == hardest]
        return rng.choice(top)
    return rng.choice(unseen)
