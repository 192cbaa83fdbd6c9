"""The bot's one loop (`bot.timers`): a single run serves the stored deadlines and every
registered source of due work, and one failing source stops none of the others."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from bot.storage import StorageUnavailable
from bot.timers import Timers
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.daily import Server, after_first_look, database, posts, setup
from tests.helpers.rounds import fields, question, start_round

pytestmark = pytest.mark.engines


async def quiet(fake: FakeDiscord, runner: BotRunner) -> Timers:
    """The bot's loop, stopped after its first run: the test runs it by hand."""
    timers = await after_first_look(fake, runner)
    await timers.stop()
    return timers


async def test_one_run_serves_a_round_deadline_and_a_daily_post(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    timers = await quiet(fake, runner)
    daily = Server(
        server.guild, fake.add_text_channel(server.guild.id, "daily"), server.admin, server.channel
    )
    await fake.sync_gateway()
    await setup(fake, daily, "09:00", timezone="Europe/Berlin")
    schedule = await database(runner).daily.schedule(server.guild.id)
    assert schedule is not None and schedule.next_post_at is not None
    await start_round(fake, server.channel, server.alice, questions=2, seconds=20)
    assert await timers.run_due() == 1  # the round's first step: its first question
    first = await question(fake, server.channel, 1)
    assert "Answer" not in fields(first)
    assert posts(fake, daily.channel) == []

    clock.now = schedule.next_post_at  # the post is due, and the question's time is long up
    assert await timers.run_due() >= 1
    shown = fake.message(int(first["id"]))
    assert shown is not None and "Answer" in fields(shown)
    [post] = posts(fake, daily.channel)
    assert post["embeds"][0]["title"].startswith("Daily challenge")


async def test_a_failing_source_is_logged_and_stops_no_other(
    fake: FakeDiscord, runner: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    timers = await quiet(fake, runner)
    ran: list[str] = []

    async def down() -> None:
        ran.append("down")
        raise StorageUnavailable("the database is down")

    async def bug() -> None:
        ran.append("bug")
        raise ValueError("a bug")

    async def fine() -> None:
        ran.append("fine")

    async def never() -> datetime | None:
        return None

    for name, run in (("down", down), ("bug", bug), ("fine", fine)):
        timers.add_source(name, run, never)
    runs = timers.runs
    with caplog.at_level(logging.ERROR, logger="bot.timers"):
        assert await timers.run_due() == 0
    assert ran == ["down", "bug", "fine"]
    assert timers.runs == runs + 1
    [down_record] = [r for r in caplog.records if "down" in r.getMessage()]
    assert down_record.getMessage() == "the run of down failed: the database is down"
    assert down_record.exc_info is None  # one line: the database is down, not a bug
    [bug_record] = [r for r in caplog.records if "of bug" in r.getMessage()]
    assert bug_record.exc_info is not None and bug_record.exc_info[0] is ValueError

    timers.remove_source("down")
    timers.remove_source("bug")
    ran.clear()
    await timers.run_due()
    assert ran == ["fine"]


async def test_the_loop_looks_again_when_a_source_is_next_due(
    fake: FakeDiscord, runner: BotRunner, clock: FakeClock
) -> None:
    timers = await after_first_look(fake, runner)
    ran = 0
    due_at = clock.now + timedelta(seconds=0.5)

    async def run() -> None:
        nonlocal ran
        ran += 1

    async def next_due() -> datetime | None:
        return due_at if ran == 0 else None

    timers.add_source("soon", run, next_due)
    looks = timers.runs
    timers.wake()
    await fake.wait_until(lambda: timers.runs > looks, what="a look of the loop")
    assert ran == 0  # not due yet
    # Due now. Nothing wakes the loop: it looks again because its sleep ended at the
    # source's due instant (without it, the loop would sleep 300 s).
    clock.advance(seconds=1)
    await fake.wait_until(lambda: ran == 1, what="the source's run", timeout=5)
    timers.remove_source("soon")


async def test_a_long_source_run_holds_back_no_deadline(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    timers = await after_first_look(fake, runner)
    started, release = asyncio.Event(), asyncio.Event()

    async def long_run() -> None:  # a daily fan-out to many servers, say
        started.set()
        await release.wait()

    async def due_now() -> datetime | None:
        return None if started.is_set() else clock.now

    timers.add_source("long", long_run, due_now)
    timers.wake()
    await asyncio.wait_for(started.wait(), timeout=5)
    # While it runs, a round starts: its first question is a deadline due at once.
    await start_round(fake, server.channel, server.alice, questions=2, seconds=20)
    await question(fake, server.channel, 1)
    assert not release.is_set()
    release.set()
    timers.remove_source("long")
