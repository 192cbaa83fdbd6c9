"""The /stats picture: its figures gathered and drawn in a worker thread.

`bot.charts` (and with it Pillow) is imported on the first drawing, not at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.decks import Deck
from bot.domain.heatmap import results_by_day
from bot.domain.readiness import readiness
from bot.domain.review import MemoryState
from bot.exts.stats._summary import TopicResult

if TYPE_CHECKING:
    from bot.charts import TopicBar

PICTURE_NAME = "stats.png"


@dataclass(frozen=True)
class PictureInput:
    """Everything the picture needs, read from the database on the event loop."""

    today: date
    now: datetime
    zone: ZoneInfo
    quarters: Sequence[tuple[datetime, int, int, int]]  # (start, answers, judged, right)
    deck: Deck | None
    states: Sequence[MemoryState]
    topics: Sequence[TopicResult]


@dataclass(frozen=True)
class Picture:
    png: bytes
    alt_text: str


def topic_bars(given: PictureInput) -> list[TopicBar]:
    """The chosen deck's topics for the picture, weakest first: the lowest predicted
    recall, then the lowest accuracy (a topic never judged before any), then by name."""
    from bot import charts

    if given.deck is None:
        return []
    accuracy = {t.topic: float(t.accuracy) for t in given.topics}
    found = readiness(given.deck, given.states, now=given.now)
    bars = [charts.TopicBar(t.topic, accuracy.get(t.topic), t.recall) for t in found.topics]
    bars.sort(key=lambda b: (b.recall, -1 if b.accuracy is None else b.accuracy, b.topic))
    return bars


def draw_stats(given: PictureInput) -> Picture:
    """The picture and its alt text. CPU work: run it in a worker thread."""
    from bot import charts

    days = results_by_day(given.quarters, given.zone, given.today)
    picture = charts.StatsPicture(
        today=given.today,
        days=days,
        topics=topic_bars(given),
        deck_title=None if given.deck is None else given.deck.title,
        zone=given.zone.key,
    )
    return Picture(charts.stats_png(picture), charts.stats_alt_text(picture))
