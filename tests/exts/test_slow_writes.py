"""A click whose answer waits behind a long write (a burst of others, a slow database) is
acknowledged within Discord's 3 s, and answered when the write is done: never "This
interaction failed", and the answer stored once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.exts.replies import ACKNOWLEDGE_WITHIN
from bot.storage import Database
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.fakediscord.interactions import DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE
from tests.harness import BotRunner, post_daily_now
from tests.helpers.quiz import right_letter, start_quiz
from tests.helpers.rounds import database, question, rows, start_round

pytestmark = pytest.mark.engines

# Longer than Discord waits for the first answer to a click (the fake enforces its 3 s).
HOLD = 3.3


async def hold_writes(db: Database) -> asyncio.Task[None]:
    """A write transaction that stays open for HOLD seconds; returns once it is open."""
    opened = asyncio.Event()

    async def hold() -> None:
        async with db.write():
            opened.set()
            await asyncio.sleep(HOLD)

    task = asyncio.create_task(hold())
    await opened.wait()
    return task


def test_the_acknowledgement_leaves_most_of_discords_deadline_for_a_busy_process() -> None:
    assert ACKNOWLEDGE_WITHIN.total_seconds() <= 1.0


async def test_a_round_click_behind_a_long_write_is_acknowledged_then_answered(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await start_round(fake, server.channel, server.alice, questions=2, seconds=60)
    first = await question(fake, server.channel, 1)
    holding = await hold_writes(database(runner))
    it = await fake.click(first, "B", user=server.bob)
    await it.wait_response(timeout=10)
    assert it.response_type == DEFERRED_CHANNEL_MESSAGE
    assert not holding.done()  # acknowledged while the write still waited
    await holding
    await it.wait_final(timeout=10)
    assert it.ephemeral
    assert it.message is not None and it.message["content"] == "locked in: B"
    assert rows(runner, "SELECT user_id FROM round_answers") == [(server.bob.id,)]
    assert rows(runner, "SELECT COUNT(*) FROM answers") == [(1,)]


async def test_a_quiz_click_behind_a_long_write_is_acknowledged_then_shows_its_result(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    started = await start_quiz(fake, server, server.alice, questions=2)
    message = started.message
    assert message is not None
    holding = await hold_writes(database(runner))
    it = await fake.click(message, right_letter(message), user=server.alice)
    await it.wait_response(timeout=10)
    assert it.response_type == DEFERRED_UPDATE
    assert not holding.done()
    await holding

    def result() -> dict[str, Any] | None:
        shown = fake.message(int(message["id"]))
        fields = (
            {}
            if shown is None
            else {f["name"]: f["value"] for f in shown["embeds"][0].get("fields", [])}
        )
        return shown if fields.get("Result") == "Right!" else None

    await fake.wait_until(lambda: result() is not None, 10, "the question's result")
    assert rows(runner, "SELECT user_id, correct FROM answers") == [(server.alice.id, 1)]


async def test_a_daily_click_behind_a_long_write_is_acknowledged_then_answered(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await fake.sync_gateway()
    post = await post_daily_now(fake, server.channel, server.admin, timeout=30)
    holding = await hold_writes(database(runner))
    it = await fake.click(post, "A", user=server.bob)
    await it.wait_response(timeout=10)
    assert it.response_type == DEFERRED_CHANNEL_MESSAGE
    assert not holding.done()
    await holding
    await it.wait_final(timeout=10)
    assert it.ephemeral
    assert it.message is not None and it.message["embeds"]
    assert rows(runner, "SELECT user_id, mode FROM answers") == [(server.bob.id, "daily")]
