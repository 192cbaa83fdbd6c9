"""Daily fan-out across shards: many servers due at the same minute, split over 8 shards
run by 2 `python -m bot` processes (CLUSTER_INDEX 0 and 1 of CLUSTER_COUNT 2) on one fresh
PostgreSQL database, against one global limit of 50 requests per second shared by both.

Each process posts the servers on its own shards (`(guild_id >> 22) % 8`); the fake counts
the global limit per bot token, so the two processes compete for the same 50 requests a
second. The servers are made due at one instant (a single UPDATE, after all of them exist),
far enough ahead for both processes to start; each process's scheduler wakes at it.

Ideal: N posts of one request each under G per second take N/G seconds. The time runs
from the due instant to the fake's answer to the last post. Lost and doubled posts are
counted on the fake (posts per channel) and in the database (challenge rows per server).
PostgreSQL: `BENCH_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/postgres);
the database is created and dropped by the run.

Fleet start-up: 4 real processes (CLUSTER_INDEX 0 to 3 of CLUSTER_COUNT 4) start 16
shards together on a fresh, migrated PostgreSQL database, with ``max_concurrency`` 1 and 16,
the fake enforcing the IDENTIFY buckets and the processes taking turns through the
database. Discord's window is 5 s; the run uses 0.5 s (the processes', through
`python -m bench._fleetbot`, and the fake's alike) so that it takes seconds, not minutes;
the ideal is ``(ceil(16 / max_concurrency) - 1) × window``: the last IDENTIFY of the
busiest bucket. The time runs from starting the processes, so it includes their
interpreter start-up and imports; the first IDENTIFY's time is reported beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench._common import Report, Table, Target, ratio, secs, times
from bench._fake import RequestClock, widen_backlog
from bench._postgres import create_database, drop_database, postgres_server
from bot.storage import Database
from bot.storage.fleet import TURN_MARGIN
from bot.storage.models import to_ms
from tests import engines
from tests.fakediscord import FakeDiscord
from tests.harness import restored_endpoints
from tests.helpers.fleet import DECK, BotProcess, Fleet

NAME = "shards"
GLOBAL_LIMIT = 50
SHARDS = 8
PROCESSES = 2
POST = ("POST", "/channels/{channel_id}/messages")
FLEET_SHARDS = 16
FLEET_PROCESSES = 4
WINDOW = 0.5


async def _servers(fake: FakeDiscord, db: Database, count: int, now: datetime) -> list[int]:
    """``count`` servers spread evenly over the shards, each with a daily schedule (not yet
    due: ``_make_due`` picks the instant once they all exist)."""
    channels = []
    later = now + timedelta(days=1)
    for number in range(count):
        guild = fake.add_guild(f"Server {number}", shard=(number % SHARDS, SHARDS))
        channel = fake.add_text_channel(guild.id, "daily")
        channels.append(channel.id)
        await db.members.upsert_guild(guild.id, guild.name, now)
        await db.daily.save_schedule(
            guild_id=guild.id,
            channel_id=channel.id,
            post_time=time(later.hour, later.minute),
            timezone="UTC",
            deck_id=DECK,
            topic=None,
            role_id=None,
            reveal_after=None,
            next_post_at=later,
            reveal_by=later,
            updated_by=None,
            now=now,
        )
    return channels


def _make_due(url: str, due: datetime) -> None:
    """Every server's next post at ``due``, its post time that minute (one statement)."""
    engines.rows(
        url,
        "UPDATE daily_schedules SET next_post_at = ?, post_time = ?",
        to_ms(due),
        due.strftime("%H:%M"),
    )


_RUN = re.compile(r"daily run: (\d+) posted, (\d+) failed, \d+ skipped, \d+ revealed, (\d+) left")


def _run_counts(process: BotProcess) -> tuple[int, int, int]:
    """Posted, failed and stood down, summed over the process's logged daily runs."""
    runs = [tuple(int(n) for n in m.groups()) for m in _RUN.finditer(process.log)]
    return (sum(r[0] for r in runs), sum(r[1] for r in runs), sum(r[2] for r in runs))


