"""Interaction latency under a burst, the real bot against a bare discord.py bot.

Two bursts, each played against the bots, each on its own loopback Discord in this
process: the real bot; a bare discord.py bot answering constants (shown for information);
and that bare bot storing each click as one row with one INSERT through the bot's driver
before it answers (the baseline of the targets: the least a bot that keeps answers must
do). The real bot and the storing bot run once on SQLite (aiosqlite) and once on
PostgreSQL (asyncpg; a fresh database each on the server at BENCH_DATABASE_URL, default
the test server, dropped after; left out, and said so, when no server answers). The
bursts:

- daily: members click an answer on one daily challenge, their clicks spread evenly over
  one second; the result is the ephemeral reply;
- quiz: members who each started `/quiz` all click an answer at once; the result is the
  update of their question message.

Latency runs from the interaction's dispatch to the callback that shows the result, both
stamped by the fake on one clock (a deferred answer would count at its edit). The bots take
turns, round after round, in an order rotated each round, so drift hits all alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import random
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bench._barebot import DAILY_REPLY, QUIZ_REPLY, BareBot, question_embed
from bench._common import Report, Table, Target, ms, ratio, summary, times
from bench._fake import ResultClock, widen_backlog
from bench._postgres import create_database, drop_database, postgres_server
from bench._storingbot import PostgresStoringBareBot, StoringBareBot
from bot.domain.decks import load_deck_file
from tests import engines
from tests.fakediscord import Channel, FakeDiscord, Guild, InteractionHandle, Member
from tests.fakediscord.patching import patch_discord_endpoints
from tests.harness import SHIPPED_DECKS, BotRunner, FakeClock, post_daily_now, restored_endpoints

NAME = "latency"
SCENARIOS: tuple[str, ...] = ("daily", "quiz")
KINDS = ("bot", "bare", "stored", "bot-pg", "stored-pg")
LABELS = {
    "bot": "quiz bot, SQLite",
    "bare": "bare discord.py",
    "stored": "bare + one aiosqlite INSERT",
    "bot-pg": "quiz bot, PostgreSQL",
    "stored-pg": "bare + one asyncpg INSERT",
}
# Each real bot against the storing bot on its engine.
ENGINE_PAIRS = (("bot", "stored", "SQLite"), ("bot-pg", "stored-pg", "PostgreSQL"))
BASELINE = {"bot": "stored", "stored": "stored", "bot-pg": "stored-pg", "stored-pg": "stored-pg"}
DAILY_SPREAD = 1.0  # seconds over which the daily clicks are dispatched
# The bot's p99 may be this many times the p99 of the bare bot that stores each click.
WITHIN_STORING = 1.25
# Discord's deadline for the first answer is 3 s; a reply this late would leave no margin
# for a real network, so "well inside" means two thirds of it.
DEADLINE = 3.0
WELL_INSIDE = 2.0
# A generous bound on a burst; a bot slower than this has failed anyway.
BURST_TIMEOUT = 60.0
BUTTON = re.compile(r"^(?:daily:(?P<challenge>\d+)|quiz:(?P<session>[a-z0-9]+):0):[abcd]$")


@dataclass
class Burst:
    """What one burst measured: a latency per shown result, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    # (dispatched at, latency) per shown result, on the event loop's clock
    windows: list[tuple[float, float]] = field(default_factory=list)
    unanswered: int = 0
    refused: list[str] = field(default_factory=list)
    odd_replies: int = 0  # answered, but not with a result (an apology, an error)
    stored_ok: bool | None = None  # every answer stored exactly once (real bot only)
    stored_detail: str = ""


@dataclass
class RoundWorld:
    guild: Guild
    channel: Channel
    admin: Member
    daily_members: list[Member]
    quiz_members: list[Member]


def _round_world(fake: FakeDiscord, number: int, members: int) -> RoundWorld:
    guild = fake.add_guild(f"Burst {number}")
    channel = fake.add_text_channel(guild.id, "daily")
    admin = fake.add_member(
        guild.id, f"admin-{number}", permissions=discord.Permissions(manage_guild=True)
    )
    daily = [fake.add_member(guild.id, f"d{number}-{i}") for i in range(members)]
    quiz = [fake.add_member(guild.id, f"q{number}-{i}") for i in range(members)]
    return RoundWorld(guild, channel, admin, daily, quiz)


