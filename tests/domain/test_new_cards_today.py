"""What is left today of new cards in a deck, and why nothing is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.review import (
    MemoryState,
    NewCardsToday,
    NoNewCards,
    new_cards_today,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def _state(card_id: str) -> MemoryState:
    return MemoryState(card_id, 2, None, 5.0, 5.0, NOW + timedelta(days=3), NOW, 1, 0)


def test_a_deck_whose_cards_are_all_started_has_none_left_though_the_allowance_has() -> None:
    started = [NOW - timedelta(hours=1)] * 5
    today = new_cards_today(
        20, started, list("abcde"), [_state(c) for c in "abcde"], now=NOW, zone=UTC_ZONE
    )
    assert today == NewCardsToday(per_day=20, allowance_left=15, unstarted=0)
    assert today.left == 0
    assert today.none_because is NoNewCards.ALL_STARTED


def test_the_allowance_is_shared_by_decks_and_counted_in_the_local_day() -> None:
    yesterday = NOW - timedelta(days=1)
    started = [NOW - timedelta(hours=2)] * 3 + [yesterday] * 10
    today = new_cards_today(4, started, list("abcdef"), [_state("a")], now=NOW, zone=UTC_ZONE)
    assert (today.allowance_left, today.unstarted, today.left) == (1, 5, 1)
    assert today.none_because is None
    spent = new_cards_today(3, started, list("abcdef"), [], now=NOW, zone=UTC_ZONE)
    assert (spent.left, spent.none_because) == (0, NoNewCards.ALLOWANCE_USED)


def test_turned_off_wins_over_every_other_reason() -> None:
    off = new_cards_today(0, [], ["a"], [_state("a")], now=NOW, zone=UTC_ZONE)
    assert off.none_because is NoNewCards.TURNED_OFF
    fresh = new_cards_today(0, [], ["a", "b"], [], now=NOW, zone=UTC_ZONE)
    assert (fresh.left, fresh.none_because) == (0, NoNewCards.TURNED_OFF)


def test_states_of_cards_no_longer_in_the_deck_do_not_count() -> None:
    today = new_cards_today(
        20, [], ["a", "b"], [_state("gone"), _state("a")], now=NOW, zone=UTC_ZONE
    )
    assert (today.unstarted, today.left) == (1, 1)
