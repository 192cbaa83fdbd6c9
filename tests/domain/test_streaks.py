"""Tests for study and daily-challenge streak rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.streaks import (
    StreakState,
    daily_streak,
    days_of,
    record_daily_result,
    record_study_day,
    streak_as_of,
    streak_breaks_at,
    study_streak,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC_ZONE = ZoneInfo("UTC")
ONE_DAY = timedelta(days=1)


def run(start: date, length: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(length)]


def fold(days: list[date], state: StreakState | None = None) -> StreakState:
    return reduce(record_study_day, days, state or StreakState())


# --- study_streak -----------------------------------------------------------------------------


def test_no_study_days() -> None:
    assert study_streak([], date(2024, 5, 1)) == StreakState(0, 0, None)


def test_studied_today_counts_back_from_today() -> None:
    days = run(date(2024, 5, 1), 5)
    assert study_streak(days, date(2024, 5, 5)) == StreakState(5, 5, date(2024, 5, 5))


def test_studied_yesterday_streak_still_alive() -> None:
    days = run(date(2024, 5, 1), 5)
    assert study_streak(days, date(2024, 5, 6)) == StreakState(5, 5, date(2024, 5, 5))


def test_whole_day_missed_breaks_streak_but_keeps_best() -> None:
    days = run(date(2024, 5, 1), 5)
    assert study_streak(days, date(2024, 5, 7)) == StreakState(0, 5, date(2024, 5, 5))


def test_gap_of_exactly_one_day_restarts_at_one() -> None:
    days = [*run(date(2024, 5, 1), 3), date(2024, 5, 5)]  # 2024-05-04 missed
    assert study_streak(days, date(2024, 5, 5)) == StreakState(1, 3, date(2024, 5, 5))


def test_best_kept_after_reset_and_new_run() -> None:
    days = [*run(date(2024, 4, 1), 7), *run(date(2024, 5, 1), 3)]
    assert study_streak(days, date(2024, 5, 3)) == StreakState(3, 7, date(2024, 5, 3))


def test_duplicates_and_order_do_not_matter() -> None:
    days = [date(2024, 5, 3), date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 2)]
    assert study_streak(days, date(2024, 5, 3)) == StreakState(3, 3, date(2024, 5, 3))


def test_future_days_are_ignored() -> None:
    days = [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 9)]
    assert study_streak(days, date(2024, 5, 2)) == StreakState(2, 2, date(2024, 5, 2))


def test_streak_across_berlin_dst_changes() -> None:
    # Answers at 00:30 local each night across spring-forward (2024-03-31) and fall-back
    # (2024-10-27): every local day counts once, whatever its length.
    for start in (date(2024, 3, 28), date(2024, 10, 24)):
        instants = [
            datetime.combine(d, datetime.min.time(), BERLIN) + timedelta(minutes=30)
            for d in run(start, 7)
        ]
        days = days_of(instants, BERLIN)
        assert days == set(run(start, 7))
        assert study_streak(days, start + 6 * ONE_DAY).current == 7


def test_streak_across_new_york_dst_changes() -> None:
    # 23:45 local, the last minutes of each day, around 2024-03-10 and 2024-11-03.
    for start in (date(2024, 3, 8), date(2024, 11, 1)):
        instants = [
            datetime(d.year, d.month, d.day, 23, 45, tzinfo=NEW_YORK) for d in run(start, 5)
        ]
        days = days_of(instants, NEW_YORK)
        assert study_streak(days, start + 4 * ONE_DAY) == StreakState(5, 5, start + 4 * ONE_DAY)


# --- days_of ----------------------------------------------------------------------------------


def test_late_night_answer_is_next_day_in_another_zone() -> None:
    late = datetime(2024, 5, 6, 23, 30, tzinfo=LOS_ANGELES)
    assert days_of([late], LOS_ANGELES) == {date(2024, 5, 6)}
    assert days_of([late], UTC_ZONE) == {date(2024, 5, 7)}


def test_same_instants_make_different_streaks_in_different_zones() -> None:
    # Late evenings in Los Angeles, except on 3 May, studied in the morning instead. In UTC the
    # evenings fall on the next day, so 3 May's morning shares a day with 2 May's evening and
    # 4 May (UTC) has nothing.
    instants = [datetime(2024, 5, d, 23, 30, tzinfo=LOS_ANGELES) for d in (1, 2, 4)]
    instants.append(datetime(2024, 5, 3, 8, 0, tzinfo=LOS_ANGELES))
    local = study_streak(days_of(instants, LOS_ANGELES), date(2024, 5, 4))
    assert local == StreakState(4, 4, date(2024, 5, 4))
    in_utc = study_streak(days_of(instants, UTC_ZONE), date(2024, 5, 5))
    assert in_utc == StreakState(1, 2, date(2024, 5, 5))


def test_days_of_deduplicates() -> None:
    morning = datetime(2024, 5, 6, 8, tzinfo=UTC)
    assert days_of([morning, morning + timedelta(hours=10)], BERLIN) == {date(2024, 5, 6)}


# --- record_study_day -------------------------------------------------------------------------


def test_record_first_day() -> None:
    assert record_study_day(StreakState(), date(2024, 5, 1)) == StreakState(1, 1, date(2024, 5, 1))


def test_record_same_day_twice_does_not_double() -> None:
    state = fold([date(2024, 5, 1), date(2024, 5, 2)])
    assert record_study_day(state, date(2024, 5, 2)) == state


def test_more_answers_on_the_first_day_of_a_run_keep_the_streak_at_one() -> None:
    first = record_study_day(StreakState(), date(2024, 5, 1))
    assert record_study_day(first, date(2024, 5, 1)) == StreakState(1, 1, date(2024, 5, 1))
    # Also on the first day of a new run after a break, the best run is kept.
    broken = record_study_day(fold(run(date(2024, 4, 1), 3)), date(2024, 5, 1))
    assert record_study_day(broken, date(2024, 5, 1)) == StreakState(1, 3, date(2024, 5, 1))


def test_record_next_day_extends() -> None:
    state = fold(run(date(2024, 5, 1), 3))
    assert record_study_day(state, date(2024, 5, 4)) == StreakState(4, 4, date(2024, 5, 4))


def test_record_after_one_missed_day_resets_to_one() -> None:
    state = fold(run(date(2024, 5, 1), 3))
    assert record_study_day(state, date(2024, 5, 5)) == StreakState(1, 3, date(2024, 5, 5))


def test_record_earlier_day_is_ignored() -> None:
    state = fold([date(2024, 5, 1), date(2024, 5, 3)])
    assert record_study_day(state, date(2024, 5, 2)) == state


def test_record_continues_from_batch_state() -> None:
    batch = study_streak(run(date(2024, 5, 1), 4), date(2024, 5, 5))
    assert record_study_day(batch, date(2024, 5, 5)) == StreakState(5, 5, date(2024, 5, 5))
    broken = study_streak(run(date(2024, 5, 1), 4), date(2024, 5, 9))
    assert record_study_day(broken, date(2024, 5, 9)) == StreakState(1, 4, date(2024, 5, 9))


def test_streak_as_of() -> None:
    state = fold(run(date(2024, 5, 1), 3))
    assert streak_as_of(state, date(2024, 5, 3)) == state
    assert streak_as_of(state, date(2024, 5, 4)) == state
    assert streak_as_of(state, date(2024, 5, 5)) == StreakState(0, 3, date(2024, 5, 3))
    assert streak_as_of(StreakState(), date(2024, 5, 5)) == StreakState()


# --- streak_breaks_at -------------------------------------------------------------------------


def test_breaks_at_end_of_next_local_day() -> None:
    state = StreakState(3, 3, date(2024, 6, 1))
    # Studied on 1 June in Berlin: safe until the end of 2 June, 24:00 CEST = 22:00 UTC.
    assert streak_breaks_at(state, BERLIN) == datetime(2024, 6, 2, 22, tzinfo=UTC)


def test_breaks_at_across_spring_forward() -> None:
    # Last study on 30 March; the grace day 31 March has only 23 hours in Berlin.
    state = StreakState(2, 2, date(2024, 3, 30))
    breaks = streak_breaks_at(state, BERLIN)
    assert breaks == datetime(2024, 3, 31, 22, tzinfo=UTC)
    start_of_grace_day = datetime(2024, 3, 30, 23, tzinfo=UTC)
    assert breaks is not None and breaks - start_of_grace_day == timedelta(hours=23)


def test_breaks_at_across_fall_back_in_new_york() -> None:
    state = StreakState(1, 1, date(2024, 11, 2))
    # End of 3 November in New York (EST, UTC-5) after a 25-hour day.
    assert streak_breaks_at(state, NEW_YORK) == datetime(2024, 11, 4, 5, tzinfo=UTC)


def test_breaks_at_none_without_streak() -> None:
    assert streak_breaks_at(StreakState(), BERLIN) is None
    assert streak_breaks_at(StreakState(0, 5, date(2024, 5, 1)), BERLIN) is None


# --- daily streak -----------------------------------------------------------------------------


def test_daily_streak_counts_consecutive_correct() -> None:
    results = [(d, True) for d in run(date(2024, 5, 1), 4)]
    assert daily_streak(results) == StreakState(4, 4, date(2024, 5, 4))


def test_daily_streak_wrong_resets() -> None:
    days = run(date(2024, 5, 1), 6)
    results = list(zip(days, [True, True, True, False, True, True], strict=True))
    assert daily_streak(results) == StreakState(2, 3, date(2024, 5, 6))


def test_daily_streak_missed_resets() -> None:
    days = run(date(2024, 5, 1), 4)
    results = list(zip(days, [True, True, None, True], strict=True))
    assert daily_streak(results) == StreakState(1, 2, date(2024, 5, 4))


def test_daily_streak_ends_on_a_miss() -> None:
    days = run(date(2024, 5, 1), 3)
    results = list(zip(days, [True, True, None], strict=True))
    assert daily_streak(results) == StreakState(0, 2, date(2024, 5, 3))


def test_daily_streak_counts_challenges_not_calendar_days() -> None:
    # No challenge was posted on 2024-05-03; that does not break the run.
    results = [(date(2024, 5, 1), True), (date(2024, 5, 2), True), (date(2024, 5, 4), True)]
    assert daily_streak(results).current == 3


def test_daily_streak_sorts_and_keeps_first_result_per_date() -> None:
    results = [(date(2024, 5, 2), True), (date(2024, 5, 1), True), (date(2024, 5, 2), False)]
    assert daily_streak(results) == StreakState(2, 2, date(2024, 5, 2))


def test_record_daily_result_ignores_repeats_and_stragglers() -> None:
    state = record_daily_result(StreakState(), date(2024, 5, 2), True)
    assert record_daily_result(state, date(2024, 5, 2), False) == state
    assert record_daily_result(state, date(2024, 5, 1), False) == state


# --- properties -------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 3, 31))


@given(st.sets(DAYS, min_size=1))
def test_incremental_matches_batch(days: set[date]) -> None:
    ordered = sorted(days)
    assert fold(ordered) == study_streak(days, ordered[-1])


@given(st.lists(DAYS, min_size=1))
def test_many_answers_a_day_fold_to_the_same_streak_as_one(days: list[date]) -> None:
    ordered = sorted(days)
    assert fold(ordered) == study_streak(days, ordered[-1])


@given(st.sets(DAYS, min_size=1), st.integers(min_value=0, max_value=5))
def test_incremental_seen_later_matches_batch(days: set[date], wait: int) -> None:
    today = max(days) + timedelta(days=wait)
    assert streak_as_of(fold(sorted(days)), today) == study_streak(days, today)


@given(st.lists(DAYS))
def test_study_streak_invariants(days: list[date]) -> None:
    state = study_streak(days, date(2020, 3, 31))
    assert 0 <= state.current <= state.best <= len(set(days))


@given(st.lists(st.tuples(DAYS, st.sampled_from([True, False, None]))))
def test_daily_incremental_matches_batch(results: list[tuple[date, bool | None]]) -> None:
    ordered = sorted(results, key=lambda item: item[0])
    incremental = StreakState()
    for day, correct in ordered:
        incremental = record_daily_result(incremental, day, correct)
    assert incremental == daily_streak(results)
    assert 0 <= incremental.current <= incremental.best
