"""The pictures of /stats and /readiness, drawn with Pillow into PNG bytes.

Drawing is plain CPU work: callers run these functions in a worker thread
(`asyncio.to_thread`), never on the event loop. Pillow is imported on the first
drawing, not when the bot starts, so start-up does not pay for it.

The pictures have an opaque background of their own, so they read the same on
Discord's dark and light themes; colours are chosen to stay apart for the most
common colour-vision deficiencies (blue against orange, a green ramp by lightness).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.domain.heatmap import (
    HEATMAP_WEEKS,
    DayResults,
    calendar_cells,
    first_day,
    intensity,
    recent_days,
)
from bot.domain.words import plural

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

BACKGROUND = (30, 31, 34)
BORDER = (78, 80, 88)
TEXT = (235, 236, 240)
MUTED = (170, 174, 182)
GRID = (62, 64, 71)
EMPTY_CELL = (52, 54, 60)
# Lighter is busier; each step is told apart by lightness, not only by hue.
CELL_LEVELS = ((14, 68, 41), (0, 109, 50), (38, 166, 65), (57, 211, 83))
ANSWERS_BAR = (76, 132, 220)
ACCURACY = (250, 166, 26)
RECALL = (76, 132, 220)

WIDTH = 800
MARGIN = 24
TITLE_Y = 16
CELL = 11
GAP = 2
PITCH = CELL + GAP
HEATMAP_X = MARGIN + 34  # room for the weekday names
HEATMAP_Y = 62
RECENT_Y = HEATMAP_Y + 7 * PITCH + 40
RECENT_HEIGHT = 120
TOPICS_Y = RECENT_Y + RECENT_HEIGHT + 84
TOPIC_ROW = 26
TOPICS_SHOWN = 12
TOPIC_LABEL = 250  # pixels for a topic's name
READINESS_WIDTH = 640


@dataclass(frozen=True)
class TopicBar:
    """One topic in a picture: judged accuracy (None without judged answers) and the
    predicted recall now, both shares from 0 to 1."""

    topic: str
    accuracy: float | None
    recall: float


@dataclass(frozen=True)
class StatsPicture:
    """What the /stats picture shows."""

    today: date  # in the member's time zone
    days: Mapping[date, DayResults]
    topics: Sequence[TopicBar]  # weakest first
    deck_title: str | None
    zone: str


def stats_size(picture: StatsPicture) -> tuple[int, int]:
    rows = min(len(picture.topics), TOPICS_SHOWN)
    height = TOPICS_Y + (rows * TOPIC_ROW + 30 if picture.deck_title is not None else 0)
    return WIDTH, height + MARGIN


def cell_box(today: date, day: date) -> tuple[int, int, int, int]:
    """The pixels (left, top, right, bottom; inclusive) of ``day``'s calendar cell."""
    offset = (day - first_day(today)).days
    x = HEATMAP_X + (offset // 7) * PITCH
    y = HEATMAP_Y + (offset % 7) * PITCH
    return x, y, x + CELL - 1, y + CELL - 1


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _clip(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # flat colours compress well anyway
    return out.getvalue()


def stats_png(picture: StatsPicture) -> bytes:
    """The /stats picture: a year's calendar, the last 30 days, the deck's topics."""
    from PIL import Image, ImageDraw

    width, height = stats_size(picture)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline=BORDER)
    title, small = _font(16), _font(12)
    _draw_calendar(draw, picture, title, small)
    _draw_recent(draw, picture, title, small)
    if picture.deck_title is not None:
        _draw_topics(draw, picture, title, small)
    return _png(image)


def _draw_calendar(
    draw: ImageDraw.ImageDraw, picture: StatsPicture, title: Any, small: Any
) -> None:
    today = picture.today
    days = picture.days
    total = sum(d.answers for d in days.values())
    heading = (
        f"Past year: {plural(total, 'answer')} on {plural(len(days), 'day')}"
        f" (days in {picture.zone})"
    )
    draw.text((MARGIN, TITLE_Y), _clip(draw, heading, title, WIDTH - 2 * MARGIN), TEXT, title)
    busiest = max((d.answers for d in days.values()), default=0)
    for name, row in (("Mon", 0), ("Wed", 2), ("Fri", 4)):
        draw.text((MARGIN, HEATMAP_Y + row * PITCH - 2), name, MUTED, small)
    last_month = None
    for column, row, day in calendar_cells(today):
        box = cell_box(today, day)
        level = intensity(days[day].answers if day in days else 0, busiest)
        colour = CELL_LEVELS[level - 1] if level else EMPTY_CELL
        draw.rectangle(box, fill=colour)
        if row == 0 and day.month != last_month:
            last_month = day.month
            if column < HEATMAP_WEEKS - 2:
                draw.text((box[0], HEATMAP_Y - 18), f"{day:%b}", MUTED, small)
    legend_x = HEATMAP_X + HEATMAP_WEEKS * PITCH - 5 * PITCH - 70
    legend_y = HEATMAP_Y + 7 * PITCH + 6
    draw.text((legend_x, legend_y - 2), "Less", MUTED, small)
    for i, colour in enumerate((EMPTY_CELL, *CELL_LEVELS)):
        x = legend_x + 34 + i * PITCH
        draw.rectangle((x, legend_y, x + CELL - 1, legend_y + CELL - 1), fill=colour)
    draw.text((legend_x + 34 + 5 * PITCH + 4, legend_y - 2), "More", MUTED, small)


def _draw_recent(draw: ImageDraw.ImageDraw, picture: StatsPicture, title: Any, small: Any) -> None:
    recent = recent_days(dict(picture.days), picture.today)
    answers = sum(d.answers for _, d in recent)
    graded = sum(d.graded for _, d in recent)
    correct = sum(d.correct for _, d in recent)
    heading = f"Last {len(recent)} days: {answers:,} answers"
    if graded:
        heading += f", {correct / graded:.0%} right of {graded:,} judged"
    draw.text((MARGIN, RECENT_Y - 28), heading, TEXT, title)
    left, right = MARGIN + 34, WIDTH - MARGIN - 40
    top, bottom = RECENT_Y, RECENT_Y + RECENT_HEIGHT
    for share in (0.0, 0.5, 1.0):
        y = bottom - round(share * RECENT_HEIGHT)
        draw.line((left, y, right, y), fill=GRID)
        draw.text((right + 6, y - 7), f"{share:.0%}", ACCURACY, small)
    peak = max((d.answers for _, d in recent), default=0)
    draw.text((MARGIN, top - 2), f"{peak}", ANSWERS_BAR, small)
    slot = (right - left) / len(recent)
    points: list[tuple[float, float]] = []
    for i, (day, results) in enumerate(recent):
        x0 = left + i * slot + 2
        x1 = left + (i + 1) * slot - 2
        if peak and results.answers:
            h = max(1, round(results.answers / peak * RECENT_HEIGHT))
            draw.rectangle((x0, bottom - h, x1, bottom), fill=ANSWERS_BAR)
        if results.graded:
            dot_y = bottom - results.correct / results.graded * RECENT_HEIGHT
            points.append(((x0 + x1) / 2, dot_y))
        if i % 7 == len(recent) % 7 - 1 or i == len(recent) - 1:
            draw.text((x0, bottom + 4), f"{day:%b %d}", MUTED, small)
    if len(points) > 1:
        draw.line(points, fill=ACCURACY, width=2)
    for px, py in points:
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=ACCURACY)
    draw.text((left, bottom + 20), "bars: answers a day", ANSWERS_BAR, small)
    draw.text((left + 160, bottom + 20), "dots: share right of judged answers", ACCURACY, small)


