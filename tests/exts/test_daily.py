"""/daily end to end: the real bot and discord.py against the loopback Discord, on a fake clock.

The scheduler's sleeping is real but its clock is not, so tests move the clock and then
call `run_due()` (what the scheduler task does when it wakes) and wait for it to finish.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.domain.daily import ChallengeState, DailyQuestion
from bot.domain.streaks import StreakState
from bot.exts.daily import _render as render
from bot.interactions import APOLOGY
from bot.storage.daily import DailyChallenge, DailyResults
from bot.storage.database import BUSY_TIMEOUT_MS
from tests import engines
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, Guild, InteractionHandle, Member
from tests.fakediscord.limits import check_embeds
from tests.harness import (
    BotRunner,
    FakeClock,
    add_servers_due_for_daily,
    fill_the_disk,
    free_the_disk,
    hold_write_lock,
)
from tests.helpers.daily import (
    Server,
    add_server,
    daily_cog,
    database,
    home,
    posts,
    run_at,
    setup,
    slash,
    text_of,
    utc,
)
from tests.helpers.database import seed_daily_streak

pytestmark = pytest.mark.engines

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OPTION = re.compile(r"^(?:✅ )?\*\*([ABCD])\.\*\* (.+)$", re.MULTILINE)
# The fake clock starts on Monday 2 March 2026 at 09:00 UTC (10:00 in Berlin).
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def buttons(message: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [
        (c["label"], c["custom_id"], c["style"])
        for row in message.get("components", [])
        for c in row["components"]
    ]


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


async def latest(runner: BotRunner, guild: Guild) -> DailyChallenge:
    challenge = await database(runner).daily.latest(guild.id)
    assert challenge is not None
    return challenge


def local_minute(instant: datetime | None, zone: ZoneInfo) -> str:
    assert instant is not None
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def rows(runner: BotRunner, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return engines.rows(runner.database, sql, *params)


async def click(
    fake: FakeDiscord, message: dict[str, Any], letter: str, user: Member
) -> InteractionHandle:
    it = await fake.click(message, letter, user=user)
    return await it.wait_response()


# -- setup ------------------------------------------------------------------------------


async def test_setup_validates_every_option(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    where = home(server)
    bad_time = await setup(fake, where, "25:00")
    assert bad_time.ephemeral
    assert text_of(bad_time) == (
        "'25:00' is not a valid time of day. Use 24-hour HH:MM, for example 09:00 or 18:30."
    )
    bad_zone = await setup(fake, where, timezone="Europe/Berln")
    assert text_of(bad_zone) == (
        "Unknown time zone 'Europe/Berln'. Did you mean: Europe/Berlin? "
        "Use an IANA name such as Europe/Berlin or America/New_York."
    )
    bad_deck = await setup(fake, where, deck="aws-deploy")
    assert "Did you mean `aws-mla-c01-deployment`?" in text_of(bad_deck)
    bad_topic = await setup(fake, where, topic="Lambda stuff")
    assert "has no topic `Lambda stuff`" in text_of(bad_topic)

    mute = fake.add_text_channel(
        server.guild.id,
        "announcements",
        bot_permissions=discord.Permissions(view_channel=True, read_message_history=True),
    )
    await fake.sync_gateway()
    refused = await slash(fake, "daily setup", where, channel=mute, time="09:00")
    assert text_of(refused) == (
        f"I can't post the daily challenge in <#{mute.id}>: I'm missing the Send Messages, "
        "Embed Links permissions there. Give them to my role in that channel, then run "
        "`/daily setup` again."
    )
    # A member without Manage Server is refused, whatever the options.
    for command, options in (
        ("daily setup", {"channel": server.channel, "time": "09:00"}),
        ("daily disable", {}),
        ("daily post", {}),
    ):
        it = await slash(fake, command, where, user=server.alice, **options)
        assert it.ephemeral
        assert text_of(it) == "You need the manage server permission to use this command."
    assert rows(runner, "SELECT COUNT(*) FROM daily_schedules") == [(0,)]
    status = await slash(fake, "daily status", where, user=server.alice)
    assert status.message is not None
    assert "No daily challenge is set up here" in status.message["embeds"][0]["description"]


async def test_setup_answers_with_the_next_post_time(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    commands = {c["name"]: c for c in fake.commands()}
    subcommands = {o["name"] for o in commands["daily"]["options"]}
    assert subcommands == {"setup", "status", "disable", "post"}
    zones = await fake.autocomplete(
        "daily setup",
        {"channel": server.channel, "time": "09:00", "timezone": "berl"},
        focused="timezone",
        user=server.admin,
        channel=server.channel,
    )
    assert zones[0]["value"] == "Europe/Berlin"

    role = fake.add_role(server.guild.id, "Daily Quizzers")
    await fake.sync_gateway()
    it = await setup(
        fake, home(server), "11:30", timezone="Europe/Berlin", role=role, reveal_after=6
    )
    assert it.ephemeral
    # 11:30 in Berlin on Monday 2 March is 10:30 UTC.
    stamp = int(utc(2026, 3, 2, 10, 30).timestamp())
    assert text_of(it) == (
        f"Daily challenge set: <#{server.channel.id}> every day at 11:30 Europe/Berlin "
        f"(deck `aws-mla-c01-deployment`, mentioning <@&{role.id}>, revealed 6 h after each "
        "post).\n"
        f"Next post: **Monday 2 March 2026, 11:30 (Europe/Berlin)**, <t:{stamp}:F> "
        f"(<t:{stamp}:R>).\n"
        "The server's time zone is now **Europe/Berlin** (it was UTC): streak days and "
        "leaderboard periods follow it too. `/settings server-timezone` changes it."
    )
    schedule = await database(runner).daily.schedule(server.guild.id)
    assert schedule is not None
    assert (schedule.post_time, schedule.timezone, schedule.role_id, schedule.reveal_after) == (
        time(11, 30),
        "Europe/Berlin",
        role.id,
        6,
    )
    assert schedule.next_post_at == utc(2026, 3, 2, 10, 30)
    # Without a zone, the server's, which the first setup set; 08:00 has passed today.
    it = await setup(fake, home(server), "08:00")
    assert "Next post: **Tuesday 3 March 2026, 08:00 (Europe/Berlin)**" in text_of(it)


# -- posting ----------------------------------------------------------------------------


async def test_posts_at_the_right_local_minute_in_two_zones(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    berlin = home(server)
    york = await add_server(fake, "Gotham")
    role = fake.add_role(york.guild.id, "Early Birds")
    await fake.sync_gateway()
    await setup(fake, berlin, "09:00", timezone="Europe/Berlin")
    await setup(fake, york, "09:00", timezone="America/New_York", role=role)
    # 09:00 in New York is 14:00 UTC today; Berlin's 09:00 (08:00 UTC) has passed today.
    assert (await run_at(runner, clock, utc(2026, 3, 2, 13, 59))).posted == 0
    assert posts(fake, york.channel) == []

    # The bot's loop posts on its own once woken; no explicit run here.
    clock.now = utc(2026, 3, 2, 14, 0)
    assert runner.bot is not None
    runner.bot.timers.wake()
    message = await fake.wait_for_message(york.channel)
    # Runs never overlap, so this one starts after the woken run is done.
    assert (await daily_cog(runner).scheduler.run_due()).posted == 0
    assert posts(fake, berlin.channel) == []
    embed = message["embeds"][0]
    assert embed["title"] == "Daily challenge · Monday 2 March 2026"
    assert len(OPTION.findall(embed["description"])) == 4
    assert [b[0] for b in buttons(message)] == ["A", "B", "C", "D"]
    challenge = await latest(runner, york.guild)
    assert [b[1] for b in buttons(message)] == [f"daily:{challenge.id}:{x}" for x in "abcd"]
    assert fields(message)["Answers"] == "0 members answered so far. Pick a letter below!"
    assert message["content"] == f"<@&{role.id}> today's challenge is up!"
    assert message["mention_roles"] == [str(role.id)]
    sent = fake.requests_to("POST", "/channels/{channel_id}/messages")[-1].json
    # Only that role may be pinged: no @everyone, no users, no other role.
    assert sent["allowed_mentions"]["parse"] == []
    assert [str(r) for r in sent["allowed_mentions"]["roles"]] == [str(role.id)]
    assert local_minute(challenge.posted_at, NEW_YORK) == "2026-03-02 09:00"

    assert (await run_at(runner, clock, utc(2026, 3, 3, 7, 59))).posted == 0
    report = await run_at(runner, clock, utc(2026, 3, 3, 8, 0))
    assert report.posted == 1
    assert [m["embeds"][0]["title"] for m in posts(fake, berlin.channel)] == [
        "Daily challenge · Tuesday 3 March 2026"
    ]
    assert local_minute((await latest(runner, berlin.guild)).posted_at, BERLIN) == (
        "2026-03-03 09:00"
    )
    assert posts(fake, berlin.channel)[0]["content"] == ""
    plain = fake.requests_to("POST", "/channels/{channel_id}/messages")[-1].json
    assert plain["allowed_mentions"]["parse"] == []
    assert not plain["allowed_mentions"].get("roles")
    assert len(posts(fake, york.channel)) == 1


async def test_answers_count_once_and_the_reveal_settles_them(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    where = home(server)
    carol = fake.add_member(server.guild.id, "carol")
    dave = fake.add_member(server.guild.id, "dave")
    eve = fake.add_member(server.guild.id, "eve")
    await fake.sync_gateway()
    db = database(runner)
    # Eve had a running streak; she will not answer today.
    await db.members.upsert_user(eve.id, "eve", START)
    await db.members.upsert_guild(server.guild.id, "Study Hall", START)
    await seed_daily_streak(db, server.guild.id, eve.id, StreakState(4, 4, date(2026, 3, 1)), START)
    await setup(fake, where, "10:00", timezone="Europe/Berlin", reveal_after=3)
    daily_cog(runner).live.interval = 0.05
    await run_at(runner, clock, START)  # 10:00 in Berlin
    message = posts(fake, server.channel)[0]
    challenge = await latest(runner, server.guild)
    right = challenge.question.correct_letter
    wrong = next(letter for letter in "ABCD" if letter != right)

    clock.advance(minutes=1)
    first = await click(fake, message, right, server.alice)
    assert first.ephemeral
    reply = first.message["embeds"][0]
    assert reply["title"] == "Right! +3 points"
    assert reply["description"].startswith(f"The answer is **{right}.** ")
    assert fields(first.message)["Daily streak"] == "1 challenge in a row (best 1)"
    double = await click(fake, message, wrong, server.alice)
    assert double.ephemeral
    assert double.message["content"].startswith(
        f"You already answered this challenge (right, +3 points); it counted once. "
        f"The answer is **{right}.** "
    )
    bob = await click(fake, message, wrong, server.bob)
    assert bob.message["embeds"][0]["title"] == f"Not quite: you picked {wrong}"
    assert fields(bob.message)["Daily streak"] == "0 challenges in a row (best 0)"
    clock.advance(minutes=1)
    await click(fake, message, right, carol)
    clock.advance(minutes=1)
    await click(fake, message, right, dave)
    await daily_cog(runner).live.idle()
    shown = fake.message(int(message["id"]))
    assert shown is not None
    # Everyone sees the count, nobody sees the answer before the reveal.
    assert fields(shown)["Answers"] == "4 members answered so far. Pick a letter below!"
    assert "✅" not in shown["embeds"][0]["description"]

    report = await run_at(runner, clock, utc(2026, 3, 2, 11, 59))
    assert report.revealed == 0
    report = await run_at(runner, clock, utc(2026, 3, 2, 12, 0))  # 3 h after the post
    assert report.revealed == 1
    revealed = fake.message(int(message["id"]))
    assert revealed is not None
    marked = f"✅ **{right}.** {challenge.question.correct_option}"
    assert marked in revealed["embeds"][0]["description"]
    assert fields(revealed)["Answer"] == f"**{right}**"
    assert fields(revealed)["Results"] == "4 members answered · 75% right"
    assert fields(revealed)["First right"] == (
        f"🥇 <@{server.alice.id}>\n🥈 <@{carol.id}>\n🥉 <@{dave.id}>"
    )
    styles = {label: style for label, _, style in buttons(revealed)}
    assert styles[right] == discord.ButtonStyle.success.value
    assert len(posts(fake, server.channel)) == 1

    late = await click(fake, revealed, right, eve)
    assert late.ephemeral
    assert late.message["content"].startswith(
        f"This challenge is closed. The answer was **{right}.**"
    )
    assert rows(
        runner,
        "SELECT user_id, correct, points, mode FROM answers WHERE challenge_id = ? "
        "ORDER BY answered_at, id",
        challenge.id,
    ) == [
        (server.alice.id, 1, 3, "daily"),
        (server.bob.id, 0, 0, "daily"),
        (carol.id, 1, 3, "daily"),
        (dave.id, 1, 3, "daily"),
    ]
    streaks = dict(rows(runner, "SELECT user_id, current FROM daily_streaks"))
    assert streaks == {server.alice.id: 1, server.bob.id: 0, carol.id: 1, dave.id: 1, eve.id: 0}
    # Each stored answer also scheduled the card for review (Good when right, Again when wrong).
    reviews = rows(runner, "SELECT user_id, grade FROM review_log ORDER BY id")
    assert reviews == [(server.alice.id, 3), (server.bob.id, 1), (carol.id, 3), (dave.id, 3)]
    status = await slash(fake, "daily status", where, user=server.bob)
    assert status.message is not None
    assert fields(status.message)["Last post"].endswith(": revealed, 4 members answered, 75% right")


async def test_the_live_count_is_edited_at_most_once_per_interval(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    members = [fake.add_member(server.guild.id, f"member{i}") for i in range(16)]
    await fake.sync_gateway()
    await setup(fake, home(server), "09:30")
    live = daily_cog(runner).live
    live.interval = 0.4
    await run_at(runner, clock, utc(2026, 3, 2, 9, 30))
    message = posts(fake, server.channel)[0]
    edits_before = len(fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}"))
    clicks = [await fake.click(message, "A", user=member) for member in members]
    await asyncio.gather(*(c.wait_response() for c in clicks))
    await live.idle()
    edits = len(fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}"))
    # One leading edit, then at most one per interval: far fewer than 16.
    assert 1 <= edits - edits_before <= 4
    shown = fake.message(int(message["id"]))
    assert shown is not None
    assert fields(shown)["Answers"] == "16 members answered so far. Pick a letter below!"


async def test_a_restart_between_post_and_reveal_loses_nothing(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await setup(fake, home(server), "09:00", timezone="Europe/Berlin")
    await run_at(runner, clock, utc(2026, 3, 3, 8, 0))
    message = posts(fake, server.channel)[0]
    challenge = await latest(runner, server.guild)
    right = challenge.question.correct_letter
    await click(fake, message, right, server.alice)

    await runner.restart()
    # A new session fires on_ready again: the bot's loop only takes another look.
    assert runner.bot is not None
    timers = runner.bot.timers
    await fake.wait_until(lambda: timers.runs >= 1)  # the run at start-up
    runs = timers.runs
    await fake.invalidate_session(resumable=False)
    await fake.wait_ready(count=3, timeout=15)
    await fake.wait_until(lambda: timers.runs > runs)
    assert timers.running
    assert len(posts(fake, server.channel)) == 1
    # Buttons of the message sent before the restart still answer.
    clock.advance(hours=1)
    bob = await click(fake, message, right, server.bob)
    assert bob.message["embeds"][0]["title"] == "Right! +3 points"
    again = await click(fake, message, right, server.alice)
    assert again.message["content"].startswith("You already answered")

    # The scheduler's own loop may do a run as the clock moves; run_at waits for it, so
    # what is checked is what was done, not which run did it.
    await run_at(runner, clock, utc(2026, 3, 4, 7, 59))  # just before the next post
    assert len(posts(fake, server.channel)) == 1
    revealed = fake.message(int(message["id"]))
    assert revealed is not None
    assert fields(revealed)["Results"] == "2 members answered · 100% right"
    await run_at(runner, clock, utc(2026, 3, 4, 8, 0))
    assert len(posts(fake, server.channel)) == 2


async def test_each_daily_click_one_answer_also_after_a_restart(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    carol = fake.add_member(server.guild.id, "carol")
    await fake.sync_gateway()
    await setup(fake, home(server), "09:00", timezone="Europe/Berlin")
    await run_at(runner, clock, utc(2026, 3, 3, 8, 0))
    message = posts(fake, server.channel)[0]
    challenge = await latest(runner, server.guild)
    right = challenge.question.correct_letter

    # One answer to each click: no second one (a follow-up or a refused callback).
    first = await click(fake, message, right, server.alice)
    again = await click(fake, message, right, server.alice)
    for handle in (first, again):
        await handle.wait_final()  # a second answer to either click would arrive by then
    assert first.message["embeds"][0]["title"] == "Right! +3 points"
    assert again.message["content"].startswith("You already answered")
    for handle in (first, again):
        assert handle.followups == [] and handle.refusals == []

    # A message posted before a restart still takes answers.
    await runner.restart()
    clock.advance(minutes=5)
    bob = await click(fake, message, right, server.bob)
    assert bob.message["embeds"][0]["title"] == "Right! +3 points"
    assert bob.followups == [] and bob.refusals == []

    report = await run_at(runner, clock, utc(2026, 3, 4, 7, 59))
    assert report.revealed == 1
    revealed = fake.message(int(message["id"]))
    assert revealed is not None
    late = await click(fake, revealed, right, carol)
    assert late.message["content"].startswith("This challenge is closed.")
    assert rows(
        runner, "SELECT user_id FROM answers WHERE challenge_id = ? ORDER BY id", challenge.id
    ) == [(server.alice.id,), (server.bob.id,)]


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, nothing catches it."""


