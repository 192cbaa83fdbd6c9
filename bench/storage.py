"""Storage: a million answers in one server, then the leaderboard and /stats queries.

Inserts: the same generated rows go into two fresh databases with the bot's schema
(migrations applied, so every index and trigger the bot has): through the storage layer
(`db.answers.record`, one awaited call per answer, as the bot records them, until
each answer's spaced-repetition review is written too) and, as the baseline, through raw
`sqlite3` `executemany` in one transaction.

Queries: the storage calls `/leaderboard` and `/stats` make, against the storage layer's
database, each p50 over many calls with a different random caller each time (a caller is
rarely in the top 10, so the rank lookup always runs). The streak board includes the
ranking in Python the command does, since it is computed from the members' study history.

PostgreSQL (on the server at BENCH_DATABASE_URL, fresh databases dropped after; left out
when none answers): the storage layer's SQLite database goes over with `python -m bot db
copy` (run as a child process: its time and peak memory), as does a database a tenth its
size (memory must stay flat), and the same queries run against the copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench._common import Report, Table, Target, ms, percentile, ratio, secs, times
from bench._postgres import create_database, drop_database, postgres_server
from bot.domain.leaderboard import (
    Board,
    Period,
    page_of,
    period_window,
)
from bot.storage import Database, NewAnswer
from bot.storage.models import from_ms, to_ms

NAME = "storage"
GUILD = 1_000
FIRST_USER = 10**17  # Discord-sized ids
DECK = "aws-mla-c01-deployment"
# A Saturday evening late in the month, so each period holds a fair share of the answers.
NOW = datetime(2026, 3, 28, 18, 0, tzinfo=UTC)
HISTORY_DAYS = 120  # answers spread over this many days before NOW
UTC_ZONE = ZoneInfo("UTC")
COLUMNS = (
    "user_id, guild_id, deck_id, card_id, mode, correct, grade, points, answered_at, "
    "response_ms, session_id, question_index, challenge_id"
)
INSERT = f"INSERT INTO answers ({COLUMNS}) VALUES ({', '.join('?' * 13)}) ON CONFLICT DO NOTHING"
CHUNK = 10_000

Row = tuple[Any, ...]


def generate(answers: int, users: int, seed: int = 1) -> list[Row]:
    """Answers in time order: every user answers at least once, a few answer a lot."""
    rng = random.Random(seed)
    span_ms = HISTORY_DAYS * 86_400_000
    start_ms = to_ms(NOW) - span_ms
    who = list(range(users)) + [
        int(users * rng.random() ** 3) for _ in range(max(answers - users, 0))
    ]
    rng.shuffle(who)
    rows: list[Row] = []
    for index, user in enumerate(who[:answers]):
        mode = rng.choices(("multiple-choice", "typed", "flashcard"), (75, 10, 15))[0]
        correct = rng.random() < 0.7
        grade = ("good" if correct else "again") if mode == "flashcard" else None
        points = int(correct and mode != "flashcard")
        at = start_ms + span_ms * index // answers + rng.randrange(1000)
        rows.append(
            (
                FIRST_USER + user,
                GUILD,
                DECK,
                f"card-{rng.randrange(400)}",
                mode,
                int(correct),
                grade,
                points,
                at,
                rng.randrange(2_000, 60_000),
                None,
                None,
                None,
            )
        )
    return rows


def _new_answer(row: Row) -> NewAnswer:
    return NewAnswer(
        user_id=row[0],
        guild_id=row[1],
        deck_id=row[2],
        card_id=row[3],
        mode=row[4],
        correct=bool(row[5]),
        grade=row[6],
        points=row[7],
        answered_at=from_ms(row[8]),
        response_ms=row[9],
    )


async def _schema(path: Path, users: int) -> None:
    """A database with the bot's schema, the server and its members."""
    async with await Database.connect(f"sqlite:///{path}") as db:
        await db.members.upsert_guild(GUILD, "Big Server", NOW - timedelta(days=HISTORY_DAYS + 1))
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO users (id, display_name, updated_at) VALUES (?, ?, ?)",
            ((FIRST_USER + u, f"member {u}", to_ms(NOW)) for u in range(users)),
        )
        conn.execute("COMMIT")


