"""Leaderboard rules: order and ties, pages, periods in time zones, streak standings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.leaderboard import (
    MIN_ACCURACY_ANSWERS,
    PAGE_SIZE,
    Board,
    Period,
    Ranked,
    RecentRun,
    RecentStreak,
    Standing,
    StreakView,
    Window,
    accuracy,
    clamp_page,
    order_key,
    page_count,
    page_of,
    period_window,
    qualifies,
    rank_range,
    recent_streak_standing,
    study_streak_standing,
)
from bot.domain.streaks import days_of, study_streak
from bot.domain.timezones import local_date

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC_ZONE = ZoneInfo("UTC")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


T0 = utc(2026, 3, 2, 9)


def standing(user_id: int, value: int | Fraction, minutes: int = 0) -> Standing:
    return Standing(user_id, Fraction(value), T0 + timedelta(minutes=minutes))


def rank(standings: Iterable[Standing]) -> list[Ranked]:
    """The whole board in order, numbered 1, 2, 3, ...: the board order written plainly,
    which a page must be a slice of."""
    ordered = sorted(standings, key=order_key)
    return [Ranked(position, s) for position, s in enumerate(ordered, start=1)]


# --- order and ties ---------------------------------------------------------------------------


def test_higher_values_rank_first_and_ranks_are_positions() -> None:
    ranked = rank([standing(1, 3), standing(2, 10), standing(3, 7)])
    assert [(r.rank, r.standing.user_id) for r in ranked] == [(1, 2), (2, 3), (3, 1)]


def test_a_tie_goes_to_who_reached_the_value_first() -> None:
    ranked = rank([standing(1, 5, minutes=30), standing(2, 5, minutes=-30), standing(3, 5)])
    assert [(r.rank, r.standing.user_id) for r in ranked] == [(1, 2), (2, 3), (3, 1)]


def test_a_tie_at_the_same_instant_goes_to_the_lower_user_id() -> None:
    ranked = rank([standing(9, 5), standing(4, 5)])
    assert [r.standing.user_id for r in ranked] == [4, 9]


def test_equal_ratios_tie_exactly() -> None:
    # 15/20 and 30/40 are the same accuracy: the earlier one ranks first.
    ranked = rank(
        [
            Standing(1, accuracy(30, 40), T0),
            Standing(2, accuracy(15, 20), T0 + timedelta(seconds=1)),
            Standing(3, accuracy(31, 40), T0 + timedelta(days=1)),
        ]
    )
    assert [r.standing.user_id for r in ranked] == [3, 1, 2]


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3)),
        max_size=40,
    )
)
def test_rank_is_a_total_order_of_everyone(pairs: list[tuple[int, int]]) -> None:
    standings = [standing(i, value, minutes) for i, (value, minutes) in enumerate(pairs)]
    ranked = rank(reversed(standings))
    assert sorted(r.standing.user_id for r in ranked) == list(range(len(pairs)))
    assert [r.rank for r in ranked] == list(range(1, len(pairs) + 1))
    for ahead, behind in zip(ranked, ranked[1:], strict=False):
        a, b = ahead.standing, behind.standing
        assert a.value > b.value or (
            a.value == b.value and (a.reached_at, a.user_id) < (b.reached_at, b.user_id)
        )
        assert order_key(a) < order_key(b)


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 3), st.integers(0, 2)),
        max_size=40,
    )
)
def test_whole_and_fractional_values_rank_in_exact_order(
    triples: list[tuple[int, int, int]],
) -> None:
    # Whole values sort as ints, the rest as Fractions: 2/2 ties 1, 3/2 sits between 1 and 2.
    standings = [
        standing(i, Fraction(top, bottom), minutes)
        for i, (top, bottom, minutes) in enumerate(triples)
    ]
    ranked = [r.standing for r in rank(standings)]
    assert ranked == sorted(standings, key=lambda s: (-s.value, s.reached_at, s.user_id))


# --- who appears ------------------------------------------------------------------------------


def test_accuracy_needs_twenty_judged_answers_and_points_need_one() -> None:
    assert MIN_ACCURACY_ANSWERS == 20
    assert not qualifies(Board.ACCURACY, Fraction(1), 19)
    assert qualifies(Board.ACCURACY, Fraction(0), 20)
    assert not qualifies(Board.POINTS, Fraction(0), 50)
    assert qualifies(Board.POINTS, Fraction(1), 0)
    assert qualifies(Board.STREAK, Fraction(1), 0)
    assert accuracy(0, 0) == 0 and accuracy(3, 4) == Fraction(3, 4)


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "pages"), [(0, 1), (1, 1), (10, 1), (11, 2), (20, 2), (21, 3), (100_000, 10_000)]
)
def test_page_count(total: int, pages: int) -> None:
    assert PAGE_SIZE == 10
    assert page_count(total) == pages


@pytest.mark.parametrize(
    ("page", "total", "clamped"), [(-1, 30, 0), (0, 30, 0), (2, 30, 2), (3, 30, 2), (5, 0, 0)]
)
def test_a_stale_page_is_clamped(page: int, total: int, clamped: int) -> None:
    assert clamp_page(page, total) == clamped


def test_rank_ranges() -> None:
    assert rank_range(0) == (1, 10)
    assert rank_range(3) == (31, 40)


def test_a_page_carries_the_viewers_row_from_anywhere() -> None:
    standings = [standing(user_id, 100 - user_id) for user_id in reversed(range(25))]
    first = page_of(standings, 0, viewer_id=22)
    assert [r.rank for r in first.rows] == list(range(1, 11))
    assert first.own is not None and (first.own.rank, first.own.standing.user_id) == (23, 22)
    assert (first.total, first.page, first.pages) == (25, 0, 3)
    last = page_of(standings, 7, viewer_id=3)  # past the end: the last page
    assert last.page == 2 and [r.rank for r in last.rows] == [21, 22, 23, 24, 25]
    assert last.own is not None and last.own.rank == 4
    assert page_of(standings, 0, viewer_id=999).own is None
    empty = page_of([], 0, viewer_id=1)
    assert (empty.rows, empty.own, empty.total, empty.pages) == ((), None, 0, 1)


@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), max_size=45),
    st.integers(-1, 6),
    st.integers(0, 50),
)
def test_a_page_is_its_slice_of_the_whole_ranking(
    pairs: list[tuple[int, int]], page: int, viewer_id: int
) -> None:
    # Many ties: the order inside a tie decides which rows a page shows, and the rank.
    standings = [standing(i, value, minutes) for i, (value, minutes) in enumerate(pairs)]
    ranked = rank(standings)
    cut = page_of(standings, page, viewer_id)
    first = cut.page * PAGE_SIZE
    assert cut.rows == tuple(ranked[first : first + PAGE_SIZE])
    assert cut.own == next((r for r in ranked if r.standing.user_id == viewer_id), None)
    assert (cut.total, cut.page) == (len(ranked), clamp_page(page, len(ranked)))


# --- periods ----------------------------------------------------------------------------------


def test_all_time_is_open_or_starts_with_the_season() -> None:
    assert period_window(Period.ALL_TIME, T0, BERLIN) == Window(None, None)
    season = utc(2026, 2, 1)
    assert period_window(Period.ALL_TIME, T0, BERLIN, season) == Window(season, None)


def test_today_is_the_local_day() -> None:
    # 09:00 UTC on Monday 2 March is 10:00 in Berlin (UTC+1).
    assert period_window(Period.TODAY, T0, BERLIN) == Window(
        utc(2026, 3, 1, 23), utc(2026, 3, 2, 23)
    )
    assert period_window(Period.TODAY, T0, UTC_ZONE) == Window(utc(2026, 3, 2), utc(2026, 3, 3))


def test_a_late_night_answer_is_today_in_one_zone_and_tomorrow_in_another() -> None:
    # 23:30 in New York on Sunday 1 March is 05:30 on Monday in Berlin.
    answer = utc(2026, 3, 2, 4, 30)
    monday_morning = utc(2026, 3, 2, 9)
    assert period_window(Period.TODAY, monday_morning, BERLIN).contains(answer)
    assert not period_window(Period.TODAY, monday_morning, NEW_YORK).contains(answer)
    sunday_night = utc(2026, 3, 2, 4, 45)
    assert period_window(Period.TODAY, sunday_night, NEW_YORK).contains(answer)
    # At that instant it is still Sunday's week in New York but Monday's in Berlin.
    new_york_week = period_window(Period.WEEK, sunday_night, NEW_YORK)
    berlin_week = period_window(Period.WEEK, sunday_night, BERLIN)
    assert new_york_week.start == utc(2026, 2, 23, 5)
    assert berlin_week.start == utc(2026, 3, 1, 23)
    assert new_york_week.contains(answer) and berlin_week.contains(answer)


def test_weeks_start_on_monday() -> None:
    thursday = utc(2026, 3, 5, 12)
    assert period_window(Period.WEEK, thursday, UTC_ZONE) == Window(
        utc(2026, 3, 2), utc(2026, 3, 9)
    )
    sunday_late = utc(2026, 3, 8, 22, 59)  # 23:59 in Berlin: still the same week there
    assert period_window(Period.WEEK, sunday_late, BERLIN) == Window(
        utc(2026, 3, 1, 23), utc(2026, 3, 8, 23)
    )


def test_months_in_february_and_across_the_year() -> None:
    assert period_window(Period.MONTH, utc(2026, 2, 14), UTC_ZONE) == Window(
        utc(2026, 2, 1), utc(2026, 3, 1)
    )
    assert period_window(Period.MONTH, utc(2026, 12, 31, 12), UTC_ZONE) == Window(
        utc(2026, 12, 1), utc(2027, 1, 1)
    )
    # 1 January 2027 08:00 in Tokyo is still 31 December in UTC.
    assert period_window(Period.MONTH, utc(2026, 12, 31, 23), TOKYO) == Window(
        utc(2026, 12, 31, 15), utc(2027, 1, 31, 15)
    )


def test_a_daylight_saving_day_is_one_day_of_23_or_25_hours() -> None:
    # Berlin springs forward on 29 March 2026 and falls back on 25 October 2026.
    spring = period_window(Period.TODAY, utc(2026, 3, 29, 12), BERLIN)
    assert spring == Window(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert spring.start is not None and spring.end is not None
    assert spring.end - spring.start == timedelta(hours=23)
    autumn = period_window(Period.TODAY, utc(2026, 10, 25, 12), BERLIN)
    assert autumn.start is not None and autumn.end is not None
    assert autumn.end - autumn.start == timedelta(hours=25)
    # The week around the change holds 7 days, not 6 or 8.
    week = period_window(Period.WEEK, utc(2026, 3, 29, 12), BERLIN)
    assert week == Window(utc(2026, 3, 22, 23), utc(2026, 3, 29, 22))


def test_every_period_starts_no_earlier_than_the_season() -> None:
    season = utc(2026, 3, 4, 15)
    now = utc(2026, 3, 5, 12)
    assert period_window(Period.MONTH, now, UTC_ZONE, season).start == season
    assert period_window(Period.WEEK, now, UTC_ZONE, season).start == season
    assert period_window(Period.TODAY, now, UTC_ZONE, season).start == utc(2026, 3, 5)


def test_window_bounds_are_start_inclusive_end_exclusive() -> None:
    window = Window(utc(2026, 3, 2), utc(2026, 3, 3))
    assert window.contains(utc(2026, 3, 2))
    assert not window.contains(utc(2026, 3, 3))
    assert not window.contains(utc(2026, 3, 1, 23, 59))


# --- the streak board -------------------------------------------------------------------------


def test_a_streak_standing_is_reached_with_the_first_answer_of_its_last_day() -> None:
    now = utc(2026, 3, 4, 20)
    instants = [
        utc(2026, 3, 2, 8),
        utc(2026, 3, 3, 9),
        utc(2026, 3, 4, 7, 30),
        utc(2026, 3, 4, 6),
        utc(2026, 3, 4, 18),
    ]
    assert study_streak_standing(1, instants, UTC_ZONE, now) == Standing(
        1, Fraction(3), utc(2026, 3, 4, 6)
    )


def test_a_gap_of_exactly_one_day_keeps_the_streak_on_the_board() -> None:
    studied = [utc(2026, 3, 2, 12), utc(2026, 3, 3, 12)]
    # Nothing on 4 March yet: still 2 until 4 March ends.
    assert study_streak_standing(1, studied, UTC_ZONE, utc(2026, 3, 4, 23, 59)) == Standing(
        1, Fraction(2), utc(2026, 3, 3, 12)
    )
    # A whole day (4 March) without study: off the board.
    assert study_streak_standing(1, studied, UTC_ZONE, utc(2026, 3, 5, 0, 1)) is None


def test_a_streak_standing_uses_the_members_zone() -> None:
    # 23:55 and 00:05 in New York: two days there, one day in UTC (04:55 and 05:05).
    midnight = [utc(2026, 3, 3, 4, 55), utc(2026, 3, 3, 5, 5)]
    assert study_streak_standing(1, midnight, NEW_YORK, utc(2026, 3, 3, 6)) == Standing(
        1, Fraction(2), utc(2026, 3, 3, 5, 5)
    )
    assert study_streak_standing(1, midnight, UTC_ZONE, utc(2026, 3, 3, 6)) == Standing(
        1, Fraction(1), utc(2026, 3, 3, 4, 55)
    )


def test_a_streak_across_a_daylight_saving_change_counts_each_day_once() -> None:
    # 00:30 local in Berlin each day from 27 to 30 March 2026 (UTC+1, then UTC+2).
    studied = [
        utc(2026, 3, 26, 23, 30),
        utc(2026, 3, 27, 23, 30),
        utc(2026, 3, 28, 23, 30),
        utc(2026, 3, 29, 22, 30),
    ]
    got = study_streak_standing(1, studied, BERLIN, utc(2026, 3, 30, 10))
    assert got == Standing(1, Fraction(4), utc(2026, 3, 29, 22, 30))


def test_no_answers_no_standing() -> None:
    assert study_streak_standing(1, [], UTC_ZONE, T0) is None


# Zones whose offsets or clock changes are unusual: quarter and half hours, ±12 to +14 h,
# daylight saving that started or ended at midnight (São Paulo until 2019).
ODD_ZONES = [
    UTC_ZONE,
    BERLIN,
    NEW_YORK,
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("Pacific/Chatham"),
    ZoneInfo("Pacific/Kiritimati"),
    ZoneInfo("Etc/GMT+12"),
    ZoneInfo("America/Sao_Paulo"),
    ZoneInfo("Australia/Lord_Howe"),
]
# Forty days from a start near São Paulo's midnight clock changes, or Europe's spring one.
STARTS = [utc(2017, 10, 1), utc(2018, 2, 1), utc(2026, 3, 10)]
SPAN_MINUTES = 60 * 24 * 40
# Answers at any minute of those days, often enough that runs of days are common.
minutes = st.lists(st.integers(0, SPAN_MINUTES), max_size=60)


def reference_standing(
    user_id: int, instants: list[datetime], zone: ZoneInfo, now: datetime
) -> Standing | None:
    """The streak board's rule, said plainly: every day studied, the run ending at the
    last one, reached with that day's first answer."""
    streak = study_streak(days_of(instants, zone), local_date(now, zone))
    if streak.current == 0 or streak.last_day is None:
        return None
    reached = min(m for m in instants if local_date(m, zone) == streak.last_day)
    return Standing(user_id, Fraction(streak.current), reached)