@pytest.mark.parametrize("when", ["before-send", "after-send"])
async def test_a_crash_between_intent_and_send_never_posts_twice(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock, when: str
) -> None:
    await setup(fake, home(server), "09:00", timezone="Europe/Berlin")
    poster = daily_cog(runner).poster
    send = poster._send  # noqa: SLF001 - the seam a crash is injected at; no public hook

    async def crashing_send(challenge: DailyChallenge) -> int:
        if when == "after-send":
            await send(challenge)
        raise Crash()

    poster._send = crashing_send  # type: ignore[method-assign]  # noqa: SLF001 - see above
    with pytest.raises(Crash):
        await run_at(runner, clock, utc(2026, 3, 3, 8, 0))
    intent = await latest(runner, server.guild)
    assert (intent.state, intent.attempts, intent.message_id) == (ChallengeState.INTENT, 1, None)
    assert len(posts(fake, server.channel)) == (1 if when == "after-send" else 0)
    history_reads = len(fake.requests_to("GET", "/channels/{channel_id}/messages"))

    clock.advance(minutes=3)
    await runner.restart()  # start-up runs what is due: the interrupted post
    await daily_cog(runner).scheduler.run_due()
    channel_posts = posts(fake, server.channel)
    assert len(channel_posts) == 1
    recovered = await latest(runner, server.guild)
    assert recovered.id == intent.id
    assert recovered.state is ChallengeState.POSTED
    assert recovered.message_id == int(channel_posts[0]["id"])
    # The channel's history was searched for the message before anything was sent.
    assert len(fake.requests_to("GET", "/channels/{channel_id}/messages")) > history_reads
    assert rows(runner, "SELECT COUNT(*) FROM daily_challenges") == [(1,)]
    # The recovered message takes answers.
    answered = await click(fake, channel_posts[0], intent.question.correct_letter, server.alice)
    assert answered.message["embeds"][0]["title"] == "Right! +3 points"


