"""Daily fan-out: many servers due at the same minute, under Discord's rate limits.

The fake enforces a global limit of 50 requests per second (a fixed one-second window,
answered with ``"global": true`` 429s) and Discord's per-channel limit on creating and
editing messages (5 per 5 s). The real bot's scheduler run is timed from its start to the
last successful post, against the ideal the limits allow and against a bare discord.py
client sending the same posts (an embed and four buttons each), eight at a time like the
bot, on a fake with the same limits.

Ideal: N posts needing k requests each under a global limit of G per second take N·k/G
seconds; per-channel limits do not bind, as each channel gets one post. k = 1 (one
message create per post). That is the sustained rate; the first G requests may all go at
once, so the last one can be sent (N·k − G)/G seconds after the first at the earliest.
Both are reported; the target is judged against N·k/G.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._barebot import BareBot, letters_view, question_embed
from bench._common import Report, Table, Target, ratio, secs, times
from bench._fake import RequestClock, widen_backlog
from tests.fakediscord import FakeDiscord
from tests.fakediscord.patching import patch_discord_endpoints
from tests.harness import BotRunner, FakeClock, add_servers_due_for_daily, restored_endpoints

NAME = "fanout"
GLOBAL_LIMIT = 50  # requests per second, Discord's default for a bot
ROUTE_LIMITS = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
}
REQUESTS_PER_POST = 1
CONCURRENCY = 8  # what the bot's scheduler uses, given to the bare client too
POST = ("POST", "/channels/{channel_id}/messages")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


@dataclass
class FanOut:
    seconds_to_last_post: float
    posted: int
    requests: int
    rate_limited: int
    posts_per_channel: Counter[int] = field(default_factory=Counter)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def exactly_once(self) -> bool:
        return set(self.posts_per_channel.values()) == {1}


def _limit(fake: FakeDiscord) -> None:
    for route, (limit, per) in ROUTE_LIMITS.items():
        fake.set_route_limit(route, limit, per)
    fake.set_global_limit(GLOBAL_LIMIT)


def _timeline(fake: FakeDiscord, clock: RequestClock, first: int, start: float) -> FanOut:
    """Posts, requests and 429s from request ``first`` on; times relative to ``start``."""
    served = list(zip(fake.requests[first:], clock.stamps[first:], strict=True))
    posts = [(r, t) for r, t in served if (r.method, r.route) == POST and r.status == 200]
    per_channel: Counter[int] = Counter(int(r.path.split("/")[2]) for r, _ in posts)
    mine = [r for r, _ in served if not r.path.startswith("/interactions/")]
    return FanOut(
        seconds_to_last_post=max((t for _, t in posts), default=start) - start,
        posted=len(posts),
        requests=len(mine),
        rate_limited=sum(1 for r in mine if r.status == 429),
        posts_per_channel=per_channel,
    )


async def _bot(servers: int, database: Path) -> FanOut:
    async with FakeDiscord() as fake:
        widen_backlog(fake)
        clock = FakeClock(START)
        runner = BotRunner(fake, database, clock=clock)
        try:
            await runner.start()
            await fake.wait_commands_synced(scope=None, timeout=30)
            assert runner.db is not None and runner.bot is not None
            db = runner.db
            channels = await add_servers_due_for_daily(fake, db, servers, due=DUE, now=START)
            await fake.sync_gateway(timeout=30)
            daily: Any = runner.bot.get_cog("Daily")
            requests = RequestClock(fake)
            _limit(fake)
            # A quiet second, so the global window starts with the run's first request.
            await asyncio.sleep(1.1)
            first = len(fake.requests)
            clock.now = DUE
            loop = asyncio.get_running_loop()
            start = loop.time()
            result = await daily.scheduler.run_due()
            run_seconds = loop.time() - start
            fanout = _timeline(fake, requests, first, start)
            fanout.detail = {
                "run_seconds": run_seconds,
                "scheduler_posted": result.posted,
                "scheduler_failed": result.failed,
                "violations": [str(v) for v in fake.limit_violations],
            }
            with contextlib.closing(sqlite3.connect(database)) as conn:
                states = dict(
                    conn.execute("SELECT state, COUNT(*) FROM daily_challenges GROUP BY state")
                )
            fanout.detail["challenge_states"] = states
            for channel in channels:  # a channel that got nothing shows up as a zero
                fanout.posts_per_channel.setdefault(channel.id, 0)
            return fanout
        finally:
            await runner.stop()


async def _bare(servers: int) -> FanOut:
    async with FakeDiscord() as fake:
        widen_backlog(fake)
        with patch_discord_endpoints(fake):
            bot = BareBot()
            task = asyncio.create_task(bot.start(fake.token))
            try:
                await fake.wait_ready(timeout=30)
                guilds = [fake.add_guild(f"Server {number}") for number in range(servers)]
                channels = [fake.add_text_channel(g.id, "daily") for g in guilds]
                await fake.sync_gateway(timeout=30)
                embed = question_embed(
                    "Daily challenge · Tuesday 3 March 2026",
                    "What does a SageMaker endpoint serve?",
                    ["Real-time inference", "Training jobs", "Labelling", "Notebooks"],
                )
                requests = RequestClock(fake)
                _limit(fake)
                await asyncio.sleep(1.1)
                first = len(fake.requests)
                slots = asyncio.Semaphore(CONCURRENCY)

                async def post(channel_id: int) -> None:
                    async with slots:
                        view = letters_view("bare-daily")
                        await bot.get_partial_messageable(channel_id).send(embed=embed, view=view)
                        view.stop()

                loop = asyncio.get_running_loop()
                start = loop.time()
                await asyncio.gather(*(post(channel.id) for channel in channels))
                fanout = _timeline(fake, requests, first, start)
                fanout.detail = {"run_seconds": loop.time() - start}
                for channel in channels:
                    fanout.posts_per_channel.setdefault(channel.id, 0)
                return fanout
            finally:
                await bot.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=10)


async def _measure(servers: int) -> tuple[FanOut, FanOut]:
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp, restored_endpoints():
        bare = await _bare(servers)
        real = await _bot(servers, Path(tmp) / "bot.sqlite3")
    return real, bare


def run(quick: bool) -> Report:
    servers = 100 if quick else 500
    real, bare = asyncio.run(_measure(servers))
    ideal = servers * REQUESTS_PER_POST / GLOBAL_LIMIT
    floor = (servers * REQUESTS_PER_POST - GLOBAL_LIMIT) / GLOBAL_LIMIT
    report = Report(
        name=NAME,
        title="Daily fan-out under Discord's rate limits",
        command=f"python -m bench fanout{' --quick' if quick else ''}",
        sizes={"servers due at once": servers},
    )
    rows = []
    for label, result in (("quiz bot scheduler", real), ("bare discord.py, 8 at a time", bare)):
        rows.append(
            [
                label,
                f"{result.posted:,}",
                secs(result.seconds_to_last_post),
                times(ratio(result.seconds_to_last_post, ideal)),
                times(ratio(result.seconds_to_last_post, floor)),
                f"{result.requests / max(result.posted, 1):.2f}",
                f"{result.rate_limited:,}",
                "yes" if result.exactly_once and result.posted == servers else "NO",
            ]
        )
    report.tables.append(
        Table(
            f"{servers} servers due at the same minute; ideal N·k/G = {servers} × "
            f"{REQUESTS_PER_POST} / {GLOBAL_LIMIT} = {secs(ideal)}, "
            f"earliest possible (N·k − G)/G = {secs(floor)}",
            [
                "sender",
                "posts",
                "time to last post",
                "vs ideal",
                "vs earliest",
                "requests per post",
                "429s",
                "each channel once",
            ],
            rows,
        )
    )
    real_ratio = ratio(real.seconds_to_last_post, ideal)
    states = real.detail.get("challenge_states", {})
    report.targets += [
        Target(
            "last post within 1.2× the ideal",
            real_ratio <= 1.2,
            f"{secs(real.seconds_to_last_post)} vs {secs(ideal)}: {times(real_ratio)}; "
            f"bare discord.py {times(ratio(bare.seconds_to_last_post, ideal))}",
        ),
        Target(
            "no post lost or doubled",
            real.exactly_once and real.posted == servers and states == {"posted": servers},
            f"{real.posted} posts in {len(real.posts_per_channel)} channels, "
            f"challenge rows {states}",
        ),
    ]
    report.notes.append(
        f"Limits: global {GLOBAL_LIMIT}/s; "
        + ", ".join(f"`{r}` {n} per {p:.0f} s per channel" for r, (n, p) in ROUTE_LIMITS.items())
        + ". The fake counts the global limit in fixed one-second windows starting at the "
        "first request after a quiet second; the time runs from the start of the scheduler's "
        "run (its database work included) to the fake's answer to the last post."
    )
    report.data = {
        "ideal_seconds": ideal,
        "earliest_seconds": floor,
        "bot": {**_plain(real), "ratio_to_ideal": real_ratio},
        "bare": {**_plain(bare), "ratio_to_ideal": ratio(bare.seconds_to_last_post, ideal)},
    }
    return report


def _plain(result: FanOut) -> dict[str, Any]:
    return {
        "seconds_to_last_post": result.seconds_to_last_post,
        "posted": result.posted,
        "requests": result.requests,
        "rate_limited": result.rate_limited,
        "channels": len(result.posts_per_channel),
        "channels_posted_once": sum(1 for n in result.posts_per_channel.values() if n == 1),
        **result.detail,
    }