def _raw(path: Path, rows: list[Row]) -> float:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        # The same settings the bot's connection uses.
        for pragma in ("journal_mode = WAL", "foreign_keys = ON", "synchronous = NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(INSERT, rows)
        conn.execute("COMMIT")
        return time.perf_counter() - started


async def _layer(db: Database, rows: list[Row]) -> float:
    """Until every answer is stored with its spaced-repetition review, in the answer's own
    transaction (the time includes building the answers, about 1% of it)."""
    started = time.perf_counter()
    for first in range(0, len(rows), CHUNK):
        for answer in [_new_answer(row) for row in rows[first : first + CHUNK]]:
            await db.answers.record(answer)
    return time.perf_counter() - started


def _count(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


async def _timed(calls: int, users: int, work: Callable[[int], Awaitable[Any]]) -> list[float]:
    """Seconds per call of ``work(caller)``; callers drawn like the answers' members."""
    rng = random.Random(7)
    took = []
    for _ in range(calls):
        viewer = FIRST_USER + int(rng.random() ** 3 * users)
        started = time.perf_counter()
        await work(viewer)
        took.append(time.perf_counter() - started)
    return took


async def _queries(db: Database, calls: int, users: int) -> list[tuple[str, str, list[float]]]:
    """(command, what, seconds per call) for each query set."""
    found: list[tuple[str, str, list[float]]] = []

    def board(kind: Board, period: Period) -> Callable[[int], Awaitable[Any]]:
        async def work(viewer: int) -> Any:
            season = await db.boards.season(GUILD)
            window = None
            if period is not Period.ALL_TIME:
                start = season.started_at if season else None
                window = period_window(period, NOW, UTC_ZONE, start)
            page = await db.boards.page(kind, GUILD, window=window, page=0, viewer_id=viewer)
            if kind is Board.ACCURACY and page.own is None:
                since = window.start if window else None
                await db.stats.totals(viewer, GUILD, since=since)
            return page

        return work

    for kind in (Board.POINTS, Board.ACCURACY):
        for period in Period:
            took = await _timed(calls, users, board(kind, period))
            found.append(("/leaderboard", f"{kind.value}, {period.value}", took))

    async def streak_board(viewer: int) -> Any:
        standings = await db.boards.study_streaks(GUILD, NOW, UTC_ZONE)
        cut = page_of(standings, 0, viewer)
        return await db.members.names([r.standing.user_id for r in cut.rows])

    found.append(("/leaderboard", "streak (any period)", await _timed(calls, users, streak_board)))

    async def stats(viewer: int) -> Any:
        await db.stats.totals(viewer, GUILD)
        season = await db.boards.season(GUILD)
        if season is not None:
            await db.stats.totals(viewer, GUILD, since=season.started_at)
        await db.stats.cards(viewer, GUILD, DECK)
        await db.reviews.retention_since(viewer, NOW - timedelta(days=30))
        await db.stats.quarters(viewer, GUILD)
        await db.daily.streak(GUILD, viewer)
        await db.stats.activity(viewer, GUILD, NOW - timedelta(days=30))
        return await db.reviews.mature_cards(viewer)

    found.append(("/stats", "all its queries", await _timed(calls, users, stats)))
    for period in Period:
        window = period_window(period, NOW, UTC_ZONE) if period is not Period.ALL_TIME else None
        since = window.start if window else None

        async def totals(viewer: int, since: datetime | None = since) -> Any:
            return await db.stats.totals(viewer, GUILD, since=since)

        found.append(
            ("/stats", f"member totals, {period.value}", await _timed(calls, users, totals))
        )
    return found


async def _measure(answers: int, users: int, calls: int, tmp: Path) -> dict[str, Any]:
    rows = generate(answers, users)
    paths = {name: tmp / f"{name}.sqlite3" for name in ("layer", "executemany")}
    for path in paths.values():
        await _schema(path, users)
    seconds = {"executemany": _raw(paths["executemany"], rows)}
    async with await Database.connect(f"sqlite:///{paths['layer']}") as db:
        seconds["layer"] = await _layer(db, rows)
        counts = {name: _count(path) for name, path in paths.items()}
        del rows
        queries = await _queries(db, calls, users)
    return {"seconds": seconds, "counts": counts, "queries": queries}


# `python -m bot db copy SOURCE TARGET` in a child process, which then writes its peak
# resident memory (KiB; Linux's VmHWM, of this process's own address space: ru_maxrss
# would carry the parent's over fork and exec) on its last line of stderr.
_COPY_CHILD = (
    "import sys\n"
    "from bot.cli import main\n"
    "code = main(['db', 'copy', sys.argv[1], sys.argv[2]])\n"
    "with open('/proc/self/status') as status:\n"
    "    peak = next(line.split()[1] for line in status if line.startswith('VmHWM:'))\n"
    "print(peak, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def copy_in_child(source: Path, target: str) -> dict[str, Any]:
    """Time and peak memory of `db copy` of `source` into `target`."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _COPY_CHILD, f"sqlite:///{source}", target],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"db copy failed ({done.returncode}): {done.stderr[-2000:]}")
    rows = sum(
        int(line.split()[1].replace(",", ""))
        for line in done.stdout.splitlines()[1:]
        if len(line.split()) == 3
    )
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return {"seconds": took, "rows": rows, "peak_bytes": peak_kib * 1024}


async def _postgres(
    layer: Path, small_answers: int, users: int, calls: int, tmp: Path
) -> dict[str, Any]:
    """Copy a database a tenth the size, then the storage layer's, into PostgreSQL; the
    queries on the big copy."""
    small = tmp / "small.sqlite3"
    await _schema(small, users)
    _raw(small, generate(small_answers, users, seed=2))
    made: list[str] = []
    try:
        made = [await asyncio.to_thread(create_database, "bench_storage") for _ in range(2)]
        copies = {
            "small": await asyncio.to_thread(copy_in_child, small, made[0]),
            "big": await asyncio.to_thread(copy_in_child, layer, made[1]),
        }
        async with await Database.connect(made[1]) as db:
            queries = await _queries(db, calls, users)
        return {"copies": copies, "queries": queries}
    finally:
        for url in made:
            await asyncio.to_thread(drop_database, url)


def run(quick: bool) -> Report:
    answers, users, calls = (100_000, 10_000, 20) if quick else (1_000_000, 100_000, 100)
    report = Report(
        name=NAME,
        title="Storage: a million answers, leaderboards and /stats",
        command=f"python -m bench storage{' --quick' if quick else ''}",
        sizes={"answers": answers, "users": users, "calls per query": calls},
    )
    server, problem = postgres_server()
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        result = asyncio.run(_measure(answers, users, calls, Path(tmp)))
        result["db_bytes"] = sum(p.stat().st_size for p in Path(tmp).glob("layer.sqlite3*"))
        postgres = None
        if server is not None:
            postgres = asyncio.run(
                _postgres(Path(tmp) / "layer.sqlite3", answers // 10, users, calls, Path(tmp))
            )
    seconds, counts = result["seconds"], result["counts"]
    base = seconds["executemany"]
    rows = []
    for key, label in (
        ("layer", "storage layer: `await db.answers.record(...)` per answer, with its review"),
        ("executemany", "raw sqlite3: `executemany`, one transaction"),
    ):
        rows.append(
            [
                label,
                f"{counts[key]:,}",
                secs(seconds[key]),
                f"{answers / seconds[key]:,.0f}",
                f"{seconds[key] / answers * 1e6:,.0f} µs",
                times(ratio(seconds[key], base)),
            ]
        )
    report.tables.append(
        Table(
            f"Recording {answers:,} answers of {users:,} members in one server "
            f"(database {result['db_bytes'] / 2**20:,.0f} MiB after)",
            ["path", "rows stored", "time", "answers per second", "per answer", "vs executemany"],
            rows,
        )
    )
    query_rows = []
    for command, what, took in result["queries"]:
        query_rows.append(
            [command, what, ms(percentile(took, 50)), ms(percentile(took, 95)), ms(max(took))]
        )
    report.tables.append(
        Table(
            f"Queries after that, {calls} calls each (a random caller per call), "
            "through the storage layer",
            ["command", "board / query", "p50", "p95", "max"],
            query_rows,
        )
    )
    if postgres is None:
        report.notes.append(f"PostgreSQL half left out: no server answers ({problem}).")
    else:
        _report_postgres(report, postgres, result["queries"], answers, calls)
    report.notes.append(
        f"Answers span the {HISTORY_DAYS} days before 'now', Saturday 28 March 2026 18:00 UTC "
        "(the server's zone), so the month holds about 23% of them, the week 5% and today "
        "0.6%; 75% multiple choice, 10% typed, 15% flashcards, "
        "70% right; a few members answer far more than most. No season was started, so "
        "the all-time points board reads the season totals kept by the trigger."
    )
    report.data = {
        "insert_seconds": seconds,
        "insert_ratio_to_executemany": {k: ratio(v, base) for k, v in seconds.items()},
        "rows": counts,
        "db_bytes": result["db_bytes"],
        "queries": [
            {"command": c, "query": w, "p50": percentile(t, 50), "seconds": t}
            for c, w, t in result["queries"]
        ],
    }
    return report


# Targets on PostgreSQL at a million answers: p50 of each query set.
POINTS_ALL_TIME_MS = 20.0
OTHER_BOARDS_MS = 100.0
STATS_MS = 20.0


def _report_postgres(
    report: Report,
    postgres: dict[str, Any],
    sqlite_queries: list[tuple[str, str, list[float]]],
    answers: int,
    calls: int,
) -> None:
    copies = postgres["copies"]
    small, big = copies["small"], copies["big"]
    report.tables.append(
        Table(
            "`python -m bot db copy` of an SQLite database into an empty PostgreSQL one "
            "(a child process; its peak resident memory)",
            ["source", "rows copied (all tables)", "time", "rows per second", "peak memory"],
            [
                [
                    label,
                    f"{copy['rows']:,}",
                    secs(copy["seconds"]),
                    f"{copy['rows'] / copy['seconds']:,.0f}",
                    f"{copy['peak_bytes'] / 2**20:,.0f} MiB",
                ]
                for label, copy in (
                    (f"{answers // 10:,} answers (raw rows, no reviews)", small),
                    (f"{answers:,} answers with their reviews (the layer's database)", big),
                )
            ],
        )
    )
    growth = ratio(big["peak_bytes"], small["peak_bytes"])
    report.targets.append(
        Target(
            "db copy: memory flat in the number of rows (peak within 1.25× for ten times "
            "the answers)",
            growth <= 1.25,
            f"{small['peak_bytes'] / 2**20:,.0f} MiB vs {big['peak_bytes'] / 2**20:,.0f} MiB: "
            f"{times(growth)}",
        )
    )
    on_sqlite = {(c, w): percentile(t, 50) for c, w, t in sqlite_queries}
    rows = []
    for command, what, took in postgres["queries"]:
        p50 = percentile(took, 50)
        rows.append(
            [
                command,
                what,
                ms(p50),
                ms(percentile(took, 95)),
                ms(max(took)),
                ms(on_sqlite[(command, what)]),
            ]
        )
        if command == "/leaderboard":
            limit = POINTS_ALL_TIME_MS if what == "points, all-time" else OTHER_BOARDS_MS
        elif what == "all its queries":
            limit = STATS_MS
        else:
            continue
        report.targets.append(
            Target(
                f"PostgreSQL {command} {what}: p50 under {limit:.0f} ms",
                p50 < limit / 1000,
                ms(p50),
            )
        )
    report.tables.append(
        Table(
            f"The same queries on PostgreSQL, on the copy, {calls} calls each",
            ["command", "board / query", "p50", "p95", "max", "p50 on SQLite"],
            rows,
        )
    )
    report.data["postgres"] = {
        "copies": copies,
        "copy_peak_ratio": growth,
        "queries": [
            {"command": c, "query": w, "p50": percentile(t, 50), "seconds": t}
            for c, w, t in postgres["queries"]
        ],
    }
