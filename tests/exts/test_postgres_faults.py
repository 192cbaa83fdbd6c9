"""The bot on PostgreSQL when the database fails under it: the member gets the usual
apology, the log one line that says why, and nothing is half written."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from bot.interactions import APOLOGY
from tests.conftest import StudyServer
from tests.engines import drop_database, rows
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner
from tests.helpers.quiz import press, right_letter, slash, start_quiz

pytestmark = pytest.mark.parametrize("engine", ["postgres"], indirect=True)


async def _waiting_backend(conn: asyncpg.Connection) -> int:
    """The pid of the bot's connection once it waits for a lock the test holds."""
    for _ in range(1_000):
        pid = await conn.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.01)
    raise AssertionError("the answer never waited for the held row")


async def test_a_connection_lost_mid_answer_is_an_apology_and_writes_nothing(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = server.alice
    url = runner.database
    assert isinstance(url, str)
    quiz = await start_quiz(fake, server, alice, questions=3)
    first = await press(fake, quiz.message, right_letter(quiz.message), alice)
    message = (await press(fake, first.message, "Next", alice)).message
    # The member's season total is held, so the next answer's transaction stops there:
    # after it moved the session on, before its answer row and its review.
    holder = await asyncpg.connect(url)
    try:
        held = holder.transaction()
        await held.start()
        await holder.execute("SELECT 1 FROM season_totals WHERE user_id = $1 FOR UPDATE", alice.id)
        with caplog.at_level(logging.ERROR, logger="bot"):
            click = await fake.click(message, right_letter(message), user=alice)
            backend = await _waiting_backend(holder)
            assert await holder.fetchval("SELECT pg_terminate_backend($1)", backend)
            await click.wait_response()
        await held.rollback()
    finally:
        await holder.close()
    assert click.ephemeral and click.message["content"] == APOLOGY
    record = next(
        r for r in caplog.records if "lost the connection to PostgreSQL" in r.getMessage()
    )
    assert record.exc_info is None  # one line, no traceback
    # Nothing of the second answer was kept: not the session's move, not half a review.
    assert rows(url, "SELECT answered, correct, position FROM quiz_sessions") == [(1, 1, 1)]
    assert rows(url, "SELECT COUNT(*) FROM answers") == [(1,)]
    assert rows(url, "SELECT COUNT(*) FROM review_log") == [(1,)]
    assert rows(url, "SELECT graded, points FROM season_totals") == [(1, 1)]
    # The same click again lands, once, on a new connection.
    again = await press(fake, message, right_letter(message), alice)
    assert again.message is not None and again.message["content"] != APOLOGY
    assert rows(url, "SELECT answered, correct FROM quiz_sessions") == [(2, 2)]
    assert rows(url, "SELECT COUNT(*) FROM answers") == [(2,)]
    assert rows(url, "SELECT COUNT(*) FROM review_log") == [(2,)]
    assert rows(url, "SELECT graded, points FROM season_totals") == [(2, 2)]


async def test_a_database_dropped_while_the_bot_runs_is_an_apology_and_one_line(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert isinstance(runner.database, str)
    drop_database(runner.database)
    with caplog.at_level(logging.ERROR, logger="bot"):
        for _ in range(2):  # the first finds its connection cut, the second no database
            it = await slash(fake, server, server.alice, "streak")
            assert it.ephemeral and it.message["content"] == APOLOGY
    lines = [r for r in caplog.records if "command /streak failed" in r.getMessage()]
    assert len(lines) == 2
    for record in lines:
        assert "does not exist any more (dropped while the bot ran?)" in record.getMessage()
        assert record.exc_info is None
