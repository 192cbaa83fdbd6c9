"""Daily fan-out across shards: many servers due at the same minute, split over 8 shards
run by 2 bots, against one global limit of 50 requests per second shared by both.

Each bot posts the servers on its own shards (`(guild_id >> 22) % 8`); the fake counts the
global limit per bot token, so the two bots compete for the same 50 requests a second, as
two processes of one bot do. Both bots run in this process on one SQLite file (the claims
of the day's posts are the same SQL on PostgreSQL); each has its own discord.py client and
rate limit handling, which is what the shared limit tests.

Ideal: N posts of one request each under G per second take N/G seconds. The time runs
from the start of both scheduler runs to the fake's answer to the last post.

Fleet start-up: one bot starts 16 shards with ``max_concurrency`` 1 and 16, the fake
enforcing the IDENTIFY buckets. Discord's window is 5 s; the run uses 0.5 s (the bot's
and the fake's alike) so that it takes seconds, not minutes; the ideal is
``(ceil(16 / max_concurrency) - 1) × window``: the last IDENTIFY of the busiest bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
from collections import Counter
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from bench._common import Report, Table, Target, ratio, secs, times
from bench._fake import RequestClock, widen_backlog
from bot.domain.shards import ShardPlan
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock, restored_endpoints
from tests.helpers.daily import daily_cog

NAME = "shards"
GLOBAL_LIMIT = 50
SHARDS = 8
PROCESSES = 2
POST = ("POST", "/channels/{channel_id}/messages")
FLEET_SHARDS = 16
WINDOW = 0.5
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


async def _servers(fake: FakeDiscord, runner: BotRunner, count: int) -> list[int]:
    """``count`` servers spread evenly over the shards, each with a challenge due at DUE."""
    assert runner.db is not None
    channels = []
    for number in range(count):
        guild = fake.add_guild(f"Server {number}", shard=(number % SHARDS, SHARDS))
        channel = fake.add_text_channel(guild.id, "daily")
        channels.append(channel.id)
        await runner.db.members.upsert_guild(guild.id, guild.name, START)
        await runner.db.daily.save_schedule(
            guild_id=guild.id,
            channel_id=channel.id,
            post_time=time(9, 0),
            timezone="Europe/Berlin",
            deck_id="aws-mla-c01-deployment",
            topic=None,
            role_id=None,
            reveal_after=None,
            next_post_at=DUE,
            reveal_by=DUE,
            updated_by=None,
            now=START,
        )
    return channels


async def _measure(servers: int, database: Path) -> dict[str, Any]:
    async with FakeDiscord() as fake:
        widen_backlog(fake)
        fake.set_session_start_limit(max_concurrency=SHARDS)
        clock = FakeClock(START)
        runners = [
            BotRunner(fake, database, clock=clock, shards=ShardPlan(SHARDS, index, PROCESSES))
            for index in range(PROCESSES)
        ]
        try:
            for runner in runners:
                await runner.start()
            channels = await _servers(fake, runners[0], servers)
            await fake.sync_gateway(timeout=60)
            requests = RequestClock(fake)
            fake.set_global_limit(GLOBAL_LIMIT)
            await asyncio.sleep(1.1)  # a quiet second: the window starts with the first post
            first = len(fake.requests)
            clock.now = DUE
            loop = asyncio.get_running_loop()
            start = loop.time()
            reports = await asyncio.gather(
                *(daily_cog(runner).scheduler.run_due() for runner in runners)
            )
            served = list(zip(fake.requests[first:], requests.stamps[first:], strict=True))
            posts = [(r, t) for r, t in served if (r.method, r.route) == POST and r.status == 200]
            per_channel = Counter(int(r.path.split("/")[2]) for r, _ in posts)
            mine = [r for r, _ in served if not r.path.startswith("/interactions/")]
            with contextlib.closing(sqlite3.connect(database)) as conn:
                states = dict(
                    conn.execute("SELECT state, COUNT(*) FROM daily_challenges GROUP BY state")
                )
            return {
                "seconds_to_last_post": max((t for _, t in posts), default=start) - start,
                "posted": len(posts),
                "lost": sum(1 for c in channels if per_channel[c] == 0),
                "doubled": sum(1 for c in channels if per_channel[c] > 1),
                "rate_limited": sum(1 for r in mine if r.status == 429),
                "requests": len(mine),
                "per_process": [report.posted for report in reports],
                "stood_down": sum(report.stood_down for report in reports),
                "challenge_states": states,
                "violations": [str(v) for v in fake.limit_violations],
            }
        finally:
            for runner in reversed(runners):
                await runner.stop()


async def _fleet_start(max_concurrency: int, database: Path) -> tuple[float, int, int]:
    """Seconds until every shard is ready, IDENTIFYs refused, sessions started."""
    async with FakeDiscord() as fake:
        fake.set_session_start_limit(max_concurrency=max_concurrency, identify_window=WINDOW)
        for shard_id in range(FLEET_SHARDS):
            fake.add_guild(f"Server {shard_id}", shard=(shard_id, FLEET_SHARDS))
        runner = BotRunner(fake, database, shards=ShardPlan(FLEET_SHARDS))
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            await runner.start()
            seconds = loop.time() - start
        finally:
            await runner.stop()
        return seconds, fake.identify_refusals, fake.session_starts


def _fleet_table(report: Report, database: Path) -> None:
    rows = []
    refused = 0
    for max_concurrency in (1, 16):
        path = database.with_name(f"fleet-{max_concurrency}.sqlite3")
        seconds, refusals, starts = asyncio.run(_fleet_start(max_concurrency, path))
        ideal = (-(-FLEET_SHARDS // max_concurrency) - 1) * WINDOW
        refused += refusals
        rows.append([str(max_concurrency), str(starts), secs(seconds), secs(ideal), str(refusals)])
        report.data[f"fleet_start_mc{max_concurrency}"] = {
            "seconds": seconds,
            "ideal_seconds": ideal,
            "refused": refusals,
            "session_starts": starts,
        }
    report.tables.append(
        Table(
            f"{FLEET_SHARDS} shards starting, IDENTIFY window {WINDOW} s (Discord's: 5 s)",
            ["max_concurrency", "sessions started", "all shards ready", "ideal", "refused"],
            rows,
        )
    )
    report.targets.append(
        Target("no IDENTIFY refused at start-up", refused == 0, f"{refused} refused (4008)")
    )


def run(quick: bool) -> Report:
    servers = 500 if quick else 5000
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp, restored_endpoints():
        result = asyncio.run(_measure(servers, Path(tmp) / "bot.sqlite3"))
        fleet = Report(NAME, "", "", {})
        _fleet_table(fleet, Path(tmp) / "bot.sqlite3")
    ideal = servers / GLOBAL_LIMIT
    seconds = float(result["seconds_to_last_post"])
    report = Report(
        name=NAME,
        title="Daily fan-out across shards and processes",
        command=f"python -m bench shards{' --quick' if quick else ''}",
        sizes={"servers due at once": servers, "shards": SHARDS, "bots": PROCESSES},
    )
    report.tables.append(
        Table(
            f"{servers} servers on {SHARDS} shards run by {PROCESSES} bots, one global limit "
            f"of {GLOBAL_LIMIT}/s; ideal N/G = {secs(ideal)}",
            [
                "posts",
                "per bot",
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
    report.targets += [
        Target(
            "last post within 1.2× the ideal",
            ratio(seconds, ideal) <= 1.2,
            f"{secs(seconds)} vs {secs(ideal)}: {times(ratio(seconds, ideal))}",
        ),
        Target(
            "no post lost or doubled",
            result["lost"] == 0
            and result["doubled"] == 0
            and result["challenge_states"] == {"posted": servers},
            f"{result['lost']} lost, {result['doubled']} doubled, rows "
            f"{result['challenge_states']}",
        ),
    ]
    report.notes.append(
        f"429s are counted, not a target: {result['rate_limited']:,} of "
        f"{result['requests']:,} requests. Both bots run in one process on one event loop; "
        "separate processes on PostgreSQL are not measured here."
    )
    report.data = {"ideal_seconds": ideal, **result, **fleet.data}
    report.tables += fleet.tables
    report.targets += fleet.targets
    return report
