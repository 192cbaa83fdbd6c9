"""Stored deadlines with several processes on one database: each is served once, by the
process that runs its server's shard, and one whose holder died is taken over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.domain.shards import ShardPlan
from bot.storage.fleet import TIMER_LEASE
from bot.storage.models import from_ms
from bot.storage.rounds import ROUND_TIMER
from tests.conftest import StudyServer
from tests.fakediscord import Channel, FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.rounds import (
    current_round,
    database,
    is_question,
    rounds_cog,
    rows,
    start_round,
)


def claim_of(runner: BotRunner, round_id: int) -> tuple[str | None, datetime | None]:
    """Who holds a round's deadline, and until when, read straight from the database."""
    [(holder, until)] = rows(
        runner,
        "SELECT claimed_by, claimed_until FROM timers WHERE kind = ? AND target = ?",
        ROUND_TIMER,
        round_id,
    )
    return holder, None if until is None else from_ms(int(until))


pytestmark = pytest.mark.engines


@pytest.fixture
async def pair(
    fake: FakeDiscord, bot_database: Path | str, clock: FakeClock
) -> AsyncIterator[tuple[BotRunner, BotRunner]]:
    """Two bots on one database and one clock; the test gives them their shards."""
    runners = (
        BotRunner(fake, bot_database, clock=clock),
        BotRunner(fake, bot_database, clock=clock),
    )
    yield runners
    for runner in reversed(runners):
        await runner.stop()


async def quiet(runner: BotRunner) -> None:
    """Stop the bot's own timer loop: the test runs its passes."""
    assert runner.bot is not None
    await runner.bot.timers.stop()


def questions(fake: FakeDiscord, channel: Channel, number: int) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if is_question(number)(m)]


async def test_a_deadline_two_processes_both_see_is_served_once(
    fake: FakeDiscord, server: StudyServer, pair: tuple[BotRunner, BotRunner]
) -> None:
    first, second = pair  # both run every shard: a misconfiguration, or a rolling restart
    await first.start()
    await second.start()
    await quiet(first)
    await quiet(second)
    await start_round(fake, server.channel, server.alice, questions=2, seconds=20)
    found = await current_round(first, server.channel)
    assert first.bot is not None and second.bot is not None
    inside, release = asyncio.Event(), asyncio.Event()
    serve = rounds_cog(first)._due  # noqa: SLF001 - the handler the first process is held in

    async def held(target: int, now: datetime) -> None:
        inside.set()
        await release.wait()
        await serve(target, now)

    first.bot.timers.handle(ROUND_TIMER, held)
    first_run = asyncio.create_task(first.bot.timers.run_due())
    await inside.wait()
    holder, until = claim_of(second, found.id)
    assert holder == first.bot.instance_id and until is not None
    # The second process sees the deadline claimed: it does not ask the question too.
    await second.bot.timers.run_due()
    assert questions(fake, server.channel, 1) == []
    release.set()
    await first_run
    assert len(questions(fake, server.channel, 1)) == 1
    # Served and released: the next deadline is anyone's who runs the server.
    assert claim_of(second, found.id) == (None, None)
    second.clock.advance(seconds=21)
    assert await second.bot.timers.run_due() >= 1
    assert (await current_round(second, server.channel)).phase.value != "question"
    assert len(questions(fake, server.channel, 1)) == 1


async def test_a_claim_whose_holder_died_is_served_once_its_lease_ends(
    fake: FakeDiscord, server: StudyServer, pair: tuple[BotRunner, BotRunner]
) -> None:
    first, second = pair
    await first.start()
    await second.start()
    await quiet(first)
    await quiet(second)
    await start_round(fake, server.channel, server.alice, questions=2, seconds=20)
    found = await current_round(first, server.channel)
    now = first.clock.now
    # A process claimed the first step, then died before serving it.
    assert await database(first).timers.claim(ROUND_TIMER, found.id, holder="gone", now=now)
    await first.stop()
    assert second.bot is not None
    await second.bot.timers.run_due()
    assert questions(fake, server.channel, 1) == []
    assert await database(second).timers.next_due() == now + TIMER_LEASE
    second.clock.advance(seconds=TIMER_LEASE.total_seconds())
    await second.bot.timers.run_due()
    assert len(questions(fake, server.channel, 1)) == 1


async def test_each_process_serves_the_deadlines_of_its_own_shards(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner]
) -> None:
    fake.set_session_start_limit(max_concurrency=2)
    first, second = pair
    first.shards, second.shards = ShardPlan(2, 0, 2), ShardPlan(2, 1, 2)
    await first.start()
    await second.start()
    await quiet(first)
    await quiet(second)
    guild = fake.add_guild("Second shard", shard=(1, 2))
    channel = fake.add_text_channel(guild.id, "rounds")
    alice = fake.add_member(guild.id, "alice", permissions=discord.Permissions())
    await fake.sync_gateway()
    await start_round(fake, channel, alice, questions=2, seconds=20)
    assert first.bot is not None and second.bot is not None
    # The server's events reach the second process only; the first leaves its deadline.
    assert await first.bot.timers.run_due() == 0
    assert await database(first).timers.next_due(first.bot.shard_scope()) is None
    assert questions(fake, channel, 1) == []
    assert await second.bot.timers.run_due() == 1
    assert len(questions(fake, channel, 1)) == 1
    # After a restart, only the process that runs the server gives its question more time.
    now = second.clock.advance(seconds=60)
    assert (
        await database(first).rounds.reopen_after_restart(now, shards=first.bot.shard_scope()) == []
    )
    [reopened] = await database(second).rounds.reopen_after_restart(
        now, shards=second.bot.shard_scope()
    )
    assert reopened.closes_at is not None and reopened.closes_at > now