@given(st.sampled_from(STARTS), minutes, st.sampled_from(ODD_ZONES), st.integers(0, SPAN_MINUTES))
def test_a_streak_standing_follows_the_plain_rule(
    start: datetime, offsets: list[int], zone: ZoneInfo, now_minutes: int
) -> None:
    instants = [start + timedelta(minutes=m) for m in offsets]
    now = start + timedelta(minutes=now_minutes)
    assert study_streak_standing(7, instants, zone, now) == reference_standing(
        7, instants, zone, now
    )


@given(
    st.sampled_from(STARTS),
    minutes,
    st.sampled_from(ODD_ZONES),
    st.integers(0, SPAN_MINUTES),
    st.integers(0, 60 * 24 * 20),
)
def test_a_streak_settled_from_recent_answers_is_the_whole_historys(
    start: datetime,
    offsets: list[int],
    zone: ZoneInfo,
    now_minutes: int,
    window_minutes: int,
) -> None:
    instants = [start + timedelta(minutes=m) for m in offsets]
    now = start + timedelta(minutes=now_minutes)
    since = now - timedelta(minutes=window_minutes)
    recent = [m for m in instants if m >= since]
    got = recent_streak_standing(7, recent, zone, now, since)
    if got.settled:
        assert got.standing == reference_standing(7, instants, zone, now)
    else:
        assert got.standing is None


