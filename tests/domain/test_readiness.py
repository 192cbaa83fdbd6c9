"""Exam readiness and the study plan, from hand-built memory states.

FSRS defines stability as the days after which recall has fallen to 90%, so a card
reviewed exactly ``stability`` days ago is recalled with probability 0.9, one reviewed
just now with 1.0, and one never studied counts as 0.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.decks import Card, Deck, parse_deck
from bot.domain.readiness import (
    NO_TOPIC,
    ExamDateError,
    parse_exam_date,
    readiness,
    study_plan,
    topic_weights,
)
from bot.domain.review import MemoryState

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def deck(weights: tuple[tuple[str, float], ...] = (), *, loose: bool = False) -> Deck:
    cards = [
        Card("a1", "A one", "x", topic="A"),
        Card("a2", "A two", "x", topic="A"),
        Card("b1", "B one", "x", topic="B"),
        Card("b2", "B two", "x", topic="B"),
        Card("b3", "B three", "x", topic="B"),
    ]
    if loose:
        cards.append(Card("n1", "No topic", "x"))
    return Deck("d", "Deck", "", None, ("A", "B"), tuple(cards), weights=weights)


def state(card_id: str, *, days_ago: float, stability: float = 10.0) -> MemoryState:
    reviewed = NOW - timedelta(days=days_ago)
    return MemoryState(
        card_id=card_id,
        state=2,
        step=None,
        stability=stability,
        difficulty=5.0,
        due=reviewed + timedelta(days=stability),
        last_review=reviewed,
        reviews=3,
        lapses=0,
    )


# a1 just reviewed (1.0), a2 never seen (0); every B card reviewed `stability` days ago (0.9).
STATES = [
    state("a1", days_ago=0),
    state("b1", days_ago=10),
    state("b2", days_ago=4, stability=4),
    state("b3", days_ago=20, stability=20),
]


def test_recall_per_topic_is_the_mean_retrievability_with_unseen_cards_as_zero() -> None:
    found = readiness(deck(), STATES, now=NOW)
    by_topic = {t.topic: t for t in found.topics}
    assert [t.topic for t in found.topics] == ["A", "B"]
    assert by_topic["A"].recall == pytest.approx(0.5)
    assert (by_topic["A"].seen, by_topic["A"].cards) == (1, 2)
    assert by_topic["A"].seen_share == pytest.approx(0.5)
    assert by_topic["B"].recall == pytest.approx(0.9)
    assert (by_topic["B"].seen, by_topic["B"].cards) == (3, 3)


def test_without_weights_topics_weigh_their_card_counts() -> None:
    found = readiness(deck(), STATES, now=NOW)
    assert not found.weighted_by_deck
    assert [t.weight for t in found.topics] == [2.0, 3.0]
    assert found.overall == pytest.approx((0.5 * 2 + 0.9 * 3) / 5)


def test_the_decks_weights_decide_the_overall_figure() -> None:
    found = readiness(deck((("A", 3.0), ("B", 1.0))), STATES, now=NOW)
    assert found.weighted_by_deck
    assert found.overall == pytest.approx((0.5 * 3 + 0.9 * 1) / 4)


def test_a_topic_left_out_of_the_weights_counts_for_nothing() -> None:
    found = readiness(deck((("B", 1.0),)), STATES, now=NOW)
    assert found.overall == pytest.approx(0.9)
    assert [t.topic for t in found.weakest()] == ["B"]  # A is not on the exam


def test_nothing_studied_is_zero_everywhere() -> None:
    found = readiness(deck(), [], now=NOW)
    assert found.overall == 0
    assert all(t.recall == 0 and t.seen == 0 for t in found.topics)


def test_states_of_cards_no_longer_in_the_deck_are_left_out() -> None:
    found = readiness(deck(), [*STATES, state("gone", days_ago=0)], now=NOW)
    assert sum(t.seen for t in found.topics) == 4


def test_cards_without_a_topic_form_their_own_topic_weighted_by_count() -> None:
    found = readiness(deck(loose=True), [*STATES, state("n1", days_ago=0)], now=NOW)
    assert found.topics[-1].topic == NO_TOPIC
    assert found.topics[-1].recall == pytest.approx(1.0)
    assert topic_weights(deck(loose=True)) == {"A": 2.0, "B": 3.0, NO_TOPIC: 1.0}
    assert topic_weights(deck((("A", 1.0),), loose=True))[NO_TOPIC] == 0.0


def test_weakest_first_with_the_heavier_topic_before_an_equal_one() -> None:
    cards = tuple(Card(f"c{t}", f"front {t}", "x", topic=t) for t in "PQRS")
    weighted = Deck(
        "w",
        "W",
        "",
        None,
        ("P", "Q", "R", "S"),
        cards,
        weights=(("P", 1.0), ("Q", 5.0), ("R", 2.0), ("S", 1.0)),
    )
    states = [state("cP", days_ago=0), state("cS", days_ago=10)]
    # Q and R unseen (0): the heavier Q first; then S (0.9); P (1.0) is strongest.
    assert [t.topic for t in readiness(weighted, states, now=NOW).weakest()] == ["Q", "R", "S"]


# -- the plan ----------------------------------------------------------------------------


def test_new_cards_a_day_spread_the_unseen_cards_over_the_days_left() -> None:
    plan = study_plan(
        ["a1", "a2", "b1", "b2", "b3"],
        STATES,
        exam=date(2026, 12, 10),
        now=NOW,
        zone=UTC_ZONE,
        desired_retention=0.9,
    )
    assert plan.days_left == 3
    assert plan.unseen == 1
    assert plan.new_per_day == 1
    plan = study_plan(
        [f"c{i}" for i in range(10)],
        [],
        exam=date(2026, 12, 11),
        now=NOW,
        zone=UTC_ZONE,
        desired_retention=0.9,
    )
    assert (plan.days_left, plan.unseen, plan.new_per_day) == (4, 10, 3)
    assert plan.reviews >= 10  # each new card is seen at least once
    assert plan.reviews_per_day == pytest.approx(plan.reviews / 4)


def test_a_card_due_after_the_exam_needs_no_review_and_one_due_before_does() -> None:
    far = state("a1", days_ago=0, stability=100)  # due in 100 days
    plan = study_plan(
        ["a1"], [far], exam=date(2026, 12, 20), now=NOW, zone=UTC_ZONE, desired_retention=0.9
    )
    assert (plan.reviews, plan.unseen, plan.new_per_day) == (0, 0, 0)
    soon = state("a1", days_ago=9, stability=10)  # due tomorrow
    plan = study_plan(
        ["a1"], [soon], exam=date(2026, 12, 20), now=NOW, zone=UTC_ZONE, desired_retention=0.9
    )
    assert plan.reviews >= 1


def test_a_higher_desired_retention_takes_more_reviews() -> None:
    ids = [f"c{i}" for i in range(20)]
    low, high = (
        study_plan(ids, [], exam=date(2027, 6, 1), now=NOW, zone=UTC_ZONE, desired_retention=r)
        for r in (0.8, 0.95)
    )
    assert high.reviews > low.reviews


def test_an_exam_today_has_no_days_left() -> None:
    plan = study_plan(
        ["a1"], [], exam=date(2026, 12, 7), now=NOW, zone=UTC_ZONE, desired_retention=0.9
    )
    assert (plan.days_left, plan.reviews_per_day) == (0, 0.0)


def test_days_left_count_in_the_members_zone() -> None:
    # 12:00 UTC on 7 December is already 8 December in Auckland.
    plan = study_plan(
        ["a1"],
        [],
        exam=date(2026, 12, 10),
        now=NOW,
        zone=ZoneInfo("Pacific/Auckland"),
        desired_retention=0.9,
    )
    assert plan.days_left == 2


# -- exam dates ------------------------------------------------------------------------


def test_an_exam_date_is_today_or_later() -> None:
    today = date(2026, 12, 7)
    assert parse_exam_date(" 2027-03-15 ", today=today) == date(2027, 3, 15)
    assert parse_exam_date("2026-12-07", today=today) == today


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-12-06", "in the past"),
        ("15/03/2027", "YYYY-MM-DD"),
        ("2027-3-15", "YYYY-MM-DD"),
        ("2027-02-30", "not a date on the calendar"),
        ("2031-01-01", "within three years"),
    ],
)
def test_bad_exam_dates_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(ExamDateError) as error:
        parse_exam_date(text, today=date(2026, 12, 7))
    assert says in error.value.message


# -- deck weights ----------------------------------------------------------------------

WEIGHTED = """\
id: w
title: W
description: d
topics: [Alpha, Beta]
weights:
  {weights}
