"""Charts: drawing the /stats picture for a busy member, and start-up without Pillow.

Rendering: a member with 10,000 answers spread over the past year (about 27 a day, on a
generated deck of 500 cards in 20 topics), recorded through the storage layer as the bot
records them, each with its review. One fresh process, after importing the bot's start-up
modules, takes the path `/stats` takes for its picture, again and again: the member's
answers per quarter hour over the calendar's year and their memory states read through
the storage layer, then `draw_stats` (the calendar, the last 30 days, the topics with
their predicted recall) in a worker thread, as the cog runs it. The target is absolute,
from the spec: p95 under 300 ms. Memory: the process's resident set before the first
picture, and its peak (`ru_maxrss`) over all of them.

Start-up: fresh processes import the bot's start-up modules (`bot.launcher` and every
extension, as `python -m bot` loads them), timed, and say whether Pillow got imported;
the same with `bot.charts` and Pillow imported on top, which is what start-up would cost
if the drawing library were imported there. Median of the repeats.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench._common import Report, Table, Target, median, mib, ms, probe, ratio, summary, times

NAME = "charts"
TARGET_P95_S = 0.300
USER_ID = 4242
GUILD_ID = 77
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def _deck_text() -> str:
    from bench.decks import deck_text

    return deck_text("charts", 500)


async def _seed(path: Path, deck_path: Path, answers: int) -> None:
    from bot.domain.decks import load_deck_file
    from bot.storage import Database, NewAnswer

    deck = load_deck_file(deck_path)
    rng = random.Random(24)
    db = await Database.connect(f"sqlite:///{path}")
    try:
        await db.members.upsert_user(USER_ID, "busy", NOW)
        await db.members.upsert_guild(GUILD_ID, "Bench", NOW)
        instants = sorted(
            NOW - timedelta(seconds=rng.randrange(365 * 86_400)) for _ in range(answers)
        )
        for number, at in enumerate(instants):
            card = deck.cards[rng.randrange(len(deck.cards))]
            correct = rng.random() < 0.7
            await db.answers.record(
                NewAnswer(
                    user_id=USER_ID,
                    guild_id=GUILD_ID,
                    deck_id=deck.id,
                    card_id=card.id,
                    mode="multiple-choice",
                    correct=correct,
                    answered_at=at,
                    points=int(correct),
                    session_id=f"bench{number}",
                    question_index=0,
                )
            )
    finally:
        await db.close()


# -- the probes, run as `python -m bench.charts render DB DECK N` / `imports eager|lazy` -----


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _startup_modules() -> None:
    import importlib

    import bot.launcher  # noqa: F401
    from bot.client import walk_extensions

    for extension in walk_extensions():
        importlib.import_module(extension)


async def _render(db_path: Path, deck_path: Path, repeats: int) -> dict[str, Any]:
    from bot.domain.decks import load_deck_file
    from bot.domain.heatmap import first_day
    from bot.domain.timezones import local_date, local_day_bounds
    from bot.exts.stats._picture import PictureInput, draw_stats
    from bot.exts.stats._summary import topic_results
    from bot.storage import Database

    deck = load_deck_file(deck_path)
    zone = ZoneInfo("Europe/Berlin")
    db = await Database.connect(f"sqlite:///{db_path}", migrate=False)
    seconds: list[float] = []
    draw_seconds: list[float] = []
    before = _rss_bytes()
    size = 0
    try:
        topics, _ = topic_results(deck, await db.stats.cards(USER_ID, GUILD_ID, deck.id))
        for _ in range(repeats):
            started = time.perf_counter()
            today = local_date(NOW, zone)
            start, _ = local_day_bounds(first_day(today), zone)
            results = await db.progress.quarters(USER_ID, GUILD_ID, start)
            given = PictureInput(
                today=today,
                now=NOW,
                zone=zone,
                quarters=[(q.start, q.answers, q.graded, q.correct) for q in results],
                deck=deck,
                states=await db.reviews.states(USER_ID, deck.id),
                topics=topics,
            )
            drawn_at = time.perf_counter()
            picture = await asyncio.to_thread(draw_stats, given)
            ended = time.perf_counter()
            seconds.append(ended - started)
            draw_seconds.append(ended - drawn_at)
            size = len(picture.png)
        answers = sum(q.answers for q in results)
    finally:
        await db.close()
    return {
        "seconds": seconds,
        "draw_seconds": draw_seconds,
        "answers_drawn": answers,
        "png_bytes": size,
        "rss_before": before,
        "rss_after": _rss_bytes(),
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _imports(eager: bool) -> dict[str, Any]:
    started = time.perf_counter()
    _startup_modules()
    startup = time.perf_counter()
    if eager:
        from PIL import Image, ImageDraw, ImageFont  # noqa: F401

        from bot import charts

        charts.readiness_size([])
    ended = time.perf_counter()
    return {
        "seconds": ended - started,
        "drawing_seconds": ended - startup,
        "pillow_imported": "PIL" in sys.modules,
    }


def run(quick: bool) -> Report:
    answers, repeats, import_repeats = (2_000, 20, 3) if quick else (10_000, 50, 7)
    report = Report(
        name=NAME,
        title="Charts: the /stats picture, and start-up without the drawing library",
        command=f"python -m bench charts{' --quick' if quick else ''}",
        sizes={"answers": answers, "pictures": repeats, "import runs": import_repeats},
    )
    with tempfile.TemporaryDirectory(prefix="bench-charts-") as tmp:
        deck_path = Path(tmp) / "charts.yaml"
        deck_path.write_text(_deck_text(), encoding="utf-8")
        db_path = Path(tmp) / "charts.sqlite3"
        seeded_at = time.perf_counter()
        asyncio.run(_seed(db_path, deck_path, answers))
        seed_s = time.perf_counter() - seeded_at
        rendered = probe("bench.charts", "render", str(db_path), str(deck_path), str(repeats))
    lazy: list[dict[str, Any]] = []
    eager: list[dict[str, Any]] = []
    for _ in range(import_repeats):  # alternating, so a drift of the machine hits both
        lazy.append(probe("bench.charts", "imports", "lazy"))
        eager.append(probe("bench.charts", "imports", "eager"))

    whole, drawn = summary(rendered["seconds"]), summary(rendered["draw_seconds"])
    report.tables.append(
        Table(
            f"The /stats picture of a member with {answers:,} answers over a year "
            f"({rendered['answers_drawn']:,} in the calendar's weeks; "
            f"{rendered['png_bytes'] / 1024:,.0f} KiB PNG), {repeats} times",
            ["step", "p50", "p95", "max"],
            [
                [
                    "read (storage) + draw (worker thread)",
                    ms(whole["p50"]),
                    ms(whole["p95"]),
                    ms(whole["max"]),
                ],
                ["draw only", ms(drawn["p50"]), ms(drawn["p95"]), ms(drawn["max"])],
            ],
        )
    )
    report.tables.append(
        Table(
            "Memory of the process drawing them (after importing the bot's start-up modules)",
            ["RSS before the first picture", "peak RSS", "peak above before", "RSS after"],
            [
                [
                    mib(rendered["rss_before"]),
                    mib(rendered["peak"]),
                    mib(rendered["peak"] - rendered["rss_before"]),
                    mib(rendered["rss_after"]),
                ]
            ],
        )
    )
    lazy_s = median([r["seconds"] for r in lazy])
    eager_s = median([r["seconds"] for r in eager])
    report.tables.append(
        Table(
            f"Importing the bot's start-up modules, fresh process, median of {import_repeats}",
            ["start-up", "import time", "Pillow imported", "vs as shipped"],
            [
                [
                    "as shipped (drawing imported on first use)",
                    ms(lazy_s),
                    "yes" if any(r["pillow_imported"] for r in lazy) else "no",
                    "1.00×",
                ],
                [
                    "with `bot.charts` and Pillow imported at start",
                    ms(eager_s),
                    "yes" if all(r["pillow_imported"] for r in eager) else "no",
                    times(ratio(eager_s, lazy_s)),
                ],
            ],
        )
    )
    report.targets.append(
        Target(
            "the /stats picture's p95 under 300 ms",
            whole["p95"] < TARGET_P95_S,
            f"{ms(whole['p95'])} with reading its data",
        )
    )
    report.targets.append(
        Target(
            "the drawing library stays out of start-up",
            not any(r["pillow_imported"] for r in lazy),
            f"Pillow not imported by start-up; importing it there would add "
            f"{ms(median([r['drawing_seconds'] for r in eager]))}, timed alone",
        )
    )
    report.notes.append(
        f"Seeding {answers:,} answers through the storage layer took {seed_s:.1f} s."
    )
    report.data = {"render": rendered, "imports_lazy": lazy, "imports_eager": eager}
    return report


def _main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "render":
        _startup_modules()
        result = asyncio.run(_render(Path(argv[1]), Path(argv[2]), int(argv[3])))
        print(json.dumps(result))
        return 0
    if len(argv) == 2 and argv[0] == "imports" and argv[1] in ("eager", "lazy"):
        print(json.dumps(_imports(argv[1] == "eager")))
        return 0
    print("usage: python -m bench.charts render DB DECK N | imports eager|lazy", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
