"""Leaderboard rules: boards, periods, the order of members, and pages.

Order. A higher value ranks first. Members with the same value are ordered by the instant
they reached it, earlier first, and then by user id, so the order is total and a page never
shuffles between two looks. Ranks are positions 1, 2, 3, ...: there are no shared ranks.
"Reached" means, per board:

- points: the instant of the member's last answer in the period that scored points, since
  their total has not changed after it;
- accuracy: the instant of their last graded answer in the period, since every graded answer
  moves the ratio;
- streak: the instant of their first answer on the last day of the streak, when the streak
  grew to its current length.

Periods are calendar periods in the server's time zone (weeks start on Monday) and never
reach back before the server's current season, so a new season starts every board afresh.
Accuracy counts only answers the bot judged (multiple choice, typed, daily challenges):
self-graded flashcards and reviews would let anyone rank first by pressing "Easy".

The storage layer runs these rules in SQL for the points and accuracy boards; the
functions here are the reference those queries are tested against.
"""

from __future__ import annotations

import heapq
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.domain.streaks import current_run
from bot.domain.timezones import local_date, local_day_bounds

__all__ = [
    "MIN_ACCURACY_ANSWERS",
    "PAGE_SIZE",
    "Board",
    "Page",
    "Period",
    "Ranked",
    "RecentRun",
    "RecentStreak",
    "Standing",
    "StreakView",
    "Window",
    "accuracy",
    "clamp_page",
    "order_key",
    "page_count",
    "page_of",
    "period_window",
    "qualifies",
    "rank_range",
    "recent_streak_standing",
    "study_streak_standing",
]

PAGE_SIZE = 10
_ONE_DAY = timedelta(days=1)
# Below this many graded answers in the period, a ratio says more about luck than knowledge.
MIN_ACCURACY_ANSWERS = 20


class Board(StrEnum):
    POINTS = "points"
    STREAK = "streak"
    ACCURACY = "accuracy"


class Period(StrEnum):
    ALL_TIME = "all-time"
    MONTH = "month"
    WEEK = "week"
    TODAY = "today"


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's value on a board and when they reached it."""

    user_id: int
    value: Fraction
    reached_at: datetime


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    standing: Standing


@dataclass(frozen=True, slots=True)
class Window:
    """The instants a board counts: ``start`` inclusive, ``end`` exclusive; None is open."""

    start: datetime | None
    end: datetime | None

    def contains(self, instant: datetime) -> bool:
        return (self.start is None or instant >= self.start) and (
            self.end is None or instant < self.end
        )


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a board, and the viewer's own row wherever it is."""

    rows: tuple[Ranked, ...]
    own: Ranked | None
    total: int
    page: int

    @property
    def pages(self) -> int:
        return page_count(self.total)


def order_key(standing: Standing) -> tuple[Fraction | int, datetime, int]:
    """Sort key of the board order: value descending, then earlier reached, then user id.

    A whole value (points, streak days) sorts as an int, which compares exactly with a
    Fraction and far faster.
    """
    value = standing.value
    return (
        -value.numerator if value.denominator == 1 else -value,
        standing.reached_at,
        standing.user_id,
    )