def _custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


async def _dispatch(
    fake: FakeDiscord,
    clock: ResultClock,
    clicks: list[tuple[dict[str, Any], str, Member]],
    *,
    spread: float,
) -> list[InteractionHandle]:
    """Click each (message, label, member); evenly over ``spread`` seconds, or all at once."""
    # Both bots share this process: start each burst with no garbage left by the other
    # bot's turn (a full collection of it once stalled the bare bot for 120 ms).
    gc.collect()
    loop = asyncio.get_running_loop()
    start = loop.time()
    handles = []
    for index, (message, label, member) in enumerate(clicks):
        if spread:
            delay = start + spread * index / len(clicks) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        handle = await fake.click(message, label, user=member)
        clock.watch(handle)
        handles.append(handle)
    return handles


def _collect(
    clock: ResultClock,
    handles: list[InteractionHandle],
    burst: Burst,
    is_result: Callable[[dict[str, Any]], bool],
) -> None:
    for handle in handles:
        latency = clock.latency(handle)
        if latency is not None:
            burst.latencies.append(latency)
            burst.windows.append((handle.dispatched_at, latency))
            message = handle.message
            if message is None or not is_result(message):
                burst.odd_replies += 1
        elif handle.id in clock.failed:
            burst.refused.append(clock.failed[handle.id])
        else:
            burst.unanswered += 1


def _bot_result(message: dict[str, Any]) -> bool:
    # The bot shows a result in an embed; its apologies and refusals are plain text.
    return bool(message.get("embeds"))


def _bare_result(message: dict[str, Any]) -> bool:
    return message.get("content") in (DAILY_REPLY, QUIZ_REPLY)


async def _start_quizzes(
    fake: FakeDiscord, world: RoundWorld, members: list[Member]
) -> list[dict[str, Any]]:
    """Each member runs `/quiz`; returns their question messages (ten at a time, unmeasured)."""
    messages: list[dict[str, Any]] = []
    for first in range(0, len(members), 10):
        started = [
            await fake.invoke_slash("quiz", {}, user=member, channel=world.channel)
            for member in members[first : first + 10]
        ]
        for handle in started:
            await handle.wait_response(timeout=30)
            assert handle.message is not None, "a /quiz got no question"
            messages.append(handle.message)
    return messages


def _pick(rng: random.Random, members: list[Member]) -> list[str]:
    return [rng.choice("ABCD") for _ in members]