def test_recent_answers_settle_a_short_streak_and_not_one_that_reaches_back() -> None:
    now = utc(2026, 3, 20, 12)
    since = now - timedelta(days=15)
    short = [utc(2026, 3, 19, 8), utc(2026, 3, 20, 7)]
    assert recent_streak_standing(1, short, UTC_ZONE, now, since).settled
    assert recent_streak_standing(1, short, UTC_ZONE, now, since).standing == Standing(
        1, Fraction(2), utc(2026, 3, 20, 7)
    )
    every_day = [since + timedelta(days=d, hours=1) for d in range(16)]
    assert recent_streak_standing(1, every_day, UTC_ZONE, now, since) == RecentStreak(
        None, settled=False
    )
    # No recent study at all: settled, nothing older can be current.
    assert recent_streak_standing(1, [], UTC_ZONE, now, since) == RecentStreak(None, True)


# -- rules pinned by mutation testing -----------------------------------------------------
# Answers older than ``since`` fall on a local day no later than the day of ``since`` plus
# two days. Recent answers alone settle a member's streak exactly when no such day matters:
# without a current streak, when that day is before yesterday; with one, when it is before
# the day before the run began.

NOW = utc(2026, 3, 20, 12)  # today is 2026-03-20 in UTC


def test_without_recent_answers_the_streak_is_settled_when_older_ones_end_before_yesterday() -> (
    None
):
    # Older answers reach at most 2026-03-18, the day before yesterday: settled, no streak.
    assert recent_streak_standing(1, [], UTC_ZONE, NOW, utc(2026, 3, 16, 12)) == RecentStreak(
        None, True
    )
    # They may reach 2026-03-19, yesterday, which would still be a current streak.
    assert recent_streak_standing(1, [], UTC_ZONE, NOW, utc(2026, 3, 17, 12)) == RecentStreak(
        None, False
    )