def page_count(total: int) -> int:
    """Pages needed for ``total`` ranked members; an empty board still has one page."""
    return max(1, -(-total // PAGE_SIZE))


def clamp_page(page: int, total: int) -> int:
    """A page index that exists, whatever a stale button asked for."""
    return min(max(page, 0), page_count(total) - 1)


def rank_range(page: int) -> tuple[int, int]:
    """The first and last rank (inclusive) shown on a zero-based ``page``."""
    first = page * PAGE_SIZE + 1
    return first, first + PAGE_SIZE - 1


def page_of(standings: Sequence[Standing], page: int, viewer_id: int) -> Page:
    """One page of a board in board order, with the viewer's row wherever it is.

    Only the rows up to the page are put in order, and the viewer's rank is the count of
    those ahead: a board can hold every member of a big server, and a page shows ten.
    """
    page = clamp_page(page, len(standings))
    first, last = rank_range(page)
    shown = heapq.nsmallest(last, standings, key=order_key)[first - 1 :]
    rows = tuple(Ranked(position, s) for position, s in enumerate(shown, start=first))
    own = None
    mine = next((s for s in standings if s.user_id == viewer_id), None)
    if mine is not None:
        key = order_key(mine)
        own = Ranked(1 + sum(1 for s in standings if order_key(s) < key), mine)
    return Page(rows, own, len(standings), page)


def qualifies(board: Board, value: Fraction, graded: int) -> bool:
    """Whether a member appears on ``board`` at all."""
    if board is Board.ACCURACY:
        return graded >= MIN_ACCURACY_ANSWERS
    return value > 0


def accuracy(correct: int, graded: int) -> Fraction:
    return Fraction(correct, graded) if graded else Fraction(0)


def _period_start(period: Period, now: datetime, zone: ZoneInfo) -> datetime | None:
    today = local_date(now, zone)
    first_day: date
    if period is Period.ALL_TIME:
        return None
    if period is Period.TODAY:
        first_day = today
    elif period is Period.WEEK:
        first_day = today - timedelta(days=today.weekday())
    else:
        first_day = today.replace(day=1)
    start, _end = local_day_bounds(first_day, zone)
    return start


def _period_end(period: Period, now: datetime, zone: ZoneInfo) -> datetime | None:
    today = local_date(now, zone)
    last_day: date
    if period is Period.ALL_TIME:
        return None
    if period is Period.TODAY:
        last_day = today
    elif period is Period.WEEK:
        last_day = today + timedelta(days=6 - today.weekday())
    else:
        following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        last_day = following - timedelta(days=1)
    _start, end = local_day_bounds(last_day, zone)
    return end


def period_window(
    period: Period, now: datetime, zone: ZoneInfo, season_start: datetime | None = None
) -> Window:
    """The instants ``period`` covers at ``now`` in ``zone``, clipped to the season.

    Local midnights come from the zone's rules, so a day on which the clocks change is 23
    or 25 hours long and still counts as one day.
    """
    start = _period_start(period, now, zone)
    if season_start is not None and (start is None or season_start > start):
        start = season_start
    return Window(start, _period_end(period, now, zone))


def _first_moment_of_each_day(instants: Iterable[datetime], zone: ZoneInfo) -> dict[date, datetime]:
    first: dict[date, datetime] = {}
    for moment in instants:
        day = local_date(moment, zone)
        earlier = first.get(day)
        if earlier is None or moment < earlier:
            first[day] = moment
    return first


def study_streak_standing(
    user_id: int, instants: Iterable[datetime], zone: ZoneInfo, now: datetime
) -> Standing | None:
    """A member's current study streak as a standing; None when they have none.

    ``instants`` are moments the member answered (one per quarter hour is enough); the
    earliest of them on the streak's last day is when the streak reached its length.
    """
    return recent_streak_standing(user_id, instants, zone, now, since=None).standing


@dataclass(frozen=True, slots=True)
class RecentStreak:
    """A streak standing read from a member's recent answers only.

    ``settled`` is False when answers from before the recent ones could change it (the
    run reaches back that far): then it needs the member's whole history.
    """

    standing: Standing | None
    settled: bool


# Far more than any zone's offset from UTC can shift a local date: an answer before
# ``since`` falls on a local day no later than the day ``since`` plus this is on.
_OFFSET_SLACK = timedelta(days=2)


def recent_streak_standing(
    user_id: int,
    instants: Iterable[datetime],
    zone: ZoneInfo,
    now: datetime,
    since: datetime | None,
) -> RecentStreak:
    """The current study streak from the member's answers at or after ``since`` (all of
    them when None), and whether older answers could not change it."""
    first = _first_moment_of_each_day(instants, zone)
    run = StreakView.at(zone, now, since).run(first)
    if run.last_day is None:
        return RecentStreak(None, run.settled)
    return RecentStreak(Standing(user_id, Fraction(run.days), first[run.last_day]), run.settled)


@dataclass(frozen=True, slots=True)
class RecentRun:
    """A member's current study streak (``days`` long, ending on ``last_day``; 0 and None
    when there is none), and whether answers older than those read could change it."""

    days: int
    last_day: date | None
    settled: bool


@dataclass(frozen=True, slots=True)
class StreakView:
    """Streaks as one board read sees them in one zone: the local date now, and the
    latest local day that an answer from before the recent ones could fall on (None when
    every answer is read). Made once per zone, used for each member in it."""

    today: date
    older_up_to: date | None

    @classmethod
    def at(cls, zone: ZoneInfo, now: datetime, since: datetime | None) -> StreakView:
        older_up_to = None if since is None else local_date(since + _OFFSET_SLACK, zone)
        return cls(local_date(now, zone), older_up_to)

    def run(self, studied: Container[date]) -> RecentRun:
        """The current streak among the local days ``studied`` (those read)."""
        days, last_day = current_run(studied, self.today)
        older_up_to = self.older_up_to
        if last_day is None:
            return RecentRun(0, None, older_up_to is None or older_up_to < self.today - _ONE_DAY)
        run_start = last_day - timedelta(days=days - 1)
        if older_up_to is not None and older_up_to >= run_start - _ONE_DAY:
            return RecentRun(0, None, settled=False)
        return RecentRun(days, last_day, settled=True)