class RealArena:
    """The bot as `python -m bot` builds it, on its own fake and a fresh database (an
    SQLite file, or a PostgreSQL URL)."""

    def __init__(self, fake: FakeDiscord, database: Path | str) -> None:
        self.kind = "bot" if isinstance(database, Path) else "bot-pg"
        self.fake = fake
        self.runner = BotRunner(fake, database, clock=FakeClock())
        self.clock = ResultClock()
        self.synced = False

    async def start(self) -> None:
        try:
            await self.runner.start()
        except BaseException:
            # Close the database too, or its worker thread keeps the process alive.
            with contextlib.suppress(Exception):
                await self.runner.stop()
            raise
        if not self.synced:
            await self.fake.wait_commands_synced(scope=None, timeout=30)
            self.synced = True

    async def stop(self) -> None:
        await self.runner.stop()

    async def daily(self, world: RoundWorld, rng: random.Random) -> Burst:
        fake = self.fake
        await fake.sync_gateway()
        message = await post_daily_now(fake, world.channel, world.admin, timeout=30)
        match = BUTTON.match(_custom_ids(message)[0])
        assert match and match["challenge"], "the daily post has no answer buttons"
        letters = _pick(rng, world.daily_members)
        clicks = [
            (message, letter, m) for letter, m in zip(letters, world.daily_members, strict=True)
        ]
        handles = await _dispatch(fake, self.clock, clicks, spread=DAILY_SPREAD)
        await self.clock.wait(BURST_TIMEOUT)
        burst = Burst()
        _collect(self.clock, handles, burst, _bot_result)
        rows = self._rows(
            "SELECT user_id, COUNT(*) FROM answers WHERE challenge_id = ? GROUP BY user_id",
            int(match["challenge"]),
        )
        expected = {m.id for m in world.daily_members}
        burst.stored_ok = {r[0] for r in rows} == expected and all(r[1] == 1 for r in rows)
        burst.stored_detail = f"{len(rows)} members stored of {len(expected)}"
        # The answer count on the post is edited after the burst; let it finish unmeasured.
        daily = self.runner.bot.get_cog("Daily") if self.runner.bot else None
        if daily is not None:
            await daily.live.idle()  # type: ignore[attr-defined]
        return burst

    async def quiz(self, world: RoundWorld, rng: random.Random) -> Burst:
        fake = self.fake
        messages = await _start_quizzes(fake, world, world.quiz_members)
        sessions = []
        for message in messages:
            match = BUTTON.match(_custom_ids(message)[0])
            assert match and match["session"], "a quiz question has no answer buttons"
            sessions.append(match["session"])
        letters = _pick(rng, world.quiz_members)
        clicks = list(zip(messages, letters, world.quiz_members, strict=True))
        handles = await _dispatch(fake, self.clock, clicks, spread=0)
        await self.clock.wait(BURST_TIMEOUT)
        burst = Burst()
        _collect(self.clock, handles, burst, _bot_result)
        marks = ",".join("?" * len(sessions))
        rows = self._rows(
            "SELECT session_id, COUNT(*), MIN(question_index), MAX(question_index) "
            f"FROM answers WHERE session_id IN ({marks}) GROUP BY session_id",
            *sessions,
        )
        burst.stored_ok = len(rows) == len(sessions) and all(
            r[1] == 1 and r[2] == r[3] == 0 for r in rows
        )
        burst.stored_detail = f"{len(rows)} sessions with one answer of {len(sessions)}"
        return burst

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return engines.rows(self.runner.database, sql, *params)


class BareArena:
    """The bare discord.py bot on its own fake."""

    kind = "bare"

    def __init__(self, fake: FakeDiscord, question: discord.Embed) -> None:
        self.fake = fake
        self.question = question
        self.clock = ResultClock()
        self.bot: BareBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._endpoints: contextlib.ExitStack | None = None

    def make_bot(self) -> BareBot:
        return BareBot(question=self.question)

    def check_stored(self, burst: Burst, message_ids: list[int], members: int) -> None:
        """The bare bot stores nothing."""

    async def start(self) -> None:
        self._endpoints = contextlib.ExitStack()
        self._endpoints.enter_context(patch_discord_endpoints(self.fake))
        self.bot = self.make_bot()
        self._task = asyncio.create_task(self.bot.start(self.fake.token))
        await self.fake.wait_ready(timeout=30)
        await self.fake.wait_commands_synced(scope=None, timeout=30)

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=10)
        await self.fake.wait_disconnected()
        if self._endpoints is not None:
            self._endpoints.close()
        self.bot, self._task, self._endpoints = None, None, None

    async def daily(self, world: RoundWorld, rng: random.Random) -> Burst:
        assert self.bot is not None
        await self.fake.sync_gateway()
        embed = self.question.copy()
        embed.title = "Daily challenge · Monday 2 March 2026"
        message_id = await self.bot.post_question(world.channel.id, embed)
        message = self.fake.message(message_id)
        assert message is not None
        letters = _pick(rng, world.daily_members)
        clicks = [
            (message, letter, m) for letter, m in zip(letters, world.daily_members, strict=True)
        ]
        handles = await _dispatch(self.fake, self.clock, clicks, spread=DAILY_SPREAD)
        await self.clock.wait(BURST_TIMEOUT)
        burst = Burst()
        _collect(self.clock, handles, burst, _bare_result)
        self.check_stored(burst, [message_id], len(clicks))
        return burst

    async def quiz(self, world: RoundWorld, rng: random.Random) -> Burst:
        messages = await _start_quizzes(self.fake, world, world.quiz_members)
        letters = _pick(rng, world.quiz_members)
        clicks = list(zip(messages, letters, world.quiz_members, strict=True))
        handles = await _dispatch(self.fake, self.clock, clicks, spread=0)
        await self.clock.wait(BURST_TIMEOUT)
        burst = Burst()
        _collect(self.clock, handles, burst, _bare_result)
        self.check_stored(burst, [int(m["id"]) for m in messages], len(clicks))
        return burst


