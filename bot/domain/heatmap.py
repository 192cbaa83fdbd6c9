"""A member's study calendar: answers per local day, laid out a year at a time in weeks
that start on Monday, as the /stats picture draws them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.timezones import local_date

# 52 whole weeks before this one, and this one: a year and a bit.
HEATMAP_WEEKS = 53
RECENT_DAYS = 30


@dataclass(frozen=True)
class DayResults:
    """One local day: all answers, the judged ones, and the judged ones right."""

    answers: int = 0
    graded: int = 0
    correct: int = 0


def first_day(today: date) -> date:
    """The Monday that starts the calendar ending with ``today``'s week."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=HEATMAP_WEEKS - 1)


def results_by_day(
    quarters: Iterable[tuple[datetime, int, int, int]], zone: ZoneInfo, today: date
) -> dict[date, DayResults]:
    """Each quarter hour's (start, answers, judged, right) added to its local day in
    ``zone``, for the calendar's days up to ``today``; days without answers are left out.

    Quarter hours never straddle a local midnight: every zone's offset is a whole number
    of quarter hours, before and after a daylight saving change alike.
    """
    start = first_day(today)
    sums: dict[date, list[int]] = {}
    for instant, answers, graded, correct in quarters:
        day = local_date(instant, zone)
        if start <= day <= today and answers:
            found = sums.setdefault(day, [0, 0, 0])
            found[0] += answers
            found[1] += graded
            found[2] += correct
    return {day: DayResults(*found) for day, found in sums.items()}


def calendar_cells(today: date) -> list[tuple[int, int, date]]:
    """(week column, weekday row, day) of every day of the calendar up to ``today``:
    column 0 is the oldest week, row 0 is Monday."""
    start = first_day(today)
    cells = []
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        cells.append((offset // 7, offset % 7, day))
    return cells


def recent_days(days: dict[date, DayResults], today: date) -> list[tuple[date, DayResults]]:
    """The last ``RECENT_DAYS`` local days, oldest first, empty ones included."""
    first = today - timedelta(days=RECENT_DAYS - 1)
    return [
        (first + timedelta(days=i), days.get(first + timedelta(days=i), DayResults()))
        for i in range(RECENT_DAYS)
    ]


def intensity(answers: int, busiest: int, levels: int = 4) -> int:
    """0 for a day without answers, else 1..levels, scaled to the busiest day."""
    if answers <= 0 or busiest <= 0:
        return 0
    return max(1, min(levels, -(-answers * levels // busiest)))
