"""Daily posts with several processes: each server is posted by the process that runs its
shard, and once only, even when two processes both believe they own it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import discord
import pytest

from bot.domain.daily import ChallengeState
from bot.domain.shards import ShardPlan
from bot.storage import Database
from bot.storage.daily import DailyChallenge
from tests.fakediscord import Channel, FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.daily import daily_cog, posts, start_driven_by_hand

DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


async def servers_due(
    fake: FakeDiscord, db: Database, shard_count: int, per_shard: int, now: datetime
) -> dict[int, list[Channel]]:
    """``per_shard`` servers on each shard, each with a daily challenge due at DUE."""
    channels: dict[int, list[Channel]] = {}
    for shard_id in range(shard_count):
        for number in range(per_shard):
            guild = fake.add_guild(f"s{shard_id}-{number}", shard=(shard_id, shard_count))
            channel = fake.add_text_channel(guild.id, "daily")
            channels.setdefault(shard_id, []).append(channel)
            await db.members.upsert_guild(guild.id, guild.name, now)
            await db.daily.save_schedule(
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
                now=now,
            )
    return channels


pytestmark = pytest.mark.engines


@pytest.fixture
async def pair(
    fake: FakeDiscord, bot_database: Path | str
) -> AsyncIterator[tuple[BotRunner, BotRunner]]:
    """Two bots on one database and one clock; the test gives them their shards."""
    clock = FakeClock()
    database = bot_database
    runners = (BotRunner(fake, database, clock=clock), BotRunner(fake, database, clock=clock))
    yield runners
    for runner in reversed(runners):
        await runner.stop()


def db_of(runner: BotRunner) -> Database:
    assert runner.db is not None
    return runner.db


async def test_each_process_posts_the_servers_of_its_own_shards(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner]
) -> None:
    fake.set_session_start_limit(max_concurrency=4)
    first, second = pair
    first.shards, second.shards = ShardPlan(4, 0, 2), ShardPlan(4, 1, 2)
    await start_driven_by_hand(fake, first, second)
    channels = await servers_due(fake, db_of(first), 4, 2, first.clock.now)
    first.clock.now = DUE
    reports = await asyncio.gather(
        daily_cog(first).scheduler.run_due(), daily_cog(second).scheduler.run_due()
    )
    assert [report.posted for report in reports] == [4, 4]
    for shard_id, shard_channels in channels.items():
        for channel in shard_channels:
            [post] = posts(fake, channel)
            # The process that runs the shard sent it.
            runner = first if shard_id % 2 == 0 else second
            assert runner.bot is not None and runner.bot.owns_guild(int(channel.guild_id or 0))
    # Nothing more to do on either side: no process looks at another's servers.
    assert await db_of(first).daily.next_due(shards=first.bot.shard_scope()) != DUE  # type: ignore[union-attr]
    again = await asyncio.gather(
        daily_cog(first).scheduler.run_due(), daily_cog(second).scheduler.run_due()
    )
    assert [r.posted + r.stood_down for r in again] == [0, 0]


async def test_two_processes_that_both_own_a_server_post_it_once(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = pair  # both run every shard: a misconfiguration
    await start_driven_by_hand(fake, first, second)
    [[channel]] = (await servers_due(fake, db_of(first), 1, 1, first.clock.now)).values()
    first.clock.now = DUE
    poster = daily_cog(first).poster
    send = poster._send  # noqa: SLF001 - the seam the first process is held at, mid-send
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow_send(challenge: DailyChallenge) -> int:
        sending.set()
        await release.wait()
        return await send(challenge)

    poster._send = slow_send  # type: ignore[method-assign]  # noqa: SLF001 - see above
    first_run = asyncio.create_task(daily_cog(first).scheduler.run_due())
    await sending.wait()
    with caplog.at_level(logging.INFO, logger="bot.exts.daily"):
        report = await daily_cog(second).scheduler.run_due()
    assert (report.posted, report.stood_down) == (0, 1)
    assert first.bot is not None
    assert f"left to another process: process {first.bot.instance_id} claimed it" in caplog.text
    release.set()
    assert (await first_run).posted == 1
    assert len(posts(fake, channel)) == 1
    # Posted now: the second process has nothing left to claim.
    assert (await daily_cog(second).scheduler.run_due()).stood_down == 0
    assert len(posts(fake, channel)) == 1


class Crash(BaseException):
    """Stands for the process dying mid-send: nothing after it runs."""


async def sent_then_died(runner: BotRunner) -> None:
    """The runner's process sends its due post and dies before it can store that it did:
    what is left of it is its claim, with its lease."""
    poster = daily_cog(runner).poster
    send = poster._send  # noqa: SLF001 - where the crash is injected

    async def crash_after(challenge: DailyChallenge) -> int:
        await send(challenge)
        raise Crash()

    poster._send = crash_after  # type: ignore[method-assign]  # noqa: SLF001 - see above
    with pytest.raises(Crash):
        await daily_cog(runner).scheduler.run_due()
    await runner.stop()


async def test_a_claim_whose_holder_died_is_taken_over_when_its_lease_ends(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = pair
    await start_driven_by_hand(fake, first, second)
    [[channel]] = (await servers_due(fake, db_of(first), 1, 1, first.clock.now)).values()
    first.clock.now = DUE
    await sent_then_died(first)
    assert len(posts(fake, channel)) == 1
    # The lease still runs: the other process does not send a second copy.
    assert (await daily_cog(second).scheduler.run_due()).stood_down == 1
    second.clock.advance(minutes=3)
    with caplog.at_level(logging.INFO, logger="bot.exts.daily"):
        report = await daily_cog(second).scheduler.run_due()
    assert report.posted == 1
    # Taken over: the message the dead process sent is found and adopted.
    assert "recovered the daily post" in caplog.text
    assert len(posts(fake, channel)) == 1
    [challenge] = [
        c for c in [await db_of(second).daily.latest(int(channel.guild_id or 0))] if c is not None
    ]
    assert challenge.state is ChallengeState.POSTED
    assert challenge.message_id == int(posts(fake, channel)[0]["id"])


async def test_daily_post_while_another_process_sends_says_it_is_on_its_way(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner]
) -> None:
    first, second = pair  # both run every shard; the fake sends commands to the second
    await start_driven_by_hand(fake, first, second)
    [[channel]] = (await servers_due(fake, db_of(first), 1, 1, first.clock.now)).values()
    guild_id = int(channel.guild_id or 0)
    admin = fake.add_member(guild_id, "admin", permissions=discord.Permissions(manage_guild=True))
    await fake.sync_gateway()
    first.clock.now = DUE
    poster = daily_cog(first).poster
    send = poster._send  # noqa: SLF001 - the seam the first process is held at, mid-send
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow_send(challenge: DailyChallenge) -> int:
        sending.set()
        await release.wait()
        return await send(challenge)

    poster._send = slow_send  # type: ignore[method-assign]  # noqa: SLF001 - see above
    first_run = asyncio.create_task(daily_cog(first).scheduler.run_due())
    await sending.wait()
    it = await fake.invoke_slash("daily post", {}, user=admin, channel=channel)
    await it.wait_final()
    assert it.followups or it.message
    reply = (it.followups[-1] if it.followups else it.message or {})["content"]
    assert (
        reply == f"Today's challenge is being posted right now; it will appear in <#{channel.id}>."
    )
    release.set()
    await first_run
    assert len(posts(fake, channel)) == 1


async def test_a_claim_another_process_holds_is_not_looked_at_again_within_15_s(
    fake: FakeDiscord, pair: tuple[BotRunner, BotRunner]
) -> None:
    first, second = pair
    await start_driven_by_hand(fake, first, second)
    [[channel]] = (await servers_due(fake, db_of(first), 1, 1, first.clock.now)).values()
    scheduler = daily_cog(second).scheduler
    assert await scheduler.next_due() == DUE
    first.clock.now = DUE
    await sent_then_died(first)  # its claim is left, with a lease of two minutes
    # Still due, but held: the next look is 15 s after the run that stood down, not at once.
    assert await scheduler.next_due() == DUE
    assert (await scheduler.run_due()).stood_down == 1
    assert await scheduler.next_due() == DUE + timedelta(seconds=15)
    second.clock.advance(seconds=10)
    assert await scheduler.next_due() == DUE + timedelta(seconds=15)
    second.clock.advance(seconds=5)
    assert (await scheduler.run_due()).stood_down == 1
    assert await scheduler.next_due() == DUE + timedelta(seconds=30)
    # Once the lease ends the post is taken over, and the next look is the reveal's.
    second.clock.advance(minutes=3)
    assert (await scheduler.run_due()).posted == 1
    assert len(posts(fake, channel)) == 1
    due = await scheduler.next_due()
    assert due == await db_of(second).daily.next_due()
    assert due is not None and due > second.clock.now + timedelta(hours=1)