class StoringArena(BareArena):
    """The bare bot that stores each click with one INSERT (aiosqlite on an SQLite file,
    asyncpg on a PostgreSQL URL), on its own fake."""

    def __init__(self, fake: FakeDiscord, question: discord.Embed, database: Path | str) -> None:
        super().__init__(fake, question)
        self.database = database
        self.kind = "stored" if isinstance(database, Path) else "stored-pg"

    def make_bot(self) -> BareBot:
        if isinstance(self.database, Path):
            return StoringBareBot(self.database, question=self.question)
        return PostgresStoringBareBot(self.database, question=self.question)

    def check_stored(self, burst: Burst, message_ids: list[int], members: int) -> None:
        marks = ",".join("?" * len(message_ids))
        ((stored,),) = engines.rows(
            self.database,
            f"SELECT COUNT(*) FROM clicks WHERE message_id IN ({marks})",
            *message_ids,
        )
        burst.stored_ok = stored == members
        burst.stored_detail = f"{stored} clicks stored of {members}"


def _shipped_question() -> discord.Embed:
    deck = load_deck_file(SHIPPED_DECKS / "aws-mla-c01-deployment.yaml")
    card = deck.cards[0]
    options = [card.back] + [other.back for other in deck.cards[1:4]]
    return question_embed("Question 1 of 10", card.front, options)


Results = dict[str, dict[str, list[Burst]]]  # bot kind -> burst scenario -> one per round


async def play_rounds(
    arenas: Sequence[RealArena | BareArena], rounds: int, members: int, rng: random.Random
) -> Results:
    """Each round, every bot in turn (in an order rotated each round, so drift hits all
    alike) starts, plays each burst on a fresh server of its fake, and stops."""
    results: Results = {arena.kind: {scenario: [] for scenario in SCENARIOS} for arena in arenas}
    for number in range(rounds):
        turn = number % len(arenas)
        for arena in [*arenas[turn:], *arenas[:turn]]:
            world = _round_world(arena.fake, number, members)
            await arena.start()
            try:
                for scenario in SCENARIOS:
                    burst = await getattr(arena, scenario)(world, rng)
                    results[arena.kind][scenario].append(burst)
            finally:
                await arena.stop()
    return results


FakeMaker = Callable[[], Awaitable[FakeDiscord]]


@contextlib.asynccontextmanager
async def loopback_discords(prefix: str) -> AsyncIterator[tuple[Path, FakeMaker]]:
    """A temporary directory, and a maker of loopback Discords (each with a backlog wide
    enough for a burst); when the block ends, each is checked for broken Discord limits,
    then all are closed."""
    made: list[FakeDiscord] = []
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, restored_endpoints():
        async with contextlib.AsyncExitStack() as stack:

            async def fake() -> FakeDiscord:
                server = await stack.enter_async_context(FakeDiscord())
                widen_backlog(server)
                made.append(server)
                return server

            yield Path(tmp), fake
            for server in made:
                if server.limit_violations:
                    raise AssertionError(f"Discord limits broken: {server.limit_violations[:3]}")


async def _measure(members: int, rounds: int, postgres: bool) -> Results:
    results: Results = {kind: {scenario: [] for scenario in SCENARIOS} for kind in KINDS}
    rng = random.Random(20260302)
    made: list[str] = []
    try:
        async with loopback_discords("bench-latency-") as (tmp, fake):
            question = _shipped_question()
            arenas: list[RealArena | BareArena] = [
                RealArena(await fake(), tmp / "bot.sqlite3"),
                BareArena(await fake(), question),
                StoringArena(await fake(), question, tmp / "stored.sqlite3"),
            ]
            if postgres:
                made += [
                    await asyncio.to_thread(create_database, "bench_latency") for _ in range(2)
                ]
                arenas += [
                    RealArena(await fake(), made[0]),
                    StoringArena(await fake(), question, made[1]),
                ]
            results.update(await play_rounds(arenas, rounds, members, rng))
    finally:
        for url in made:
            await asyncio.to_thread(drop_database, url)
    return results