async def _measure(servers: int, url: str, tmp: Path) -> dict[str, Any]:
    async with FakeDiscord() as fake:
        widen_backlog(fake)
        fake.set_session_start_limit(max_concurrency=SHARDS)
        db = await Database.connect(url)
        try:
            channels = await _servers(fake, db, servers, datetime.now(UTC))
        finally:
            await db.close()
        due = (datetime.now(UTC) + timedelta(seconds=_margin(servers))).replace(microsecond=0)
        _make_due(url, due)
        fleet = Fleet(fake, tmp, url)
        requests = RequestClock(fake)
        loop = asyncio.get_running_loop()
        try:
            processes = await fleet.cluster(PROCESSES, SHARDS)
            await fake.wait_shards_ready(range(SHARDS), timeout=_margin(servers) + 120)
            ready_early = (due - datetime.now(UTC)).total_seconds()
            fake.set_global_limit(GLOBAL_LIMIT)
            first = len(fake.requests)
            start = loop.time() + (due - datetime.now(UTC)).total_seconds()
            wanted = set(channels)
            seen: Counter[int] = Counter()
            scanned = first
            deadline = start + 3 * servers / GLOBAL_LIMIT + 60
            while len(seen) < len(wanted) and loop.time() < deadline:
                await asyncio.sleep(0.5)
                for request in fake.requests[scanned:]:
                    if (request.method, request.route) == POST and request.status == 200:
                        seen[int(request.path.split("/")[2])] += 1
                scanned = len(fake.requests)
            # Both processes have finished their run (each logs it once done).
            with contextlib.suppress(AssertionError):
                for process in processes:
                    await process.wait_log("daily run: ", timeout=30)
            await asyncio.sleep(2)  # a post that would double comes in now, not later
            served = list(zip(fake.requests[first:], requests.stamps[first:], strict=True))
            posts = [(r, t) for r, t in served if (r.method, r.route) == POST and r.status == 200]
            per_channel = Counter(int(r.path.split("/")[2]) for r, _ in posts)
            mine = [r for r, _ in served if not r.path.startswith("/interactions/")]
            counts = [_run_counts(process) for process in processes]
            states = dict(
                engines.rows(url, "SELECT state, COUNT(*) FROM daily_challenges GROUP BY state")
            )
            per_server = engines.rows(
                url,
                "SELECT COUNT(*) FROM daily_challenges GROUP BY guild_id HAVING COUNT(*) > 1",
            )
            return {
                "seconds_to_last_post": max((t for _, t in posts), default=start) - start,
                "seconds_ready_before_due": ready_early,
                "posted": len(posts),
                "lost": sum(1 for c in channels if per_channel[c] == 0),
                "doubled": sum(1 for c in channels if per_channel[c] > 1),
                "rows_doubled": len(per_server),
                "rate_limited": sum(1 for r in mine if r.status == 429),
                "requests": len(mine),
                "per_process": [posted for posted, _, _ in counts],
                "failed": sum(failed for _, failed, _ in counts),
                "stood_down": sum(stood for _, _, stood in counts),
                "challenge_states": states,
                "violations": [str(v) for v in fake.limit_violations],
                "exit_codes": [await process.stop() for process in processes],
            }
        finally:
            await fleet.stop_all()


def _margin(servers: int) -> float:
    """Seconds from making the servers due to their due instant: the processes' start-up
    (connecting, every server's GUILD_CREATE) must fit in it."""
    return 20.0 + servers / 250


async def _fleet_start(max_concurrency: int, url: str, tmp: Path) -> dict[str, Any]:
    """Start the fleet on ``url`` (migrated first, outside the time); when its first
    IDENTIFY came and every shard was ready, IDENTIFYs refused, sessions started."""
    await (await Database.connect(url)).close()
    async with FakeDiscord() as fake:
        fake.set_session_start_limit(max_concurrency=max_concurrency, identify_window=WINDOW)
        for shard_id in range(FLEET_SHARDS):
            fake.add_guild(f"Server {shard_id}", shard=(shard_id, FLEET_SHARDS))
        fleet = Fleet(fake, tmp, url, module="bench._fleetbot")
        loop = asyncio.get_running_loop()
        try:
            start = loop.time()
            processes = await fleet.cluster(
                FLEET_PROCESSES, FLEET_SHARDS, BENCH_IDENTIFY_WINDOW=str(WINDOW)
            )
            await fake.wait_until(
                lambda: bool(fake.identify_payloads), timeout=60, what="a first IDENTIFY"
            )
            first = loop.time() - start
            await fake.wait_shards_ready(range(FLEET_SHARDS), timeout=120)
            seconds = loop.time() - start
            return {
                "seconds": seconds,
                "first_identify_seconds": first,
                "refused": fake.identify_refusals,
                "session_starts": fake.session_starts,
                "exit_codes": [await process.stop() for process in processes],
            }
        finally:
            await fleet.stop_all()


