"""The /stats picture lists the chosen deck's topics weakest first, on the figures drawn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import charts
from bot.domain.decks import Card, Deck
from bot.domain.review import MemoryState
from bot.exts.stats._picture import PictureInput, draw_stats, topic_bars
from bot.exts.stats._summary import TopicResult

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

# In the deck's order A to E; every card's topic is its id's first letter.
DECK = Deck(
    "d",
    "Deck",
    "",
    None,
    ("A", "B", "C", "D", "E"),
    tuple(
        Card(card_id, f"front {card_id}", "x", topic=card_id[0].upper())
        for card_id in ("a1", "a2", "b1", "b2", "c1", "d1", "d2", "e1")
    ),
)


def state(card_id: str, *, days_ago: float) -> MemoryState:
    """Recalled with 1.0 just after a review, 0.9 ten days (its stability) after it."""
    reviewed = NOW - timedelta(days=days_ago)
    return MemoryState(
        card_id=card_id,
        state=2,
        step=None,
        stability=10.0,
        difficulty=5.0,
        due=reviewed + timedelta(days=10),
        last_review=reviewed,
        reviews=3,
        lapses=0,
    )


def given(topics: list[TopicResult]) -> PictureInput:
    return PictureInput(
        today=NOW.date(),
        now=NOW,
        zone=ZoneInfo("UTC"),
        quarters=[(NOW - timedelta(hours=1), 30, 26, 15)],
        deck=DECK,
        # A: 0.9; B and D: one card just reviewed, one never seen, 0.5; C and E: 0.
        states=[
            state("a1", days_ago=10),
            state("a2", days_ago=10),
            state("b1", days_ago=0),
            state("d1", days_ago=0),
        ],
        topics=topics,
    )


def test_the_pictures_topics_are_weakest_first() -> None:
    topics = [
        TopicResult("A", 4, 4),
        TopicResult("B", 10, 8),
        TopicResult("C", 2, 1),
        TopicResult("D", 10, 2),
    ]
    bars = topic_bars(given(topics))
    # The lowest recall first; between equal recall the lower accuracy, a topic never
    # judged (E) before any.
    assert [(b.topic, b.accuracy) for b in bars] == [
        ("E", None),
        ("C", 0.5),
        ("D", 0.2),
        ("B", 0.8),
        ("A", 1.0),
    ]
    assert [b.recall for b in bars] == pytest.approx([0, 0, 0.5, 0.5, 0.9])
    # Equal in both, by name.
    same = [TopicResult(t, 2, 1) for t in ("D", "B")]
    assert [b.topic for b in topic_bars(given(same))][2:4] == ["B", "D"]


def test_the_alt_text_names_the_weakest_topic_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[charts.StatsPicture] = []
    monkeypatch.setattr(charts, "stats_png", lambda picture: drawn.append(picture) or b"")
    picture = draw_stats(given([TopicResult("C", 2, 1)]))
    assert [b.topic for b in drawn[0].topics] == ["E", "C", "B", "D", "A"]
    assert picture.alt_text.endswith(", weakest topic E at 0% predicted recall.")
