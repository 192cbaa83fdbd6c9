"""The bot as an AutoShardedClient: shard counts, clusters, IDENTIFY turns, the session
start budget, and command sync by one process only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.shards import ShardPlan, shard_of
from bot.shards import IdentifyTurns, SessionStartsSpentError
from tests.exts.test_process import _env
from tests.fakediscord import FakeDiscord, Guild
from tests.harness import BotRunner, FakeClock


def guilds_on(fake: FakeDiscord, shard_count: int) -> list[Guild]:
    """One server on each shard, with a channel and a member to run commands."""
    guilds = []
    for shard_id in range(shard_count):
        guild = fake.add_guild(f"Server {shard_id}", shard=(shard_id, shard_count))
        fake.add_text_channel(guild.id, "study")
        fake.add_member(guild.id, f"member{shard_id}")
        guilds.append(guild)
    return guilds


async def decks_list_answered(fake: FakeDiscord, guild: Guild) -> bool:
    channel = next(c for c in fake.world.channels.values() if c.guild_id == guild.id)
    member = next(m for m in guild.members.values() if m.user.username.startswith("member"))
    it = await fake.invoke_slash("decks list", {}, user=member, channel=channel)
    await it.wait_response(timeout=10)
    return it.message is not None and it.message["embeds"][0]["title"] == "Flashcard decks"


async def test_alone_the_bot_runs_every_shard_discord_recommends(
    fake: FakeDiscord, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.recommend_shards(3)
    fake.set_session_start_limit(remaining=500, max_concurrency=4)
    guilds = guilds_on(fake, 3)
    runner = BotRunner(fake, tmp_path / "bot.sqlite3", clock=clock)
    with caplog.at_level(logging.INFO, logger="bot"):
        bot = await runner.start()
    try:
        assert (bot.shard_count, bot.shard_ids) == (3, [0, 1, 2])
        assert sorted(fake.shard_identifies()) == [(0, 3), (1, 3), (2, 3)]
        assert {g.id for g in bot.guilds} == {g.id for g in guilds}
        await fake.wait_commands_synced(scope=None)
        for guild in guilds:
            assert await decks_list_answered(fake, guild)
        assert "session starts: 500 of 1000 left" in caplog.text
    finally:
        await runner.stop()


async def test_two_clusters_split_the_shards_and_only_shard_zeros_process_syncs(
    fake: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    fake.set_session_start_limit(max_concurrency=4)
    guilds = guilds_on(fake, 4)
    database = tmp_path / "bot.sqlite3"
    first = BotRunner(fake, database, clock=clock, shards=ShardPlan(4, 0, 2))
    second = BotRunner(fake, database, clock=clock, shards=ShardPlan(4, 1, 2))
    await first.start()
    await second.start()
    try:
        assert first.bot is not None and second.bot is not None
        assert (first.bot.shard_ids, second.bot.shard_ids) == ([0, 2], [1, 3])
        assert {g.id for g in first.bot.guilds} == {guilds[0].id, guilds[2].id}
        assert {g.id for g in second.bot.guilds} == {guilds[1].id, guilds[3].id}
        assert (first.bot.synced, second.bot.synced) == ("global", "skipped")
        assert fake.registry.overwrite_counts[None] == 1
        for guild in guilds:
            assert await decks_list_answered(fake, guild)
        # A DM goes to shard 0, which the first process runs.
        member = next(iter(guilds[3].members.values()))
        it = await fake.invoke_slash("decks list", {}, user=member, channel=fake.open_dm(member))
        await it.wait_response(timeout=10)
        assert it.message is not None
        assert first.bot.owns_guild(guilds[2].id) and not first.bot.owns_guild(guilds[1].id)
    finally:
        await second.stop()
        await first.stop()


async def test_identifies_wait_their_turn_in_each_bucket(
    fake: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    # Two buckets, and a window short enough for a test: shards 2 and 3 must wait for 0 and 1.
    fake.set_session_start_limit(max_concurrency=2, identify_window=0.3)
    guilds_on(fake, 4)
    runner = BotRunner(fake, tmp_path / "bot.sqlite3", clock=clock, shards=ShardPlan(4))
    bot = await runner.start()
    try:
        assert bot.shard_ids == [0, 1, 2, 3]
        assert len(bot.guilds) == 4
        assert fake.identify_refusals == 0
        assert fake.session_starts == 4
    finally:
        await runner.stop()


async def test_the_bot_refuses_to_start_with_its_session_starts_nearly_spent(
    fake: FakeDiscord, tmp_path: Path, clock: FakeClock
) -> None:
    fake.recommend_shards(2)
    fake.set_session_start_limit(remaining=11)
    runner = BotRunner(fake, tmp_path / "bot.sqlite3", clock=clock)
    with pytest.raises(SessionStartsSpentError, match="only 11 more session starts"):
        await runner.start()
    assert fake.session_starts == 0
    assert runner.db is not None
    await runner.db.close()


async def test_a_process_with_spent_session_starts_says_why(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    fake.set_session_start_limit(remaining=3)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=_env(fake, tmp_path, fake.token),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    log = output.decode()
    assert process.returncode == 2, log
    assert "session starts: 3 of 1000 left" in log
    assert "error: Discord allows only 3 more session starts" in log
    assert "Traceback" not in log
    assert fake.session_starts == 0


def test_servers_land_on_the_shard_discord_sends_them_to() -> None:
    assert shard_of(0, 4) == 0
    assert shard_of((5 << 22) | 12345, 4) == 1
    assert shard_of(175928847299117063, 16) == (175928847299117063 >> 22) % 16


class RecordingFleet:
    """A fleet's turns that only records which bucket each IDENTIFY asked for."""

    def __init__(self) -> None:
        self.turns: list[tuple[int, float]] = []

    @contextlib.asynccontextmanager
    async def turn(self, bucket: int, window: float) -> AsyncIterator[None]:
        self.turns.append((bucket, window))
        yield


async def test_each_identify_asks_the_fleet_for_its_buckets_turn() -> None:
    fleet = RecordingFleet()
    turns = IdentifyTurns(max_concurrency=4, window=5.0, fleet=fleet)
    for shard_id in (0, 5, 6, 11):
        await turns.take(shard_id)
    assert fleet.turns == [(0, 5.0), (1, 5.0), (2, 5.0), (3, 5.0)]