def test_a_streak_view_gives_the_run_its_last_day_and_whether_it_is_settled() -> None:
    view = StreakView.at(UTC_ZONE, NOW, utc(2026, 3, 10, 12))  # older answers up to 03-12
    day = date(2026, 3, 20)
    three = {day - timedelta(days=n) for n in range(3)}
    assert view.run(three) == RecentRun(3, day, settled=True)
    # Yesterday's run is still current; a run that ended the day before is not.
    assert view.run({day - timedelta(days=1)}) == RecentRun(1, day - timedelta(days=1), True)
    assert view.run({day - timedelta(days=2)}) == RecentRun(0, None, settled=True)
    # A run that reaches back to the day after the older answers could go on before them.
    reaching = {day - timedelta(days=n) for n in range(8)}  # began 03-13
    assert view.run(reaching) == RecentRun(0, None, settled=False)
    # Without a current run, older answers that may fall on yesterday leave it open.
    assert StreakView.at(UTC_ZONE, NOW, utc(2026, 3, 17, 12)).run(set()) == RecentRun(
        0, None, settled=False
    )


RUN = [utc(2026, 3, 18, 8), utc(2026, 3, 19, 8), utc(2026, 3, 20, 8)]  # began 2026-03-18


@pytest.mark.usefixtures("machine_clock_far_from_utc")
def test_a_recent_run_is_settled_when_older_answers_end_before_the_day_before_it() -> None:
    # Older answers reach at most 2026-03-16 (on the server's calendar, whatever the
    # machine's clock says): they cannot touch 2026-03-17, so the run is all there is.
    settled = recent_streak_standing(1, RUN, UTC_ZONE, NOW, utc(2026, 3, 14, 11))
    assert settled == RecentStreak(Standing(1, Fraction(3), utc(2026, 3, 20, 8)), True)


def test_a_recent_run_is_not_settled_when_older_answers_may_extend_it() -> None:
    # Older answers may reach 2026-03-17, the day before the run: it could be longer.
    unsure = recent_streak_standing(1, RUN, UTC_ZONE, NOW, utc(2026, 3, 15, 12))
    assert unsure == RecentStreak(None, settled=False)