def run(quick: bool) -> Report:
    members, rounds = (50, 1) if quick else (200, 5)
    server, problem = postgres_server()
    results = asyncio.run(_measure(members, rounds, postgres=server is not None))
    report = Report(
        name=NAME,
        title="Interaction latency under a burst",
        command=f"python -m bench latency{' --quick' if quick else ''}",
        sizes={"members per burst": members, "rounds per bot": rounds},
    )
    kinds = [kind for kind in KINDS if results[kind][SCENARIOS[0]]]
    pairs = [pair for pair in ENGINE_PAIRS if pair[0] in kinds]
    rows = []
    spread: list[str] = []
    against_stored: list[str] = []
    baseline_faults: list[str] = []
    for scenario in SCENARIOS:
        stats = {}
        for kind in kinds:
            bursts = results[kind][scenario]
            latencies = [value for burst in bursts for value in burst.latencies]
            stats[kind] = summary(latencies)
            report.data[f"{scenario}_{kind}"] = {
                **stats[kind],
                "unanswered": sum(b.unanswered for b in bursts),
                "refused": [reason for b in bursts for reason in b.refused],
                "odd_replies": sum(b.odd_replies for b in bursts),
                "latencies_ms": [round(v * 1000, 3) for v in latencies],
            }
        p99_ratios = {kind: ratio(stats[kind]["p99"], stats["bare"]["p99"]) for kind in kinds}
        for bot, stored, engine in pairs:
            p99_ratio = ratio(stats[bot]["p99"], stats[stored]["p99"])
            suffix = "" if bot == "bot" else "_postgres"
            report.data[f"{scenario}{suffix}_p99_ratio_vs_stored"] = p99_ratio
            report.data[f"{scenario}{suffix}_p99_ratio"] = p99_ratios[bot]
            report.data[f"{scenario}{suffix}_stored_p99_ratio"] = p99_ratios[stored]
            per_round = _round_ratios(results[bot][scenario], results[stored][scenario])
            report.data[f"{scenario}{suffix}_p99_ratio_per_round"] = per_round
            spread.append(
                f"{scenario} on {engine}: p99 vs storing round by round "
                f"{', '.join(times(r) for r in per_round)}; p50 vs bare over every round "
                f"{times(ratio(stats[bot]['p50'], stats['bare']['p50']))}"
            )
            against_stored.append(
                f"{scenario} on {engine}: p99 {times(p99_ratio)}, "
                f"p50 {times(ratio(stats[bot]['p50'], stats[stored]['p50']))}"
            )
            stored_bursts = results[stored][scenario]
            if not all(b.stored_ok for b in stored_bursts) or any(
                b.unanswered or b.refused or b.odd_replies for b in stored_bursts
            ):
                baseline_faults.append(
                    f"{scenario} on {engine}: " + "; ".join(b.stored_detail for b in stored_bursts)
                )
            bot_bursts = results[bot][scenario]
            missing = sum(b.unanswered + len(b.refused) + b.odd_replies for b in bot_bursts)
            report.targets += [
                Target(
                    f"{scenario} on {engine}: p99 within {WITHIN_STORING}× the bare bot's "
                    "that stores each click as one row through the same driver",
                    p99_ratio <= WITHIN_STORING,
                    f"{ms(stats[bot]['p99'])} vs {ms(stats[stored]['p99'])}: {times(p99_ratio)}",
                ),
                Target(
                    f"{scenario} on {engine}: every interaction answered well inside "
                    f"{DEADLINE:.0f} s (all shown, slowest under {WELL_INSIDE:.0f} s)",
                    missing == 0 and stats[bot]["max"] < WELL_INSIDE,
                    f"slowest {ms(stats[bot]['max'])}, {missing} not answered with a result",
                ),
                Target(
                    f"{scenario} on {engine}: every answer in the database exactly once",
                    all(b.stored_ok for b in bot_bursts),
                    "; ".join(b.stored_detail for b in bot_bursts),
                ),
            ]
        for kind in kinds:
            s = stats[kind]
            baseline = BASELINE.get(kind)
            rows.append(
                [
                    scenario,
                    LABELS[kind],
                    f"{s['n']:,}",
                    ms(s["p50"]),
                    ms(s["p95"]),
                    ms(s["p99"]),
                    ms(s["max"]),
                    "–" if baseline is None else times(ratio(s["p99"], stats[baseline]["p99"])),
                    times(p99_ratios[kind]),
                ]
            )
    report.tables.append(
        Table(
            "Dispatch to the response that shows the result",
            [
                "burst",
                "bot",
                "interactions",
                "p50",
                "p95",
                "p99",
                "max",
                "p99 vs storing (same engine)",
                "p99 vs bare",
            ],
            rows,
        )
    )
    report.notes.append(
        f"daily: {members} members click one challenge within {DAILY_SPREAD:.0f} s; quiz: "
        f"{members} members answer question 1 of their own `/quiz` at the same instant. "
        "Percentiles are nearest-rank over every round. The bots share this process and "
        "event loop with the fake, as in the test suite; PostgreSQL runs on the same machine."
    )
    report.notes.append(
        "The targets compare the bot with the storing bot on the same engine: the bare bot "
        "plus one single-row INSERT per click through the same driver (aiosqlite, or an "
        "asyncpg pool) before its answer, what storing an answer at all costs. The bare bot, "
        "which stores nothing, is shown for information. The bot against the storing bot: "
        + "; ".join(against_stored)
        + "."
    )
    if server is None:
        report.notes.append(f"PostgreSQL half left out: no server answers ({problem}).")
    if baseline_faults:
        report.notes.append(
            "The storing baseline missed clicks, so its row is not a fair floor: "
            + "; ".join(baseline_faults)
            + "."
        )
    kth = members - math.ceil(0.99 * members) + 1  # which slowest click is a round's p99
    nth = {1: "", 2: "second ", 3: "third "}.get(kth, f"{kth}th ")
    report.notes.append(
        f"How much the ratio moves between rounds (a round's p99 is its {nth}slowest click "
        f"of {members}, so a single stall decides it): " + "; ".join(spread) + "."
    )
    return report


