"""A daily challenge's reveal with two processes that both look after its server: it is
revealed once, and the reveal of a process that died is taken over after its lease."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.exts.daily._poster import CLAIM_LEASE
from tests.exts.test_daily_shards import DUE, servers_due
from tests.fakediscord import Channel, FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.daily import daily_cog, database, posts, start_driven_by_hand

pytestmark = pytest.mark.engines

EDIT = "/channels/{channel_id}/messages/{message_id}"


@pytest.fixture
async def pair(
    fake: FakeDiscord, bot_database: Path | str
) -> AsyncIterator[tuple[BotRunner, BotRunner]]:
    """Two bots on one database and one clock, both running every shard (a mistake); the
    tests run their schedulers by hand."""
    clock = FakeClock()
    runners = (
        BotRunner(fake, bot_database, clock=clock),
        BotRunner(fake, bot_database, clock=clock),
    )
    await start_driven_by_hand(fake, *runners)
    yield runners
    for runner in reversed(runners):
        await runner.stop()


async def posted(fake: FakeDiscord, first: BotRunner) -> tuple[Channel, int]:
    [[channel]] = (await servers_due(fake, database(first), 1, 1, first.clock.now)).values()
    first.clock.now = DUE
    assert (await daily_cog(first).scheduler.run_due()).posted == 1
    [post] = posts(fake, channel)
    return channel, int(post["id"])


def reveal_edits(fake: FakeDiscord, message_id: int) -> int:
    return sum(
        1
        for request in fake.requests_to("PATCH", EDIT)
        if request.path.endswith(f"/{message_id}") and "Answer" in str(request.json)
    )


async def test_two_processes_reveal_a_challenge_once(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner]
) -> None:
    first, second = pair
    channel, message_id = await posted(fake, first)
    first.clock.now = DUE + timedelta(days=1)
    reports = await asyncio.gather(
        daily_cog(first).scheduler.run_due(), daily_cog(second).scheduler.run_due()
    )
    assert sum(report.revealed for report in reports) == 1
    assert reveal_edits(fake, message_id) == 1
    assert len(posts(fake, channel)) == 2  # and the new day's post went up once


async def test_a_reveal_whose_process_died_is_taken_over_when_its_lease_ends(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = pair
    channel, message_id = await posted(fake, first)
    await first.stop()
    now = DUE + timedelta(days=1)
    second.clock.now = now
    [challenge] = await database(second).daily.due_reveals(now)
    # A process took the reveal, then died before showing it.
    assert await database(second).daily.claim_reveal(
        challenge.id, holder="gone", now=now, until=now + CLAIM_LEASE
    )
    with caplog.at_level(logging.INFO, logger="bot.exts.daily"):
        assert (await daily_cog(second).scheduler.run_due()).revealed == 0
    assert f"reveal of daily challenge {challenge.id} left to another process" in caplog.text
    assert reveal_edits(fake, message_id) == 0
    second.clock.advance(seconds=CLAIM_LEASE.total_seconds())
    assert (await daily_cog(second).scheduler.run_due()).revealed == 1
    assert reveal_edits(fake, message_id) == 1
