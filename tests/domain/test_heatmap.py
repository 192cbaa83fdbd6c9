"""The study calendar: answers per local day, in the member's zone, weeks from Monday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.heatmap import (
    HEATMAP_WEEKS,
    DayResults,
    calendar_cells,
    first_day,
    intensity,
    recent_days,
    results_by_day,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Europe/Berlin moves to summer time at 01:00 UTC on 29 March 2026; New York did on 8 March.
QUARTERS = [
    (at("2026-03-08T04:30"), 1, 1, 1),  # New York: 7 March 23:30 (EST); Berlin: 8 March
    (at("2026-03-29T00:45"), 2, 2, 1),  # Berlin: 01:45 CET, 29 March; New York: 28 March
    (at("2026-03-29T22:15"), 3, 0, 0),  # Berlin: 00:15 CEST, 30 March; New York: 29 March
]
TODAY = date(2026, 4, 1)


def test_days_are_counted_in_each_members_zone_around_daylight_saving_changes() -> None:
    assert results_by_day(QUARTERS, BERLIN, TODAY) == {
        date(2026, 3, 8): DayResults(1, 1, 1),
        date(2026, 3, 29): DayResults(2, 2, 1),
        date(2026, 3, 30): DayResults(3, 0, 0),
    }
    assert results_by_day(QUARTERS, NEW_YORK, TODAY) == {
        date(2026, 3, 7): DayResults(1, 1, 1),
        date(2026, 3, 28): DayResults(2, 2, 1),
        date(2026, 3, 29): DayResults(3, 0, 0),
    }


def test_quarters_of_one_local_day_add_up() -> None:
    quarters = [(at("2026-03-29T00:45"), 2, 2, 1), (at("2026-03-29T21:45"), 1, 1, 1)]
    # 21:45 UTC is 23:45 CEST: still 29 March in Berlin, after the clocks went forward.
    assert results_by_day(quarters, BERLIN, TODAY) == {date(2026, 3, 29): DayResults(3, 3, 2)}


def test_days_outside_the_calendar_are_left_out() -> None:
    old = first_day(TODAY) - timedelta(days=1)
    quarters = [(datetime(old.year, old.month, old.day, 12, tzinfo=UTC), 5, 0, 0)]
    quarters.append((at("2026-04-02T12:00"), 1, 0, 0))  # after "today"
    assert results_by_day(quarters, BERLIN, TODAY) == {}


def test_the_calendar_starts_on_a_monday_and_ends_today() -> None:
    for today in (date(2026, 4, 1), date(2026, 4, 5), date(2026, 4, 6)):
        cells = calendar_cells(today)
        start = first_day(today)
        assert start.weekday() == 0
        assert cells[0] == (0, 0, start)
        column, row, last = cells[-1]
        assert last == today and row == today.weekday() and column == HEATMAP_WEEKS - 1
        assert len(cells) == (HEATMAP_WEEKS - 1) * 7 + today.weekday() + 1
        assert all(day.weekday() == r for _, r, day in cells)


def test_recent_days_are_the_last_thirty_with_empty_ones() -> None:
    days = {date(2026, 3, 30): DayResults(3, 1, 1)}
    recent = recent_days(days, TODAY)
    assert len(recent) == 30
    assert recent[-1][0] == TODAY and recent[0][0] == TODAY - timedelta(days=29)
    assert dict(recent)[date(2026, 3, 30)] == DayResults(3, 1, 1)
    assert dict(recent)[date(2026, 3, 31)] == DayResults()


def test_intensity_scales_to_the_busiest_day() -> None:
    assert [intensity(n, 8) for n in (0, 1, 2, 3, 4, 5, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert intensity(3, 0) == 0
