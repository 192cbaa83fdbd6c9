"""Spaced repetition rules with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.review import (
    Grade,
    MemoryState,
    ReviewEvent,
    check_retention,
    grade_for_answer,
    new_cards_left,
    plan_review,
    replay,
    review,
    summarise_due,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _good_run(count: int) -> list[MemoryState]:
    """Answer a card Good each time it comes due."""
    states: list[MemoryState] = []
    state: MemoryState | None = None
    at = T0
    for _ in range(count):
        state = review(state, ReviewEvent("c1", Grade.GOOD, at, 4000))
        states.append(state)
        at = state.due
    return states


def test_good_answers_move_a_card_out_in_growing_intervals() -> None:
    states = _good_run(7)
    intervals = [s.due - s.last_review for s in states if s.last_review is not None]
    graduated = intervals[2:]  # past the learning steps
    assert all(b > a for a, b in zip(graduated, graduated[1:], strict=False))
    assert intervals[-1] > timedelta(days=30)
    assert states[-1].reviews == 7 and states[-1].lapses == 0
    assert states[-1].is_mature


def test_again_brings_a_card_back_soon() -> None:
    learned = _good_run(5)[-1]
    assert learned.due - learned.last_review > timedelta(days=5)  # type: ignore[operator]
    lapse_at = learned.due
    forgotten = review(learned, ReviewEvent("c1", Grade.AGAIN, lapse_at, 9000))
    assert forgotten.due - lapse_at <= timedelta(minutes=10)
    assert forgotten.lapses == 1
    assert not forgotten.is_mature


def test_replaying_the_log_reproduces_the_state() -> None:
    events = []
    state: MemoryState | None = None
    at = T0
    for grade in [Grade.GOOD, Grade.HARD, Grade.GOOD, Grade.AGAIN, Grade.GOOD, Grade.EASY]:
        event = ReviewEvent("c1", grade, at, 3000)
        events.append(event)
        state = review(state, event, desired_retention=0.85)
        at = state.due + timedelta(hours=3)
    assert replay(reversed(events), desired_retention=0.85) == state
    assert replay([], desired_retention=0.85) is None


def test_a_higher_retention_schedules_sooner() -> None:
    first = ReviewEvent("c1", Grade.GOOD, T0, None)
    relaxed = strict = None
    at = T0
    for _ in range(4):
        relaxed = review(relaxed, ReviewEvent("c1", Grade.GOOD, at, None), desired_retention=0.8)
        strict = review(strict, ReviewEvent("c1", Grade.GOOD, at, None), desired_retention=0.95)
        at = max(relaxed.due, strict.due)
    assert first.card_id == "c1"
    assert relaxed is not None and strict is not None
    assert strict.due < relaxed.due


@pytest.mark.parametrize(
    ("mode", "correct", "grade", "ms", "expected"),
    [
        ("flashcard", True, "easy", None, Grade.EASY),
        ("flashcard", False, "again", None, Grade.AGAIN),
        ("review", True, "hard", 60_000, Grade.HARD),
        ("multiple-choice", False, None, 1000, Grade.AGAIN),
        ("multiple-choice", True, None, 19_999, Grade.GOOD),
        ("typed", True, None, 20_001, Grade.HARD),
        ("daily", True, None, 4 * 3600 * 1000, Grade.GOOD),
    ],
)
def test_answers_map_to_grades(
    mode: str, correct: bool, grade: str | None, ms: int | None, expected: Grade
) -> None:
    assert (
        grade_for_answer(mode=mode, correct=correct, self_grade=grade, response_ms=ms) is expected
    )


def test_the_new_card_allowance_resets_at_local_midnight() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9: local midnight is 15:00 UTC
    started = [datetime(2026, 1, 5, 10, 0, tzinfo=UTC)] * 3 + [
        datetime(2026, 1, 5, 14, 59, tzinfo=UTC)
    ]
    before_midnight = datetime(2026, 1, 5, 14, 59, 59, tzinfo=UTC)
    after_midnight = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    assert new_cards_left(5, started, now=before_midnight, zone=tokyo) == 1
    assert new_cards_left(5, started, now=after_midnight, zone=tokyo) == 5
    assert new_cards_left(2, started, now=before_midnight, zone=tokyo) == 0
    # In UTC the same instants are all the same day, so nothing resets at 15:00.
    assert new_cards_left(5, started, now=after_midnight, zone=ZoneInfo("UTC")) == 1


def _state(card_id: str, due: datetime) -> MemoryState:
    return MemoryState(card_id, 2, None, 5.0, 5.0, due, due - timedelta(days=3), 3, 0)


def test_a_review_takes_the_most_overdue_first_then_new_cards() -> None:
    now = T0
    states = [
        _state("b", now - timedelta(hours=1)),
        _state("a", now - timedelta(days=2)),
        _state("c", now + timedelta(days=1)),  # not due yet
        _state("gone", now - timedelta(days=9)),  # no longer in the deck
    ]
    deck = ["a", "b", "c", "d", "e", "f"]
    assert plan_review(deck, states, now=now, new_allowed=2, limit=50) == ["a", "b", "d", "e"]
    assert plan_review(deck, states, now=now, new_allowed=2, limit=3) == ["a", "b", "d"]
    assert plan_review(deck, states, now=now, new_allowed=0, limit=50) == ["a", "b"]
    summary = summarise_due(deck, states, now=now, new_allowed=2)
    assert (summary.due, summary.new_available, summary.next_due) == (
        2,
        2,
        now + timedelta(days=1),
    )


def test_retention_bounds() -> None:
    assert check_retention(0.9) == 0.9
    with pytest.raises(ValueError, match="between 0.70 and 0.97"):
        check_retention(0.99)


# -- rules pinned by mutation testing -----------------------------------------------------


def test_retention_bounds_are_inclusive() -> None:
    assert check_retention(0.70) == 0.70
    assert check_retention(0.97) == 0.97
    for outside in (0.69, 0.98):
        with pytest.raises(ValueError):
            check_retention(outside)


def test_an_answer_is_slow_only_past_twenty_seconds() -> None:
    def grade(ms: int) -> Grade:
        return grade_for_answer(mode="typed", correct=True, self_grade=None, response_ms=ms)

    assert grade(20_000) is Grade.GOOD
    assert grade(20_001) is Grade.HARD


@pytest.mark.usefixtures("machine_clock_far_from_utc")
def test_the_machines_own_time_zone_does_not_move_the_new_card_allowance() -> None:
    started = [datetime(2026, 1, 5, 11, 0, tzinfo=UTC)]
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert new_cards_left(5, started, now=now, zone=ZoneInfo("UTC")) == 4


def test_a_card_due_this_very_moment_is_due() -> None:
    now = T0
    states = [_state("a", now), _state("b", now + timedelta(seconds=1))]
    assert plan_review(["a", "b"], states, now=now, new_allowed=0, limit=50) == ["a"]
    summary = summarise_due(["a", "b"], states, now=now, new_allowed=0)
    assert (summary.due, summary.next_due) == (1, now + timedelta(seconds=1))


def test_nothing_due_later_has_no_next_due_time() -> None:
    summary = summarise_due(["a", "b"], [_state("a", T0)], now=T0, new_allowed=5)
    assert (summary.due, summary.new_available, summary.next_due) == (1, 1, None)
    empty = summarise_due(["a", "b", "c"], [], now=T0, new_allowed=5)
    assert (empty.due, empty.new_available, empty.next_due) == (0, 3, None)


def test_new_cards_available_are_the_deck_cards_never_reviewed_up_to_the_allowance() -> None:
    states = [_state("a", T0 + timedelta(days=1))]
    assert summarise_due(["a", "b", "c"], states, now=T0, new_allowed=10).new_available == 2
    assert summarise_due(["a", "b", "c"], states, now=T0, new_allowed=1).new_available == 1


def test_a_review_belongs_to_the_card_reviewed() -> None:
    first = review(None, ReviewEvent("card-7", Grade.GOOD, T0, 3000))
    assert first.card_id == "card-7"
    again = review(first, ReviewEvent("card-7", Grade.AGAIN, first.due, 3000))
    assert again.card_id == "card-7"
