"""Daily challenge rules: post times across zones and DST, reveals, failures, card choice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.daily import (
    MAX_FAILURES,
    RETRY_DELAY,
    REVEAL_MARGIN,
    CardRecord,
    DailyQuestion,
    DuePlan,
    FailurePlan,
    choose_card,
    cycle_remaining,
    first_post_at,
    plan_due,
    plan_failure,
    post_instant,
    reveal_time,
)
from bot.domain.decks import Card
from bot.domain.questions import MultipleChoiceQuestion

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cards(count: int, topic: str | None = None) -> list[Card]:
    return [Card(id=f"c{i:02d}", front=f"Q{i}", back=f"A{i}", topic=topic) for i in range(count)]


# -- post instants ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 28), utc(2026, 3, 28, 8, 0)),  # CET, UTC+1
        (date(2026, 3, 29), utc(2026, 3, 29, 7, 0)),  # spring forward: CEST, UTC+2
        (date(2026, 10, 24), utc(2026, 10, 24, 7, 0)),
        (date(2026, 10, 25), utc(2026, 10, 25, 8, 0)),  # fall back: CET again
    ],
)
def test_nine_in_berlin_stays_nine_local_across_both_changes(day: date, expected: datetime) -> None:
    posted = post_instant(day, time(9, 0), BERLIN)
    assert posted == expected
    assert posted.astimezone(BERLIN).time() == time(9, 0)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc", "expected_local"),
    [
        # 02:30 does not exist: the first valid minute after it is 03:00 local.
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0), time(3, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0), time(3, 0)),
        # Happens twice: the first occurrence (still summer time) is the post.
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30), time(2, 30)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30), time(1, 30)),
    ],
)
def test_skipped_and_repeated_times(
    zone: ZoneInfo, day: date, at: time, expected_utc: datetime, expected_local: time
) -> None:
    posted = post_instant(day, at, zone)
    assert posted == expected_utc
    assert posted.astimezone(zone).time() == expected_local
    assert posted.astimezone(zone).date() == day


def test_a_repeated_time_is_due_once() -> None:
    at = time(2, 30)
    first = post_instant(date(2026, 10, 25), at, BERLIN)
    # Posted at the first 02:30; the second 02:30 an hour later is not a new post.
    after = first_post_at(first + timedelta(minutes=1), at, BERLIN, last_day=date(2026, 10, 25))
    assert after == utc(2026, 10, 26, 1, 30)
    # Even without knowing that day was posted, only the first occurrence counts.
    assert first_post_at(first + timedelta(minutes=1), at, BERLIN) == after


def test_first_post_includes_now_and_skips_days_that_have_a_post() -> None:
    at = time(9, 0)
    now = utc(2026, 3, 2, 8, 0)  # 09:00 in Berlin
    assert first_post_at(now, at, BERLIN) == now
    assert first_post_at(now + timedelta(seconds=1), at, BERLIN) == utc(2026, 3, 3, 8, 0)
    assert first_post_at(now, at, BERLIN, last_day=date(2026, 3, 2)) == utc(2026, 3, 3, 8, 0)
    assert first_post_at(now, at, BERLIN, last_day=date(2026, 3, 3)) == utc(2026, 3, 4, 8, 0)
    # An older last day does not matter.
    assert first_post_at(now, at, BERLIN, last_day=date(2026, 3, 1)) == now


# -- when a due schedule posts ------------------------------------------------------------

AT = time(9, 0)
SCHEDULED = utc(2026, 3, 2, 8, 0)  # Monday 09:00 Berlin


def test_not_yet_due() -> None:
    plan = plan_due(SCHEDULED, SCHEDULED - timedelta(seconds=1), AT, BERLIN)
    assert plan.day is None and plan.next_post_at == SCHEDULED


def test_due_on_time_and_late_the_same_day() -> None:
    assert plan_due(SCHEDULED, SCHEDULED, AT, BERLIN).day == date(2026, 3, 2)
    # Down from 08:59 to 23:30 local: still Monday, so Monday's challenge goes out late.
    late = utc(2026, 3, 2, 22, 30)
    assert plan_due(SCHEDULED, late, AT, BERLIN).day == date(2026, 3, 2)


def test_never_posts_yesterdays_challenge_today() -> None:
    # Back on Tuesday 07:00 local, before Tuesday's time: nothing now, Tuesday 09:00 next.
    plan = plan_due(SCHEDULED, utc(2026, 3, 3, 6, 0), AT, BERLIN)
    assert plan.day is None
    assert plan.next_post_at == utc(2026, 3, 3, 8, 0)
    # Back on Tuesday 10:00 local: Tuesday's challenge, late; Monday's is gone for good.
    plan = plan_due(SCHEDULED, utc(2026, 3, 3, 9, 0), AT, BERLIN)
    assert plan.day == date(2026, 3, 3)
    # A week later.
    plan = plan_due(SCHEDULED, utc(2026, 3, 9, 12, 0), AT, BERLIN)
    assert plan.day == date(2026, 3, 9)


def test_local_midnight_decides_the_day_not_utc() -> None:
    # 09:00 in Tokyo is 00:00 UTC; at 23:30 UTC it is already the next day in Tokyo.
    scheduled = utc(2026, 3, 2, 0, 0)
    plan = plan_due(scheduled, utc(2026, 3, 2, 23, 30), AT, TOKYO)
    assert plan.day is None and plan.next_post_at == utc(2026, 3, 3, 0, 0)


# -- reveals ------------------------------------------------------------------------------


def test_reveal_after_hours_or_just_before_the_next_post() -> None:
    posted = utc(2026, 3, 2, 8, 0)
    next_post = utc(2026, 3, 3, 8, 0)
    assert reveal_time(posted, 6, next_post) == utc(2026, 3, 2, 14, 0)
    assert reveal_time(posted, None, next_post) == next_post - REVEAL_MARGIN
    # A late post never stays open into the next day's post.
    late = utc(2026, 3, 2, 22, 0)
    assert reveal_time(late, 23, next_post) == next_post - REVEAL_MARGIN
    # Nothing scheduled next (disabled meanwhile): a day later at the latest.
    assert reveal_time(posted, None, None) == posted + timedelta(days=1)
    assert reveal_time(posted, None, posted) == posted


# -- failures -----------------------------------------------------------------------------


def test_failures_retry_the_same_day_then_pause() -> None:
    now = utc(2026, 3, 2, 8, 0)
    first = plan_failure(0, now, date(2026, 3, 2), AT, BERLIN)
    assert (first.failures, first.paused, first.next_post_at) == (1, False, now + RETRY_DELAY)
    second = plan_failure(1, now + RETRY_DELAY, date(2026, 3, 2), AT, BERLIN)
    assert (second.failures, second.paused) == (2, False)
    third = plan_failure(MAX_FAILURES - 1, now, date(2026, 3, 2), AT, BERLIN)
    assert (third.failures, third.paused, third.next_post_at) == (MAX_FAILURES, True, None)


def test_a_retry_past_local_midnight_waits_for_the_next_post() -> None:
    now = utc(2026, 3, 2, 22, 50)  # 23:50 in Berlin
    plan = plan_failure(0, now, date(2026, 3, 2), AT, BERLIN)
    assert plan.next_post_at == utc(2026, 3, 3, 8, 0)


# -- cards --------------------------------------------------------------------------------


def test_cycle_remaining_restarts_once_the_pool_is_used_up() -> None:
    pool = cards(3)
    assert [c.id for c in cycle_remaining(pool, [])] == ["c00", "c01", "c02"]
    assert [c.id for c in cycle_remaining(pool, ["c01"])] == ["c00", "c02"]
    assert [c.id for c in cycle_remaining(pool, ["c01", "c00", "c02"])] == ["c00", "c01", "c02"]
    history = ["c01", "c00", "c02", "c02", "c00"]
    assert [c.id for c in cycle_remaining(pool, history)] == ["c01"]
    # Cards from elsewhere (another topic, a removed card) do not count.
    assert [c.id for c in cycle_remaining(pool, ["zz", "c00", "yy"])] == ["c01", "c02"]


def test_a_card_is_deterministic_per_server_and_date() -> None:
    pool = cards(20)
    first = choose_card(pool, [], {}, seed="1:2026-03-02")
    assert choose_card(pool, [], {}, seed="1:2026-03-02") == first
    picks = {choose_card(pool, [], {}, seed=f"{guild}:2026-03-02").id for guild in range(30)}
    assert len(picks) > 5  # servers do not all get the same card


def test_no_card_repeats_until_the_pool_is_used_up() -> None:
    pool = cards(12)
    history: list[str] = []
    for day in range(36):
        card = choose_card(pool, history, {}, seed=f"7:{date(2026, 1, 1) + timedelta(day)}")
        history.append(card.id)
    for cycle in range(3):
        assert sorted(history[cycle * 12 : (cycle + 1) * 12]) == [c.id for c in pool]


def test_the_hardest_card_is_preferred_mixed_with_unseen_ones() -> None:
    pool = cards(10)
    records = {
        "c03": CardRecord(answered=10, wrong=8),  # the server's nemesis
        "c04": CardRecord(answered=10, wrong=2),
        "c05": CardRecord(answered=1, wrong=1),
    }
    picks = Counter(choose_card(pool, [], records, seed=f"g:{day}").id for day in range(400))
    seen_picks = picks["c03"] + picks["c04"] + picks["c05"]
    # About half the days take the hardest seen card, never an easier seen one...
    assert picks["c03"] == seen_picks
    assert 150 < picks["c03"] < 250
    # ...and the other half spread over the cards never answered here.
    unseen = {card_id: n for card_id, n in picks.items() if card_id not in records}
    assert len(unseen) == 7 and sum(unseen.values()) == 400 - picks["c03"]


def test_used_up_kinds_fall_back_to_the_other() -> None:
    pool = cards(3)
    records = {"c00": CardRecord(4, 1), "c01": CardRecord(4, 3)}
    # Only seen cards left: the hardest of them.
    only_seen = [choose_card(pool, ["c02"], records, seed=f"s{i}").id for i in range(20)]
    assert set(only_seen) == {"c01"}
    # Only unseen left.
    only_unseen = {choose_card(pool, ["c00", "c01"], records, seed=f"u{i}").id for i in range(20)}
    assert only_unseen == {"c02"}
    # A record of no answers is a card never answered: it is not "the hardest seen".
    unanswered = {**records, "c02": CardRecord(0, 0)}
    never = {choose_card(pool, ["c00", "c01"], unanswered, seed=f"u{i}").id for i in range(20)}
    assert never == {"c02"}
    mixed = Counter(choose_card(pool, [], unanswered, seed=f"m{i}").id for i in range(200))
    assert set(mixed) == {"c01", "c02"} and mixed["c02"] > 50
    with pytest.raises(ValueError):
        choose_card([], [], {}, seed="x")


def test_choosing_from_a_big_deck_compares_no_card_with_every_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The card of the day is chosen in the event loop as the post goes out: a choice
    # that looked each card up in a list of the answered ones took seconds on a deck of
    # thousands of cards that a server had studied for a while.
    pool = cards(3_000)
    records = {card.id: CardRecord(answered=2, wrong=n % 2) for n, card in enumerate(pool[::2])}
    compared = 0
    plain_eq = Card.__eq__

    def counting_eq(self: Card, other: object) -> bool:
        nonlocal compared
        compared += 1
        return plain_eq(self, other)

    monkeypatch.setattr(Card, "__eq__", counting_eq)
    picked = {choose_card(pool, [], records, seed=f"big:{day}").id for day in range(4)}
    assert compared <= 4 * len(pool)
    assert picked  # and the choice still follows the rule:
    assert all(card_id not in records or records[card_id].wrong == 1 for card_id in picked)


# -- properties ---------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shifts
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Kolkata",
]


@settings(max_examples=60, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1)),
    down_hours=st.lists(st.integers(0, 60), min_size=8, max_size=8),
)
def test_a_schedule_posts_once_per_local_day_at_its_time(
    zone_name: str, hour: int, minute: int, start: datetime, down_hours: list[int]
) -> None:
    zone = ZoneInfo(zone_name)
    at = time(hour, minute)
    now = start.replace(tzinfo=UTC)
    scheduled = first_post_at(now, at, zone)
    posted_days: list[date] = []
    for down in down_hours:
        # The bot wakes at the due time, or later after some downtime.
        now = max(now, scheduled) + timedelta(hours=down)
        plan = plan_due(scheduled, now, at, zone)
        if plan.day is None:
            assert plan.next_post_at > now
            scheduled = plan.next_post_at
            continue
        assert plan.day == now.astimezone(zone).date()  # never another day's challenge
        intended = post_instant(plan.day, at, zone)
        assert intended <= now
        local = intended.astimezone(zone)
        assert local.date() == plan.day
        # On time, or (skipped by a clock change) at the first valid minute after it.
        wall = datetime.combine(plan.day, at)
        just_before = (intended - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
        assert local.time() == at or (local.time() > at and just_before < wall)
        posted_days.append(plan.day)
        scheduled = first_post_at(now, at, zone, last_day=plan.day)
        assert scheduled.astimezone(zone).date() > plan.day
    assert posted_days == sorted(set(posted_days))


# -- rules pinned by mutation testing -----------------------------------------------------


def test_a_same_day_retry_is_due_at_its_retry_time_not_the_usual_post_time() -> None:
    # Berlin's 09:00 post failed; the retry was set for 09:15 and the bot runs at 09:20.
    retry_at = utc(2026, 3, 2, 8, 15)
    plan = plan_due(retry_at, retry_at + timedelta(minutes=5), AT, BERLIN)
    assert plan == DuePlan(date(2026, 3, 2), retry_at)


@pytest.mark.usefixtures("machine_clock_far_from_utc")
def test_the_machines_own_time_zone_changes_no_post_plan() -> None:
    retry_at = utc(2026, 3, 2, 8, 15)
    plan = plan_due(retry_at, retry_at + timedelta(minutes=5), AT, BERLIN)
    assert plan == DuePlan(date(2026, 3, 2), retry_at)
    # 20:00 in New York is already the next date in UTC: that evening still has its post.
    at = time(20, 0)
    now = utc(2026, 3, 2, 23, 0)  # 18:00 in New York
    assert first_post_at(now, at, NEW_YORK, last_day=date(2026, 3, 2)) == utc(2026, 3, 4, 1, 0)


def test_a_late_start_on_a_later_day_is_due_at_that_days_post_time() -> None:
    plan = plan_due(SCHEDULED, utc(2026, 3, 3, 9, 0), AT, BERLIN)
    assert plan == DuePlan(date(2026, 3, 3), utc(2026, 3, 3, 8, 0))


def test_a_failed_post_whose_retry_falls_on_the_next_day_is_not_repeated_today() -> None:
    # The 23:50 post fails at 23:50; 00:05 is the next local day, so that day's own post
    # at 23:50 is next, never 23:50 of the day that already had its try.
    at = time(23, 50)
    now = utc(2026, 3, 2, 22, 50)  # 23:50 in Berlin
    plan = plan_failure(0, now, date(2026, 3, 2), at, BERLIN)
    assert plan == FailurePlan(1, False, utc(2026, 3, 3, 22, 50))


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_a_daily_question_takes_a_correct_index_of_0_to_3(index: int) -> None:
    question = DailyQuestion("c1", "Q", ("a", "b", "c", "d"), index)
    assert question.correct_option == "abcd"[index]
    assert question.correct_letter == "ABCD"[index]


@pytest.mark.parametrize("index", [-1, 4, 5])
def test_a_daily_question_refuses_a_correct_index_outside_0_to_3(index: int) -> None:
    with pytest.raises(ValueError, match=f"^correct_index must be 0-3, got {index}$"):
        DailyQuestion("c1", "Q", ("a", "b", "c", "d"), index)


def test_a_daily_question_freezes_the_whole_multiple_choice_question() -> None:
    question = MultipleChoiceQuestion("c7", "What is S3?", ("w", "x", "y", "z"), 2)
    assert DailyQuestion.of(question, "Object storage.") == DailyQuestion(
        "c7", "What is S3?", ("w", "x", "y", "z"), 2, "Object storage."
    )
    assert DailyQuestion.of(question, None).explanation is None


def test_an_empty_card_pool_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError) as excinfo:
        choose_card([], [], {}, seed="x")
    assert str(excinfo.value) == "the card pool is empty"


def test_the_hardest_card_is_the_one_most_often_wrong_smoothed_for_few_answers() -> None:
    pool = cards(3)
    records = {
        "c00": CardRecord(answered=10, wrong=9),  # wrong 9 times in 10: the hardest
        "c01": CardRecord(answered=1, wrong=1),  # one wrong answer is weak evidence
        "c02": CardRecord(answered=60, wrong=12),  # answered and got wrong most often
    }
    # One wrong out of one does not outrank 9 wrong out of 10 ...
    assert records["c01"].difficulty < records["c00"].difficulty
    # ... and being answered (or got wrong) more often is no difficulty in itself.
    assert records["c02"].difficulty < records["c01"].difficulty
    picks = {choose_card(pool, [], records, seed=f"h{day}").id for day in range(40)}
    assert picks == {"c00"}  # no unseen cards left, so every day takes the hardest
