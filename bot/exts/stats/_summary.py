"""Pure summaries behind /stats: topic accuracy and daily activity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.domain.decks import Deck
from bot.domain.leaderboard import accuracy
from bot.domain.timezones import local_date
from bot.storage.stats import CardResult

ACTIVITY_DAYS = 30
NO_TOPIC = "(no topic)"
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class TopicResult:
    topic: str
    graded: int
    correct: int

    @property
    def accuracy(self) -> Fraction:
        return accuracy(self.correct, self.graded)


def topic_results(deck: Deck, cards: Iterable[CardResult]) -> tuple[list[TopicResult], list[str]]:
    """Judged answers per topic, weakest first, and the topics never answered.

    Weakest means the lowest share right; between equal shares, the topic with more
    answers first (the weakness is better established), then by name. Answers to
    cards no longer in the deck are left out.
    """
    graded: dict[str, int] = {}
    correct: dict[str, int] = {}
    for result in cards:
        card = deck.card(result.card_id)
        if card is None:
            continue
        topic = card.topic or NO_TOPIC
        graded[topic] = graded.get(topic, 0) + result.graded
        correct[topic] = correct.get(topic, 0) + result.correct
    results = [TopicResult(t, graded[t], correct[t]) for t in graded if graded[t]]
    results.sort(key=lambda r: (r.accuracy, -r.graded, r.topic))
    topics = list(deck.topics) + ([NO_TOPIC] if any(c.topic is None for c in deck.cards) else [])
    untouched = [t for t in topics if t not in graded]
    return results, untouched


def activity_days(
    quarters: Iterable[tuple[datetime, int]], zone: ZoneInfo, today: date
) -> list[tuple[date, int]]:
    """Answers per local day for the last ``ACTIVITY_DAYS`` days, oldest first."""
    first = today - timedelta(days=ACTIVITY_DAYS - 1)
    counts = {first + timedelta(days=i): 0 for i in range(ACTIVITY_DAYS)}
    for instant, count in quarters:
        day = local_date(instant, zone)
        if day in counts:
            counts[day] += count
    return sorted(counts.items())


def sparkline(counts: list[int]) -> str:
    """One character per day: a dot for none, else a bar scaled to the busiest day."""
    peak = max(counts, default=0)
    if peak == 0:
        return "·" * len(counts)
    return "".join(
        "·" if n == 0 else _BARS[min(len(_BARS) - 1, (n * len(_BARS) - 1) // peak)] for n in counts
    )