def _draw_topics(draw: ImageDraw.ImageDraw, picture: StatsPicture, title: Any, small: Any) -> None:
    assert picture.deck_title is not None
    heading = f"Topics of {picture.deck_title}, weakest first"
    draw.text((MARGIN, TOPICS_Y - 30), _clip(draw, heading, title, WIDTH - 2 * MARGIN), TEXT, title)
    draw.text((MARGIN + TOPIC_LABEL + 10, TOPICS_Y - 10), "accuracy", ACCURACY, small)
    draw.text((MARGIN + TOPIC_LABEL + 90, TOPICS_Y - 10), "predicted recall now", RECALL, small)
    _topic_rows(draw, picture.topics[:TOPICS_SHOWN], TOPICS_Y + 6, WIDTH, small)


def _topic_rows(
    draw: ImageDraw.ImageDraw, topics: Sequence[TopicBar], top: int, width: int, small: Any
) -> None:
    bar_left = MARGIN + TOPIC_LABEL + 10
    bar_width = width - MARGIN - bar_left - 44
    for i, bar in enumerate(topics):
        y = top + i * TOPIC_ROW
        draw.text((MARGIN, y + 2), _clip(draw, bar.topic, small, TOPIC_LABEL), TEXT, small)
        draw.rectangle((bar_left, y, bar_left + bar_width, y + 17), fill=GRID)
        recall_end = bar_left + round(bar.recall * bar_width)
        if recall_end > bar_left:
            draw.rectangle((bar_left, y + 9, recall_end, y + 17), fill=RECALL)
        if bar.accuracy is not None:
            acc_end = bar_left + round(bar.accuracy * bar_width)
            if acc_end > bar_left:
                draw.rectangle((bar_left, y, acc_end, y + 7), fill=ACCURACY)
        label = f"{bar.recall:.0%}"
        draw.text((bar_left + bar_width + 6, y + 2), label, RECALL, small)


def readiness_size(topics: Sequence[TopicBar]) -> tuple[int, int]:
    return READINESS_WIDTH, 40 + min(len(topics), TOPICS_SHOWN) * TOPIC_ROW + MARGIN


def readiness_png(topics: Sequence[TopicBar], heading: str) -> bytes:
    """The /readiness bar chart: predicted recall now of each topic."""
    from PIL import Image, ImageDraw

    width, height = readiness_size(topics)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline=BORDER)
    title, small = _font(16), _font(12)
    draw.text((MARGIN, 12), _clip(draw, heading, title, width - 2 * MARGIN), TEXT, title)
    _topic_rows(draw, topics[:TOPICS_SHOWN], 40, width, small)
    return _png(image)


# -- alt text -----------------------------------------------------------------------------

ALT_TEXT_LIMIT = 1024  # Discord's limit on an attachment's description


def stats_alt_text(picture: StatsPicture) -> str:
    days = picture.days
    total = sum(d.answers for d in days.values())
    recent_start = picture.today - timedelta(days=29)
    recent = sum(d.answers for day, d in days.items() if day >= recent_start)
    text = (
        f"Charts: {plural(total, 'answer')} on {plural(len(days), 'day')} of the past year, "
        f"{recent:,} in the last 30 days"
    )
    if picture.topics:
        weakest = picture.topics[0]
        text += f", weakest topic {weakest.topic} at {weakest.recall:.0%} predicted recall"
    return (text + ".")[:ALT_TEXT_LIMIT]


def readiness_alt_text(topics: Sequence[TopicBar], overall: float) -> str:
    text = f"Bar chart of predicted recall per topic, {overall:.0%} overall"
    if topics:
        weakest = min(topics, key=lambda t: t.recall)
        text += f", lowest {weakest.topic} at {weakest.recall:.0%}"
    return (text + ".")[:ALT_TEXT_LIMIT]