@pytest.mark.sqlite_only  # another process holding SQLite's write lock
async def test_a_database_locked_after_the_send_is_recovered_without_a_second_post(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    """Another writer holds the database just after the post is sent, for longer than the
    bot waits: neither the post nor its failure can be written. The next run finds the
    message in the channel instead of sending a second one."""
    await setup(fake, home(server), "09:00", timezone="Europe/Berlin")
    poster = daily_cog(runner).poster
    send = poster._send  # noqa: SLF001 - the seam a crash is injected at; no public hook
    holders = []

    async def send_then_lock(challenge: DailyChallenge) -> int:
        message_id = await send(challenge)
        # Longer than two waits for the lock: marking it posted, then recording the failure.
        assert isinstance(runner.database, Path)
        holders.append(hold_write_lock(runner.database, 2 * BUSY_TIMEOUT_MS / 1000 + 0.5))
        return message_id

    poster._send = send_then_lock  # type: ignore[method-assign]  # noqa: SLF001 - see above
    await run_at(runner, clock, utc(2026, 3, 3, 8, 0))
    poster._send = send  # type: ignore[method-assign]  # noqa: SLF001 - see above
    assert len(holders) == 1
    holders[0].join()
    intent = await latest(runner, server.guild)
    assert (intent.state, intent.message_id) == (ChallengeState.INTENT, None)
    assert len(posts(fake, server.channel)) == 1

    await run_at(runner, clock, utc(2026, 3, 3, 8, 1))
    channel_posts = posts(fake, server.channel)
    assert len(channel_posts) == 1
    challenge = await latest(runner, server.guild)
    assert challenge.id == intent.id and challenge.state is ChallengeState.POSTED
    assert challenge.message_id == int(channel_posts[0]["id"])
    answered = await click(fake, channel_posts[0], challenge.question.correct_letter, server.alice)
    assert answered.message["embeds"][0]["title"] == "Right! +3 points"


@pytest.mark.sqlite_only  # SQLite's page limit stands for the full disk
async def test_a_full_disk_refuses_a_daily_answer_politely_and_it_counts_once_later(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await setup(fake, home(server), "09:00", timezone="Europe/Berlin")
    await run_at(runner, clock, utc(2026, 3, 3, 8, 0))
    (post,) = posts(fake, server.channel)
    challenge = await latest(runner, server.guild)
    letter = challenge.question.correct_letter
    first = await click(fake, post, letter, server.bob)
    assert first.message["embeds"][0]["title"] == "Right! +3 points"

    assert await fill_the_disk(database(runner), 999, clock.now) > 0
    refused = await click(fake, post, letter, server.alice)
    assert refused.ephemeral and refused.message["content"] == APOLOGY
    answered_by = "SELECT user_id FROM answers WHERE challenge_id = ? ORDER BY id"
    assert rows(runner, answered_by, challenge.id) == [(server.bob.id,)]
    unanswered = await database(runner).daily.streak(server.guild.id, server.alice.id)
    assert unanswered.current == 0

    await free_the_disk(database(runner))
    answered = await click(fake, post, letter, server.alice)
    assert answered.message["embeds"][0]["title"] == "Right! +3 points"
    again = await click(fake, post, letter, server.alice)
    assert again.ephemeral and "already" in again.message["content"]
    assert rows(runner, answered_by, challenge.id) == [(server.bob.id,), (server.alice.id,)]
    streak = await database(runner).daily.streak(server.guild.id, server.alice.id)
    assert streak is not None and streak.current == 1


async def test_downtime_posts_late_the_same_day_but_never_yesterdays(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await setup(fake, home(server), "09:00", timezone="Europe/Berlin")
    await runner.stop()
    clock.now = utc(2026, 3, 3, 10, 30)  # down across Tuesday's 09:00; back at 11:30 local
    await runner.start()
    # The scheduler posts on start-up by itself.
    late = await fake.wait_for_message(server.channel)
    assert (await daily_cog(runner).scheduler.run_due()).posted == 0
    assert late["embeds"][0]["title"] == "Daily challenge · Tuesday 3 March 2026"
    tuesday = await latest(runner, server.guild)
    assert local_minute(tuesday.posted_at, BERLIN) == "2026-03-03 11:30"

    await runner.stop()
    clock.now = utc(2026, 3, 5, 6, 0)  # down all Wednesday; back Thursday 07:00 local
    await runner.start()
    report = await daily_cog(runner).scheduler.run_due()
    assert report.posted == 0
    assert len(posts(fake, server.channel)) == 1
    revealed = await database(runner).daily.challenge(tuesday.id)
    assert revealed is not None and revealed.state is ChallengeState.REVEALED
    shown = fake.message(int(late["id"]))
    assert shown is not None and fields(shown)["Results"] == "Nobody answered."

    report = await run_at(runner, clock, utc(2026, 3, 5, 8, 0))
    assert report.posted == 1
    assert [m["embeds"][0]["title"] for m in posts(fake, server.channel)] == [
        "Daily challenge · Tuesday 3 March 2026",
        "Daily challenge · Thursday 5 March 2026",
    ]
    assert rows(runner, "SELECT local_date FROM daily_challenges ORDER BY local_date") == [
        ("2026-03-03",),
        ("2026-03-05",),
    ]


# -- time zones and DST -------------------------------------------------------------------


@dataclass
class Phase:
    """A setup before a DST change, and the local minutes of the next three posts."""

    setup_at: datetime
    post_time: str
    expected: list[str]
    second_occurrence: datetime | None = None  # the repeated wall time: must not post


@pytest.mark.parametrize(
    ("zone", "phases"),
    [
        pytest.param(
            BERLIN,
            [
                Phase(
                    utc(2026, 3, 27, 12, 0),
                    "02:30",
                    # 02:30 does not exist on the 29th: the first valid minute after it.
                    ["2026-03-28 02:30", "2026-03-29 03:00", "2026-03-30 02:30"],
                ),
                Phase(
                    utc(2026, 10, 23, 12, 0),
                    "02:30",
                    # 02:30 happens twice on the 25th: posted at the first only.
                    ["2026-10-24 02:30", "2026-10-25 02:30", "2026-10-26 02:30"],
                    second_occurrence=utc(2026, 10, 25, 1, 30),
                ),
            ],
            id="Europe/Berlin",
        ),
        pytest.param(
            NEW_YORK,
            [
                Phase(
                    utc(2026, 3, 6, 12, 0),
                    "02:30",
                    ["2026-03-07 02:30", "2026-03-08 03:00", "2026-03-09 02:30"],
                ),
                Phase(
                    utc(2026, 10, 30, 12, 0),
                    "01:30",
                    ["2026-10-31 01:30", "2026-11-01 01:30", "2026-11-02 01:30"],
                    second_occurrence=utc(2026, 11, 1, 6, 30),
                ),
            ],
            id="America/New_York",
        ),
    ],
)
async def test_both_dst_days(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    clock: FakeClock,
    zone: ZoneInfo,
    phases: list[Phase],
) -> None:
    nine = await add_server(fake, "Nine")  # a second server at 09:00 in the same zone
    db = database(runner)
    posted: list[str] = []
    nine_posted: list[str] = []
    for phase in phases:
        clock.now = phase.setup_at
        await setup(fake, home(server), phase.post_time, timezone=zone.key)
        await setup(fake, nine, "09:00", timezone=zone.key)
        for _ in phase.expected:
            schedules = [
                await db.daily.schedule(server.guild.id),
                await db.daily.schedule(nine.guild.id),
            ]
            due = sorted(s.next_post_at for s in schedules if s and s.next_post_at)
            assert len(due) == 2
            for when in due:
                before = len(posts(fake, server.channel)) + len(posts(fake, nine.channel))
                assert (await run_at(runner, clock, when - timedelta(minutes=1))).posted == 0
                assert (await run_at(runner, clock, when)).posted == 1
                after = len(posts(fake, server.channel)) + len(posts(fake, nine.channel))
                assert after == before + 1
            posted.append(local_minute((await latest(runner, server.guild)).posted_at, zone))
            nine_posted.append(local_minute((await latest(runner, nine.guild)).posted_at, zone))
        if phase.second_occurrence is not None:
            clock.now = phase.setup_at  # rewind to replay the repeated hour
            report = await run_at(runner, clock, phase.second_occurrence)
            assert report.posted == 0
    assert posted == [minute for phase in phases for minute in phase.expected]
    assert len(posts(fake, server.channel)) == 6
    # 09:00 stays 09:00 local on every one of those days, before and after each change.
    assert [minute[-5:] for minute in nine_posted] == ["09:00"] * 6
    # Six days, six different cards.
    cards = rows(runner, "SELECT card_id FROM daily_challenges WHERE guild_id = ?", server.guild.id)
    assert len(set(cards)) == 6


# -- fan-out and failures -----------------------------------------------------------------


async def test_300_servers_due_at_the_same_minute_are_each_posted_once(
    fake: FakeDiscord, runner: BotRunner, clock: FakeClock
) -> None:
    db = database(runner)
    due = utc(2026, 3, 3, 8, 0)
    channels = await add_servers_due_for_daily(fake, db, 300, due=due, now=START)
    await fake.sync_gateway()
    # Discord pushes back: some sends get 429 and must be retried after retry_after.
    fake.fail_next("POST", "/channels/*/messages", 429, count=20, retry_after=0.05)
    fake.set_global_limit(200)
    report = await run_at(runner, clock, due)
    assert {result.value: n for result, n in report.posts.items()} == {"posted": 300}
    assert fake.rate_limited_count >= 20
    assert [len(posts(fake, channel)) for channel in channels] == [1] * 300
    assert rows(runner, "SELECT state, COUNT(*) FROM daily_challenges GROUP BY state") == [
        ("posted", 300)
    ]
    # A second run at the same minute (an overlapping trigger) posts nothing more.
    assert (await run_at(runner, clock, due)).posted == 0
    assert sum(len(posts(fake, channel)) for channel in channels) == 300


async def test_a_deleted_channel_pauses_only_its_server(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ok = home(server)
    gone = await add_server(fake, "Gone")
    muted = await add_server(fake, "Muted")
    for where in (ok, gone, muted):
        await setup(fake, where, "09:00", timezone="Europe/Berlin")
    fake.delete_channel(gone.channel)
    fake.set_bot_channel_permissions(muted.channel, discord.Permissions(view_channel=True))
    await fake.sync_gateway()

    due = utc(2026, 3, 3, 8, 0)
    with caplog.at_level(logging.WARNING, logger="bot.exts.daily"):
        report = await run_at(runner, clock, due)
    assert (report.posted, report.failed) == (1, 2)
    assert len(posts(fake, ok.channel)) == 1
    assert f"<#{gone.channel.id}> no longer exists" in caplog.text
    schedule = await database(runner).daily.schedule(gone.guild.id)
    assert schedule is not None
    assert (schedule.failures, schedule.paused, schedule.next_post_at) == (
        1,
        False,
        due + timedelta(minutes=15),
    )
    status = await slash(fake, "daily status", muted)
    assert status.message is not None
    assert fields(status.message)["Problem"].startswith(
        f"I am not allowed to post in <#{muted.channel.id}> (Missing Permissions)"
    )
    assert fields(status.message)["Problem"].endswith("1 failed post in a row; I will try again.")

    await run_at(runner, clock, due + timedelta(minutes=15))
    report = await run_at(runner, clock, due + timedelta(minutes=30))
    assert report.failed == 2
    schedule = await database(runner).daily.schedule(gone.guild.id)
    assert schedule is not None and (schedule.failures, schedule.paused) == (3, True)
    # Paused: nothing more is tried.
    assert (await run_at(runner, clock, due + timedelta(minutes=45))).failed == 0
    status = await slash(fake, "daily status", gone)
    assert status.message is not None
    assert status.message["embeds"][0]["description"].startswith(
        "**Paused** after 3 failed posts in a row."
    )
    assert "no longer exists" in fields(status.message)["Problem"]
    assert "Next post" not in fields(status.message)

    # The admin points it at a new channel: setup resumes, /daily post retries today's.
    fresh = fake.add_text_channel(gone.guild.id, "daily-2")
    await fake.sync_gateway()
    moved = Server(gone.guild, fresh, gone.admin, gone.lobby)
    await setup(fake, moved, "09:00", timezone="Europe/Berlin")
    resumed = await database(runner).daily.schedule(gone.guild.id)
    assert resumed is not None and (resumed.failures, resumed.paused) == (0, False)
    posted = await slash(fake, "daily post", moved)
    assert text_of(posted).startswith("Posted today's challenge: https://discord.com/channels/")
    assert [m["embeds"][0]["title"] for m in posts(fake, fresh)] == [
        "Daily challenge · Tuesday 3 March 2026"
    ]
    # The next day all is back to normal; the muted server stays paused.
    report = await run_at(runner, clock, due + timedelta(days=1))
    assert (report.posted, report.failed) == (2, 0)
    assert (len(posts(fake, ok.channel)), len(posts(fake, fresh))) == (2, 2)
    assert posts(fake, muted.channel) == []


async def test_post_now_and_disable(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    where = home(server)
    refused = await slash(fake, "daily post", where)
    assert text_of(refused) == "Daily challenges are not on here. Run `/daily setup` first."
    await setup(fake, where, "18:00", timezone="Europe/Berlin")
    first = await slash(fake, "daily post", where)
    message = posts(fake, server.channel)[0]
    link = f"https://discord.com/channels/{server.guild.id}/{server.channel.id}/{message['id']}"
    assert text_of(first) == f"Posted today's challenge: {link}"
    again = await slash(fake, "daily post", where)
    assert text_of(again) == f"Today's challenge is already posted: {link}"
    # Today (Monday) is done: the 18:00 post moves to Tuesday; it reveals just before that.
    schedule = await database(runner).daily.schedule(server.guild.id)
    assert schedule is not None and schedule.next_post_at == utc(2026, 3, 3, 17, 0)
    assert (await run_at(runner, clock, utc(2026, 3, 2, 17, 0))).posted == 0
    status = await slash(fake, "daily status", where, user=server.alice)
    assert status.message is not None
    status_fields = fields(status.message)
    assert status_fields["Time"] == "18:00 Europe/Berlin"
    assert status_fields["Next post"].startswith("Tuesday 3 March 2026, 18:00 (Europe/Berlin)")
    assert status_fields["Last post"] == (
        f"[Monday 2 March 2026]({link}): open, 0 members answered so far"
    )

    off = await slash(fake, "daily disable", where)
    assert text_of(off).startswith("Daily challenges are off.")
    report = await run_at(runner, clock, utc(2026, 3, 3, 17, 0))
    assert (report.posted, report.revealed) == (0, 1)  # the open one is still revealed
    assert len(posts(fake, server.channel)) == 1
    assert (await run_at(runner, clock, utc(2026, 3, 9, 17, 0))).posted == 0
    off_again = await slash(fake, "daily disable", where)
    assert text_of(off_again) == "Daily challenges are not on here. `/daily setup` starts them."


def test_the_longest_cards_stay_within_discord_embed_limits() -> None:
    longest = DailyQuestion(
        card_id="long",
        prompt="Q" * 1000,
        options=("a" * 1000, "b" * 1000, "c" * 1000, "d" * 1000),
        correct_index=2,
        explanation="e" * 1000,
    )
    challenge = DailyChallenge(
        id=1,
        guild_id=2,
        local_date=date(2026, 3, 2),
        channel_id=3,
        deck_id="d" * 63,
        topic="t" * 100,
        question=longest,
        role_id=None,
        state=ChallengeState.POSTED,
        attempts=1,
        message_id=4,
        created_at=START,
        posted_at=START,
        reveal_at=START,
        revealed_at=None,
        reveal_shown=False,
    )
    results = DailyResults(answered=500, right=250, first_right=(10**18, 10**18 + 1, 10**18 + 2))
    embeds = [
        render.challenge_embed(challenge, answered=10_000),
        render.revealed_embed(challenge, results),
        render.answer_reply(challenge, chosen=0, correct=False, points=0, streak=StreakState()),
    ]
    for embed in embeds:
        assert check_embeds([embed.to_dict()]) == [], embed.title
    # The options moved to fields keep their letters and the reveal's mark.
    revealed = embeds[1].to_dict()
    assert [f["name"] for f in revealed["fields"]][:4] == ["A.", "B.", "✅ C.", "D."]
