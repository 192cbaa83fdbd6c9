"""A fleet: real `python -m bot` processes sharing the shards and one PostgreSQL database,
against the loopback Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Database
from tests import engines
from tests.fakediscord import Channel, FakeDiscord, InteractionHandle, User
from tests.helpers.daily import posts
from tests.helpers.fleet import Fleet, assert_clean, daily_server, utc_now
from tests.helpers.quiz import labels, right_letter


@pytest.fixture
async def fleet(
    fake: FakeDiscord, tmp_path: Path, empty_postgres: str
) -> AsyncIterator[tuple[Fleet, Database]]:
    """Processes to start on one PostgreSQL database, migrated and open for the test too."""
    group = Fleet(fake, tmp_path, empty_postgres)
    db = await Database.connect(empty_postgres)
    try:
        yield group, db
    finally:
        await group.stop_all()
        await db.close()


def answers_of(url: str, guild_id: int) -> list[tuple[Any, ...]]:
    return engines.rows(
        url,
        "SELECT a.user_id, a.challenge_id FROM answers a JOIN daily_challenges c "
        "ON c.id = a.challenge_id WHERE c.guild_id = ? ORDER BY a.user_id",
        guild_id,
    )


async def answer(
    fake: FakeDiscord, channel: Channel, user: User, label: str = "A"
) -> InteractionHandle:
    [post] = posts(fake, channel)
    return await fake.click(post, label, user=user)


async def test_two_processes_post_every_server_once_and_share_one_leaderboard(
    fake: FakeDiscord, fleet: tuple[Fleet, Database]
) -> None:
    group, db = fleet
    fake.set_session_start_limit(max_concurrency=4)
    now = utc_now()
    servers = [
        await daily_server(fake, db, f"s{shard}-{n}", (shard, 4), now)
        for shard in range(4)
        for n in range(10)
    ]
    alice = fake.add_user("alice")
    for guild, _ in servers:
        fake.add_member(guild.id, alice)
    first, second = await group.cluster(2, 4)
    await fake.wait_shards_ready(range(4), timeout=60)
    channels = [channel for _, channel in servers]
    await fake.wait_until(
        lambda: all(posts(fake, c) for c in channels), timeout=60, what="40 daily posts"
    )
    # Each process posted the servers of its own shards, and every server once.
    assert [len(posts(fake, c)) for c in channels] == [1] * 40
    await first.wait_log("daily run: 20 posted")
    await second.wait_log("daily run: 20 posted")
    # Alice answers in a server of each process (shards 0 and 1).
    on_first, on_second = servers[0], servers[10]
    for _, channel in (on_first, on_second):
        it = await answer(fake, channel, alice)
        await it.wait_response(timeout=10)
    # One leaderboard over both: her statistics everywhere, shown by the process that
    # runs shard 0 (DMs arrive there), count both answers.
    dm = fake.open_dm(alice)
    it = await fake.invoke_slash("stats", {}, user=alice, channel=dm)
    await it.wait_response(timeout=10)
    assert it.message is not None
    [embed] = it.message["embeds"]
    assert embed["description"] == "In all servers and DMs."
    assert {f["name"]: f["value"] for f in embed["fields"]}["Answers"] == "2"
    for guild, _ in (on_first, on_second):
        assert [row[0] for row in answers_of(group.url, guild.id)] == [alice.id]
    for process in (first, second):
        assert await process.stop() == 0
        assert_clean(process)


async def test_two_processes_on_the_same_shard_post_once_and_say_why_one_stood_down(
    fake: FakeDiscord, fleet: tuple[Fleet, Database]
) -> None:
    group, db = fleet
    now = utc_now()
    servers = [await daily_server(fake, db, f"s{n}", (0, 2), now) for n in range(3)]
    # A slow Discord keeps the first process's posts in flight while the second starts.
    gate = fake.hold("POST", "/channels/{channel_id}/messages")
    settings = {"SHARD_COUNT": "2", "CLUSTER_COUNT": "2", "CLUSTER_INDEX": "0"}
    first = await group.start("first", **settings)
    await fake.wait_until(lambda: gate.arrived >= 1, timeout=30, what="a post in flight")
    second = await group.start("second (the same shard, by mistake)", **settings)
    await second.wait_log("left to another process: process ", timeout=40)
    gate.open()
    channels = [channel for _, channel in servers]
    await fake.wait_until(
        lambda: all(posts(fake, c) for c in channels), timeout=30, what="3 daily posts"
    )
    await first.wait_log("daily run: 3 posted")
    assert [len(posts(fake, c)) for c in channels] == [1, 1, 1]
    assert "claimed it until" in second.log
    for process in (first, second):
        assert await process.stop() == 0
        assert_clean(process)
    assert [len(posts(fake, c)) for c in channels] == [1, 1, 1]


async def test_a_process_killed_mid_burst_loses_no_answered_click(
    fake: FakeDiscord, fleet: tuple[Fleet, Database]
) -> None:
    group, db = fleet
    fake.set_session_start_limit(max_concurrency=2)
    now = utc_now()
    kept, killed = (
        await daily_server(fake, db, "kept", (0, 2), now),
        await daily_server(fake, db, "killed", (1, 2), now),
    )
    members = [fake.add_user(f"m{n}") for n in range(8)]
    for guild, _ in (kept, killed):
        for member in members:
            fake.add_member(guild.id, member)
    first, second = await group.cluster(2, 2)
    await fake.wait_until(
        lambda: bool(posts(fake, kept[1]) and posts(fake, killed[1])), timeout=60, what="posts"
    )
    # A burst of answers in both servers; the second process dies in the middle of it.
    burst = [await answer(fake, channel, m) for m in members[:4] for _, channel in (kept, killed)]
    await asyncio.gather(*(it.wait_response(timeout=10) for it in burst))
    late = [await answer(fake, channel, m) for m in members[4:] for _, channel in (kept, killed)]
    await second.kill()
    await asyncio.gather(
        *(it.wait_response(timeout=5) for it in late if int(it.channel.guild_id or 0) == kept[0].id)
    )
    clicks = burst + late
    for guild, _ in (kept, killed):
        stored = [row[0] for row in answers_of(group.url, guild.id)]
        assert len(stored) == len(set(stored))  # once each
        answered = {
            it.user.id for it in clicks if int(it.channel.guild_id or 0) == guild.id and it.answered
        }
        assert answered <= set(stored)
    # The other process lost nothing: every answer in its server is there.
    assert len(answers_of(group.url, kept[0].id)) == len(members)
    # Restarted, the killed process's server answers again, and posts again.
    newcomer = fake.add_user("newcomer")
    fake.add_member(killed[0].id, newcomer)
    _, later_channel = await daily_server(fake, db, "later", (1, 2), utc_now())
    again = await group.start("restarted", SHARD_COUNT="2", CLUSTER_COUNT="2", CLUSTER_INDEX="1")
    await fake.wait_until(lambda: bool(posts(fake, later_channel)), timeout=60, what="a post")
    it = await answer(fake, killed[1], newcomer)
    await it.wait_response(timeout=10)
    assert newcomer.id in [row[0] for row in answers_of(group.url, killed[0].id)]
    assert len(posts(fake, killed[1])) == 1
    assert len(answers_of(group.url, kept[0].id)) == len(members)
    for process in (first, again):
        assert await process.stop() == 0
        assert_clean(process)


async def test_four_processes_starting_together_take_identify_turns(
    fake: FakeDiscord, fleet: tuple[Fleet, Database]
) -> None:
    group, _ = fleet
    fake.set_session_start_limit(max_concurrency=1, identify_window=5.0)
    processes = await group.cluster(4, 4)
    await fake.wait_shards_ready(range(4), timeout=90)
    # One bucket: the four IDENTIFYs came one per window, and none was refused.
    assert fake.identify_refusals == 0
    assert sorted(shard for shard, _ in fake.shard_identifies()) == [0, 1, 2, 3]
    assert any("another process has the turn" in p.log for p in processes)
    for process in processes:
        assert await process.stop() == 0
        assert_clean(process)


async def test_quizzes_continue_after_a_restart_wherever_their_server_now_runs(
    fake: FakeDiscord, fleet: tuple[Fleet, Database]
) -> None:
    group, _ = fleet
    fake.set_session_start_limit(max_concurrency=2)
    guild = fake.add_guild("Second shard", shard=(1, 2))
    channel = fake.add_text_channel(guild.id, "study")
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    fake.add_member(guild.id, alice)
    dm = fake.open_dm(bob)
    processes = await group.cluster(2, 2)
    await fake.wait_shards_ready(range(2), timeout=60)
    # A quiz in the server (the second process) and one in a DM (the first: shard 0).
    started: dict[str, dict[str, Any]] = {}
    players = {"server": alice, "dm": bob}
    for where, place in (("server", channel), ("dm", dm)):
        user = players[where]
        it = await fake.invoke_slash("quiz", {"questions": 2}, user=user, channel=place)
        await it.wait_response(timeout=10)
        assert it.message is not None and labels(it.message) == ["A", "B", "C", "D"], where
        answered = await fake.click(it.message, right_letter(it.message), user=user)
        await answered.wait_response(timeout=10)
        assert answered.message is not None and labels(answered.message) == ["Next"]
        started[where] = answered.message
    for process in processes:
        assert await process.stop() == 0
    # Restarted as one process running both shards: both quizzes go on from question 2.
    alone = await group.start("alone", SHARD_COUNT="2")
    await fake.wait_shards_ready(range(2), timeout=60)
    for where, message in started.items():
        it = await fake.click(message, "Next", user=players[where])
        await it.wait_response(timeout=10)
        assert it.message is not None, where
        assert it.message["embeds"][0]["title"] == "Question 2 of 2", where
    assert await alone.stop() == 0
    assert_clean(alone)
