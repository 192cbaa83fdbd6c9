"""Driving `/daily` against the loopback Discord on the fake clock: servers, setup, posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import discord

from bot.exts.daily._cog import Daily
from bot.exts.daily._scheduler import RunReport
from bot.storage import Database
from bot.timers import Timers
from tests.conftest import StudyServer
from tests.fakediscord import Channel, FakeDiscord, Guild, InteractionHandle, Member
from tests.harness import BotRunner, FakeClock


@dataclass
class Server:
    guild: Guild
    channel: Channel  # where the challenges go
    admin: Member
    lobby: Channel  # where commands are typed, which survives the channel's deletion


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily_cog(runner: BotRunner) -> Daily:
    # Extensions are imported afresh at each start, so classes are compared by name.
    assert runner.bot is not None
    cog = runner.bot.get_cog("Daily")
    assert type(cog).__name__ == "Daily"
    return cast(Daily, cog)


def database(runner: BotRunner) -> Database:
    assert runner.db is not None
    return runner.db


async def after_first_look(fake: FakeDiscord, runner: BotRunner) -> Timers:
    """The bot's one loop (`bot.timers`, which runs the daily scheduler), once it has made
    its first run, the one at start-up."""
    assert runner.bot is not None
    timers = runner.bot.timers
    await fake.wait_until(lambda: timers.runs >= 1, what="the loop's first run")
    return timers


async def start_driven_by_hand(fake: FakeDiscord, *runners: BotRunner) -> None:
    """Start each bot, then stop its one loop once it has made its first run: the test
    alone calls ``run_due``, so no run of the loop can take a post first."""
    for runner in runners:
        await runner.start()
        await (await after_first_look(fake, runner)).stop()


async def run_at(runner: BotRunner, clock: FakeClock, when: datetime) -> RunReport:
    clock.now = when
    return await daily_cog(runner).scheduler.run_due()


async def add_server(fake: FakeDiscord, name: str, **channel_options: Any) -> Server:
    guild = fake.add_guild(name)
    lobby = fake.add_text_channel(guild.id, "lobby")
    channel = fake.add_text_channel(guild.id, "daily", **channel_options)
    admin = fake.add_member(
        guild.id, f"{name.lower()}-admin", permissions=discord.Permissions(manage_guild=True)
    )
    await fake.sync_gateway()  # the bot knows the guild before anyone talks to it
    return Server(guild, channel, admin, lobby)


def home(server: StudyServer) -> Server:
    return Server(server.guild, server.channel, server.admin, server.channel)


async def slash(
    fake: FakeDiscord, command: str, where: Server, user: Member | None = None, **options: Any
) -> InteractionHandle:
    it = await fake.invoke_slash(command, options, user=user or where.admin, channel=where.lobby)
    return await it.wait_final()


async def setup(
    fake: FakeDiscord, where: Server, time_text: str = "09:00", **options: Any
) -> InteractionHandle:
    options = {"channel": where.channel, "time": time_text, **options}
    return await slash(fake, "daily setup", where, **options)


def text_of(it: InteractionHandle) -> str:
    message = it.message or (it.followups[-1] if it.followups else None)
    assert message is not None
    return str(message["content"])


def posts(fake: FakeDiscord, channel: Channel) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if m["author"]["id"] == str(fake.bot.id)]
