"""/settings timezone and /settings server-timezone through the loopback Discord API."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bot.domain.timezones import COMMON_ZONES
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, InteractionHandle, Member
from tests.harness import BotRunner


async def slash(
    fake: FakeDiscord, server: StudyServer, command: str, caller: Member, /, **options: Any
) -> InteractionHandle:
    it = await fake.invoke_slash(command, options, user=caller, channel=server.channel)
    await it.wait_final()
    return it


def content(it: InteractionHandle) -> str:
    assert it.message is not None
    return str(it.message["content"])


def user_zone(path: Path, user_id: int) -> Any:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT timezone FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else row[0]


def guild_zone(path: Path, guild_id: int) -> Any:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT timezone FROM guilds WHERE id = ?", (guild_id,)).fetchone()
    return None if row is None else row[0]


async def test_a_member_sets_and_clears_their_own_zone(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await slash(fake, server, "settings timezone", server.alice, zone="  europe/berlin ")
    assert it.ephemeral
    # The fake clock reads Monday 2 March 2026, 09:00 UTC: 10:00 in Berlin.
    assert content(it) == (
        "Your time zone is now **Europe/Berlin**. It is 10:00 on Monday there now. "
        "Your study streak counts days there."
    )
    assert user_zone(runner.database, server.alice.id) == "Europe/Berlin"
    assert user_zone(runner.database, server.bob.id) is None
    cleared = await slash(fake, server, "settings timezone", server.alice, zone="server")
    assert content(cleared) == "You now follow the server's time zone for your study streak."
    assert user_zone(runner.database, server.alice.id) is None


async def test_an_unknown_zone_is_refused_with_suggestions(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await slash(fake, server, "settings timezone", server.alice, zone="Asia/Tokyo")
    it = await slash(fake, server, "settings timezone", server.alice, zone="Europe/Berln")
    assert it.ephemeral
    assert content(it) == (
        "Unknown time zone 'Europe/Berln'. Did you mean: Europe/Berlin? "
        "Use an IANA name such as Europe/Berlin or America/New_York."
    )
    assert user_zone(runner.database, server.alice.id) == "Asia/Tokyo"  # unchanged
    admin = await slash(fake, server, "settings server-timezone", server.admin, zone="Mars/Olympus")
    assert content(admin).startswith("Unknown time zone 'Mars/Olympus'.")
    assert guild_zone(runner.database, server.guild.id) == "UTC"


async def test_zone_names_autocomplete(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    empty = await fake.autocomplete(
        "settings timezone", {"zone": ""}, focused="zone", user=server.alice, channel=server.channel
    )
    assert empty[0] == {"name": "Use the server's time zone", "value": "server"}
    assert [c["value"] for c in empty[1:]] == list(COMMON_ZONES[:24])
    berl = await fake.autocomplete(
        "settings server-timezone",
        {"zone": "berl"},
        focused="zone",
        user=server.admin,
        channel=server.channel,
    )
    assert berl[0]["value"] == "Europe/Berlin"
    assert all(c["value"] != "server" for c in berl)


async def test_the_server_zone_needs_manage_server(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    refused = await slash(fake, server, "settings server-timezone", server.alice, zone="Asia/Tokyo")
    assert refused.ephemeral
    assert content(refused) == "You need the manage server permission to use this command."
    assert guild_zone(runner.database, server.guild.id) in (None, "UTC")

    it = await slash(fake, server, "settings server-timezone", server.admin, zone="Asia/Tokyo")
    assert it.ephemeral
    assert content(it).startswith(
        "This server's time zone is now **Asia/Tokyo**. It is 18:00 on Monday there now."
    )
    assert guild_zone(runner.database, server.guild.id) == "Asia/Tokyo"
    # Leaderboard periods and members without a zone of their own follow it.
    board = await slash(fake, server, "leaderboard", server.bob, period="today")
    assert board.message is not None
    assert board.message["embeds"][0]["footer"]["text"] == "Page 1 of 1 · days in Asia/Tokyo"
    streak = await slash(fake, server, "streak", server.bob)
    assert streak.message is not None
    assert streak.message["embeds"][0]["footer"]["text"] == "Days counted in Asia/Tokyo"


async def test_the_server_zone_cannot_be_set_from_dms(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    dm = fake.open_dm(server.admin)
    it = await fake.invoke_slash(
        "settings server-timezone", {"zone": "Asia/Tokyo"}, user=server.admin, channel=dm
    )
    await it.wait_final()
    assert content(it) == "This command works in servers only."
    own = await fake.invoke_slash(
        "settings timezone", {"zone": "Asia/Tokyo"}, user=server.admin, channel=dm
    )
    await own.wait_final()
    assert content(own).startswith("Your time zone is now **Asia/Tokyo**.")
