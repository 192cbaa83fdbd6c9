"""/daily setup's `timezone` is the server's time zone: one clock for posts, streaks and boards."""

from __future__ import annotations

import pytest

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner
from tests.helpers.daily import add_server, database, setup, slash, text_of, utc

pytestmark = pytest.mark.engines


async def test_the_zone_given_to_daily_setup_becomes_the_servers_and_stays(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    where = await add_server(fake, "Zoned")
    other = fake.add_text_channel(where.guild.id, "other")
    await fake.sync_gateway()
    member = fake.add_member(where.guild.id, "carol")

    # The clock reads Monday 2 March, 09:00 UTC: 10:00 in Berlin, so 09:00 there is tomorrow.
    first = await setup(fake, where, "09:00", timezone="Europe/Berlin")
    assert text_of(first).endswith(
        "\nThe server's time zone is now **Europe/Berlin** (it was UTC): streak days and "
        "leaderboard periods follow it too. `/settings server-timezone` changes it."
    )
    guild = await database(runner).members.guild(where.guild.id)
    assert guild is not None and guild.timezone == "Europe/Berlin"

    # Days of members without a zone of their own now follow the server's.
    stats = await slash(fake, "stats", where, member)
    assert stats.message is not None
    assert stats.message["embeds"][0]["footer"]["text"].endswith("days in Europe/Berlin")

    # A later setup without a zone keeps Berlin: the post does not move by an hour.
    moved = await setup(fake, where, "09:00", channel=other)
    assert "every day at 09:00 Europe/Berlin" in text_of(moved)
    assert "time zone" not in text_of(moved)
    schedule = await database(runner).daily.schedule(where.guild.id)
    assert schedule is not None
    assert (schedule.channel_id, schedule.timezone) == (other.id, "Europe/Berlin")
    assert schedule.next_post_at == utc(2026, 3, 3, 8, 0)

    again = await setup(fake, where, "09:00", timezone="europe/berlin")
    assert text_of(again).endswith("\nThe server's time zone stays **Europe/Berlin**.")


async def test_a_new_server_zone_says_where_the_daily_challenge_stays(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    where = await add_server(fake, "Moving")
    await setup(fake, where, "09:00", timezone="Europe/Berlin")
    it = await slash(fake, "settings server-timezone", where, zone="America/New_York")
    assert text_of(it).endswith(
        "\nThe daily challenge still posts at 09:00 Europe/Berlin; `/daily setup` with "
        "`timezone:America/New_York` moves it."
    )
    schedule = await database(runner).daily.schedule(where.guild.id)
    assert schedule is not None and schedule.timezone == "Europe/Berlin"
    # Back to the daily challenge's own zone: nothing to say about it.
    again = await slash(fake, "settings server-timezone", where, zone="Europe/Berlin")
    assert "daily challenge" not in text_of(again)