def _round_ratios(bot: list[Burst], baseline: list[Burst]) -> list[float]:
    """The p99 ratio of each round, bot against a baseline (they take turns in a round)."""
    return [
        ratio(summary(mine.latencies)["p99"], summary(theirs.latencies)["p99"])
        for mine, theirs in zip(bot, baseline, strict=True)
        if mine.latencies and theirs.latencies
    ]


def check_stored(results: Results) -> None:
    """For the diagnostics: a bot that lost or doubled a click measured something else."""
    for kind, scenarios in results.items():
        for bursts in scenarios.values():
            for burst in bursts:
                if burst.stored_ok is False:
                    raise AssertionError(f"{kind}: {burst.stored_detail}")


def print_ratios(results: Results, labels: dict[str, str], baseline: str) -> None:
    """For the diagnostics: each bot's p50 and p99 per burst, and its p99 against the
    baseline bot's, over every round and round by round, as a Markdown table."""
    print(f"| burst | bot | p50 | p99 | p99 vs {baseline} | p99 vs {baseline}, round by round |")
    print("| --- | --- | --- | --- | --- | --- |")
    for scenario in SCENARIOS:
        bursts = {kind: results[kind][scenario] for kind in labels}
        stats = {
            kind: summary([v for burst in found for v in burst.latencies])
            for kind, found in bursts.items()
        }
        for kind, label in labels.items():
            shape = stats[kind]
            against = times(ratio(shape["p99"], stats[baseline]["p99"]))
            by_round = ", ".join(times(r) for r in _round_ratios(bursts[kind], bursts[baseline]))
            print(
                f"| {scenario} | {label} | {ms(shape['p50'])} | {ms(shape['p99'])} "
                f"| {against} | {by_round} |"
            )