def _fleet_table(report: Report, tmp: Path) -> None:
    rows = []
    refused = 0
    firsts: list[str] = []
    spans: list[str] = []
    one_bucket = (FLEET_SHARDS - 1) * (WINDOW + TURN_MARGIN)
    exit_codes: list[int] = []
    for max_concurrency in (1, 16):
        url = create_database("bench_fleet")
        try:
            result = asyncio.run(_fleet_start(max_concurrency, url, tmp))
        finally:
            drop_database(url)
        ideal = (-(-FLEET_SHARDS // max_concurrency) - 1) * WINDOW
        refused += result["refused"]
        exit_codes += result["exit_codes"]
        firsts.append(secs(result["first_identify_seconds"]))
        spans.append(secs(result["seconds"] - result["first_identify_seconds"]))
        rows.append(
            [
                str(max_concurrency),
                str(result["session_starts"]),
                secs(result["seconds"]),
                secs(ideal),
                str(result["refused"]),
            ]
        )
        report.data[f"fleet_start_mc{max_concurrency}"] = {**result, "ideal_seconds": ideal}
    report.tables.append(
        Table(
            f"{FLEET_SHARDS} shards starting in {FLEET_PROCESSES} processes on PostgreSQL, "
            f"IDENTIFY window {WINDOW} s (Discord's: 5 s)",
            ["max_concurrency", "sessions started", "all shards ready", "ideal", "refused"],
            rows,
        )
    )
    report.targets += [
        Target("no IDENTIFY refused at start-up", refused == 0, f"{refused} refused (4008)"),
        Target(
            "the fleet's processes stopped cleanly",
            exit_codes == [0] * len(exit_codes),
            f"exit codes {exit_codes}",
        ),
    ]
    report.notes.append(
        f"Fleet start-up times run from starting {FLEET_PROCESSES} `python -m bot` processes "
        "(`bench._fleetbot`: the bot with the shortened window), so they include interpreter "
        f"start-up and imports: the first IDENTIFY came after {' and '.join(firsts)}, and "
        f"the last shard was ready {' and '.join(spans)} after it (max_concurrency 1 and 16). "
        f"Each turn through PostgreSQL keeps {TURN_MARGIN} s beyond the window, so one bucket "
        f"of {FLEET_SHARDS} shards takes at least {secs(one_bucket)} from its first IDENTIFY "
        "(5 % over the ideal at Discord's 5 s window, 50 % at this run's 0.5 s)."
    )


def run(quick: bool) -> Report:
    servers = 500 if quick else 5000
    report = Report(
        name=NAME,
        title="Daily fan-out across shards and processes",
        command=f"python -m bench shards{' --quick' if quick else ''}",
        sizes={"servers due at once": servers, "shards": SHARDS, "processes": PROCESSES},
    )
    fleet = Report(NAME, "", "", {})
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp, restored_endpoints():
        server, problem = postgres_server()
        if server is None:
            report.notes.append(
                f"Fan-out and fleet start-up not measured: no PostgreSQL server ({problem})."
            )
        else:
            url = create_database("bench_shards")
            try:
                result = asyncio.run(_measure(servers, url, Path(tmp)))
            finally:
                drop_database(url)
            _fan_out_table(report, servers, result)
            _fleet_table(fleet, Path(tmp))
    report.tables += fleet.tables
    report.targets += fleet.targets
    report.notes += fleet.notes
    report.data.update(fleet.data)
    return report


def _fan_out_table(report: Report, servers: int, result: dict[str, Any]) -> None:
    ideal = servers / GLOBAL_LIMIT
    seconds = float(result["seconds_to_last_post"])
    report.tables.append(
        Table(
            f"{servers} servers on {SHARDS} shards run by {PROCESSES} processes on PostgreSQL, "
            f"one global limit of {GLOBAL_LIMIT}/s; ideal N/G = {secs(ideal)}",
            [
                "posts",
                "per process",
                "time to last post",
                "vs ideal",
                "429s",
                "lost",
                "doubled",
            ],
            [
                [
                    f"{result['posted']:,}",
                    " + ".join(f"{n:,}" for n in result["per_process"]),
                    secs(seconds),
                    times(ratio(seconds, ideal)),
                    f"{result['rate_limited']:,}",
                    str(result["lost"]),
                    str(result["doubled"]),
                ]
            ],
        )
    )
    clean = (
        result["lost"] == 0
        and result["doubled"] == 0
        and result["rows_doubled"] == 0
        and result["challenge_states"] == {"posted": servers}
    )
    report.targets += [
        Target(
            "last post within 1.2× the ideal",
            ratio(seconds, ideal) <= 1.2 and result["seconds_ready_before_due"] > 0,
            f"{secs(seconds)} vs {secs(ideal)}: {times(ratio(seconds, ideal))}",
        ),
        Target(
            "no post lost or doubled",
            clean,
            f"{result['lost']} lost, {result['doubled']} doubled on Discord; "
            f"{result['rows_doubled']} servers with two rows; rows {result['challenge_states']}",
        ),
        Target(
            "both processes stopped cleanly",
            result["exit_codes"] == [0] * PROCESSES,
            f"exit codes {result['exit_codes']}",
        ),
    ]
    report.notes.append(
        f"429s are counted, not a target: {result['rate_limited']:,} of "
        f"{result['requests']:,} requests. Two `python -m bot` processes on one PostgreSQL "
        f"database; both were ready {secs(result['seconds_ready_before_due'])} before the "
        "due instant."
    )
    report.data = {"ideal_seconds": ideal, **result}
