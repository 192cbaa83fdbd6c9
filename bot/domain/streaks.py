"""Streak rules: study streaks per user and daily-challenge streaks, as pure functions.

Days are always *local* calendar days in the user's (or server's) time zone; callers convert
answer timestamps with :func:`days_of` first.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.timezones import local_date, local_day_bounds

__all__ = [
    "StreakState",
    "current_run",
    "daily_streak",
    "days_of",
    "record_daily_result",
    "record_study_day",
    "streak_as_of",
    "streak_breaks_at",
    "study_streak",
]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StreakState:
    """A streak: the current run, the longest run ever, and the last day that counted.

    For study streaks ``last_day`` is the last day studied; for daily-challenge streaks it is
    the date of the last challenge recorded, whatever its result.
    """

    current: int = 0
    best: int = 0
    last_day: date | None = None


def days_of(instants: Iterable[datetime], zone: ZoneInfo) -> set[date]:
    """The set of local days in ``zone`` on which the given aware instants fall."""
    return {local_date(instant, zone) for instant in instants}


def study_streak(days: Iterable[date], today: date) -> StreakState:
    """Compute a study streak from every local day the user answered at least one card.

    The current streak still counts if the last study day was yesterday: it is only shown as
    broken once a whole local day has passed without study. Days after ``today`` are ignored
    so a skewed clock cannot inflate the streak.
    """
    studied = sorted({day for day in days if day <= today})
    best = 0
    run = 0
    previous: date | None = None
    for day in studied:
        run = run + 1 if previous is not None and day - previous == _ONE_DAY else 1
        best = max(best, run)
        previous = day
    if previous is None:
        return StreakState()
    current, _last = current_run(set(studied), today)
    return StreakState(current=current, best=best, last_day=previous)


def current_run(days: Container[date], today: date) -> tuple[int, date | None]:
    """The current streak among the studied local ``days``: the run of consecutive days
    that ends today, or yesterday (a streak breaks only once a whole day has passed
    without study). Its length and last day; ``(0, None)`` when there is none. Days after
    ``today`` do not count."""
    last = today if today in days else today - _ONE_DAY
    day = last
    while day in days:
        day -= _ONE_DAY
    length = (last - day).days
    return (length, last) if length else (0, None)


def record_study_day(state: StreakState, day: date) -> StreakState:
    """Fold one more study day into ``state``; feeding days in order matches :func:`study_streak`.

    ``current`` here is the run ending on ``last_day``; use :func:`streak_as_of` to see whether
    it is still alive on a given day.
    """
    last = state.last_day
    if last is None:
        current = 1
    elif day == last:
        # Answering more cards on the same day never adds to the streak.
        current = max(state.current, 1)
    elif day < last:
        # A day older than the last one recorded (for example an answer that was stored late)
        # cannot be placed into the run without the full history; study_streak over all days
        # is the source of truth for such repairs.
        return state
    elif day - last == _ONE_DAY:
        current = state.current + 1
    else:
        current = 1
    return StreakState(current=current, best=max(state.best, current), last_day=day)


def streak_as_of(state: StreakState, today: date) -> StreakState:
    """``state`` as seen on ``today``: the current run drops to 0 once a whole day is missed."""
    if state.last_day is None or today - state.last_day > _ONE_DAY:
        return StreakState(current=0, best=state.best, last_day=state.last_day)
    return state


def streak_breaks_at(state: StreakState, zone: ZoneInfo) -> datetime | None:
    """The UTC instant the current study streak breaks if nothing more is studied.

    That is the end of the local day after ``last_day``, which is 23 or 25 hours long when
    the clocks change. ``None`` when there is no current streak.
    """
    if state.current == 0 or state.last_day is None:
        return None
    _start, end = local_day_bounds(state.last_day + _ONE_DAY, zone)
    return end


def record_daily_result(state: StreakState, day: date, correct: bool | None) -> StreakState:
    """Fold one daily-challenge result into ``state``.

    ``correct`` is True for a right answer, False for a wrong one and None when the challenge
    went unanswered; anything but True resets the run. Streaks count consecutive challenges,
    not calendar days, so a day on which no challenge was posted does not break them.
    """
    if state.last_day is not None and day <= state.last_day:
        # Each challenge has one final result; repeats and stragglers are ignored so that
        # replaying events is harmless.
        return state
    current = state.current + 1 if correct is True else 0
    return StreakState(current=current, best=max(state.best, current), last_day=day)


def daily_streak(results: Iterable[tuple[date, bool | None]]) -> StreakState:
    """Compute a daily-challenge streak from a server's challenge results.

    Results are sorted by date; if a date appears twice only its first result counts.
    """
    state = StreakState()
    # sorted() is stable, so "first result for a date" means first in the caller's order.
    for day, correct in sorted(results, key=lambda item: item[0]):
        state = record_daily_result(state, day, correct)
    return state
