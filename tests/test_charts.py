"""The pictures themselves: PNGs of the expected size, cells coloured by study."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from bot import charts
from bot.domain.heatmap import DayResults

TODAY = date(2026, 12, 7)
STUDIED = TODAY - timedelta(days=40)
IDLE = TODAY - timedelta(days=41)


def picture(topics: int = 3, deck: str | None = "Deck") -> charts.StatsPicture:
    return charts.StatsPicture(
        today=TODAY,
        days={STUDIED: DayResults(12, 10, 7), TODAY: DayResults(3, 3, 3)},
        topics=[charts.TopicBar(f"topic {i}", 0.5, 0.25 * i) for i in range(topics)],
        deck_title=deck,
        zone="Europe/Berlin",
    )


def pixel(png: bytes, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    x0, y0, x1, y1 = box
    return tuple(image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)))  # type: ignore[arg-type]


def test_the_stats_picture_is_a_png_of_its_size() -> None:
    for shown in (picture(), picture(topics=20), picture(deck=None)):
        png = charts.stats_png(shown)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert Image.open(io.BytesIO(png)).size == charts.stats_size(shown)
    assert charts.stats_size(picture(topics=20)) == charts.stats_size(picture(topics=12))
    assert charts.stats_size(picture(topics=2))[1] < charts.stats_size(picture(topics=3))[1]


def test_a_studied_day_is_coloured_and_an_idle_one_is_not() -> None:
    png = charts.stats_png(picture())
    assert pixel(png, charts.cell_box(TODAY, STUDIED)) == charts.CELL_LEVELS[-1]  # busiest
    assert pixel(png, charts.cell_box(TODAY, TODAY)) == charts.CELL_LEVELS[0]
    assert pixel(png, charts.cell_box(TODAY, IDLE)) == charts.EMPTY_CELL


def test_alt_text_is_one_sentence_of_the_figures_in_singular_and_plural() -> None:
    text = charts.stats_alt_text(picture())
    assert text == (
        "Charts: 15 answers on 2 days of the past year, 3 in the last 30 days, "
        "weakest topic topic 0 at 0% predicted recall."
    )
    one_day = charts.StatsPicture(TODAY, {TODAY: DayResults(1, 1, 1)}, [], None, "UTC")
    assert charts.stats_alt_text(one_day) == (
        "Charts: 1 answer on 1 day of the past year, 1 in the last 30 days."
    )


def test_the_readiness_chart_is_a_png_of_its_size() -> None:
    bars = [charts.TopicBar(f"topic {i}", None, i / 10) for i in range(5)]
    png = charts.readiness_png(bars, "Predicted recall now: 20% overall")
    assert Image.open(io.BytesIO(png)).size == charts.readiness_size(bars)
    assert charts.readiness_alt_text(bars, 0.2) == (
        "Bar chart of predicted recall per topic, 20% overall, lowest topic 0 at 0%."
    )


def _luminance(colour: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    channels = [c / 255 for c in colour]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_pictures_read_the_same_on_dark_and_light_themes() -> None:
    """Opaque, on their own background, with text that stands out from it: Discord's
    theme never shows through."""
    bars = [charts.TopicBar(f"topic {i}", None, i / 10) for i in range(5)]
    for png in (charts.stats_png(picture()), charts.readiness_png(bars, "Recall now: 20%")):
        image = Image.open(io.BytesIO(png))
        assert image.mode == "RGB"  # no alpha channel
        assert image.getpixel((0, 0)) == charts.BORDER  # a frame
        assert image.getpixel((2, 2)) == charts.BACKGROUND
    for colour in (charts.TEXT, charts.MUTED):
        assert _contrast(colour, charts.BACKGROUND) >= 4.5  # WCAG AA for text