cards:
  - front: one
    back: x
    topic: Alpha
  - front: two
    back: y
    topic: Beta
"""


def test_weights_are_read_and_written_back() -> None:
    text = WEIGHTED.format(weights="{Alpha: 28, Beta: 0.5}")
    parsed = parse_deck(text, filename="w.yaml")
    assert parsed.weights == (("Alpha", 28.0), ("Beta", 0.5))
    from bot.domain.decks import deck_to_yaml

    assert parse_deck(deck_to_yaml(parsed), filename="w.yaml").weights == parsed.weights
    assert "weights" not in deck_to_yaml(
        parse_deck(text.replace("weights:\n  {Alpha: 28, Beta: 0.5}\n", ""), filename="w.yaml")
    )


@pytest.mark.parametrize(
    ("weights", "problem"),
    [
        ("{Alpha: 1, Gamma: 2}", "field 'weights': 'Gamma' is not one of the deck's topics"),
        ("{Alpah: 1}", "'Alpah' is not one of the deck's topics (did you mean 'Alpha'?)"),
        ("{Alpha: 0}", "field 'weights': 'Alpha': must be a positive number, got 0"),
        ("{Alpha: -3}", "'Alpha': must be a positive number, got -3"),
        ("{Alpha: many}", "'Alpha': must be a positive number, got a string"),
        ("{Alpha: .nan}", "'Alpha': must be a positive number, got nan"),
        ("{Alpha: true}", "'Alpha': must be a positive number, got a boolean"),
        ("[Alpha, Beta]", "field 'weights': must be a mapping of topic to weight, got a list"),
    ],
)
def test_bad_weights_are_reported(weights: str, problem: str) -> None:
    from bot.domain.decks import DeckError

    with pytest.raises(DeckError) as error:
        parse_deck(WEIGHTED.format(weights=weights), filename="w.yaml")
    assert problem in str(error.value)
