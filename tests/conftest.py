"""Shared fixtures: a loopback Discord with a study server, and the bot running against it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from tests.fakediscord import Channel, FakeDiscord, Guild, Member
from tests.harness import BotRunner, FakeClock, restored_endpoints


@dataclass
class StudyServer:
    guild: Guild
    channel: Channel
    admin: Member
    alice: Member
    bob: Member


@pytest.fixture
def _endpoints() -> Iterator[None]:
    with restored_endpoints():
        yield


@pytest.fixture
async def fake(_endpoints: None) -> AsyncIterator[FakeDiscord]:
    """The loopback Discord. A test fails if the bot sent anything Discord would refuse."""
    async with FakeDiscord() as server:
        yield server
        assert server.limit_violations == [], "the bot broke a Discord limit"
        assert server.unknown_routes == [], "the bot called a route the fake does not serve"


@pytest.fixture
def server(fake: FakeDiscord) -> StudyServer:
    guild = fake.add_guild("Study Hall")
    channel = fake.add_text_channel(guild.id, "study")
    admin = fake.add_member(guild.id, "admin", permissions=discord.Permissions(manage_guild=True))
    alice = fake.add_member(guild.id, "alice")
    bob = fake.add_member(guild.id, "bob")
    return StudyServer(guild, channel, admin, alice, bob)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def runner(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    """The bot, built as `python -m bot` builds it, on a fresh SQLite file."""
    bot_runner = BotRunner(fake, tmp_path / "bot.sqlite3", clock=clock)
    await bot_runner.start()
    await fake.wait_commands_synced(scope=None)
    yield bot_runner
    await bot_runner.stop()
