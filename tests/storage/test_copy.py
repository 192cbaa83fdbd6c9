"""`python -m bot db copy`: every table of the bot's database, SQLite to PostgreSQL and back.

The source is filled by the bot itself (a round and a quiz through the loopback Discord, the
rest through the storage layer), so every table of the schema has rows: a table a new
migration adds, and nothing here fills, fails the round trip until it is filled (and so
shown to be copied).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.daily import DailyQuestion
from bot.domain.decks import Card, Deck
from bot.domain.streaks import StreakState
from bot.storage import Database
from bot.storage.copy import CopyError, CopyReport, TableCount, copy_database, in_foreign_key_order
from bot.storage.deck_media import DeckPicture
from bot.storage.migrations import discover_migrations
from bot.storage.server_decks import ServerDeck, deck_to_json
from tests.conftest import StudyServer
from tests.engines import execute, rows
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.cli import run_bot_cli
from tests.helpers.database import seed_daily_streak
from tests.helpers.quiz import start_quiz
from tests.helpers.rounds import click, current_round, question, right_letter, start_round

BOOKKEEPING = {"sqlite_sequence", "schema_version"}
LATEST = len(discover_migrations())


def tables_of(database: Path | str) -> list[str]:
    if isinstance(database, Path):
        found = rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        found = rows(
            database,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
    return sorted(str(name) for (name,) in found if name not in BOOKKEEPING)


def contents(database: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    return {
        table: sorted(rows(database, f"SELECT * FROM {table}"), key=repr)
        for table in tables_of(database)
    }


async def one_picture() -> AsyncIterator[DeckPicture]:
    # Bytes that are not text, NUL and 0xFF among them: a BLOB / BYTEA both ways.
    yield DeckPicture(name="ser.png", kind="png", data=b"\x89PNG\r\n\x1a\n\x00\xff" * 3)


async def fill_every_table(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    """Rows in every table, written by the bot."""
    db = runner.db
    assert db is not None
    now = clock.now
    alice = server.alice
    # A round with one answer: rounds, round_answers, round_cards_seen, timers, answers,
    # review_states, review_log, season_totals, users, guilds.
    await start_round(fake, server.channel, alice, questions=2, seconds=20)
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    clock.advance(seconds=2)
    await click(fake, first, right_letter(found, 0), alice)
    await click(fake, first, right_letter(found, 0), server.bob)
    # A quiz: quiz_sessions, quiz_session_questions; a typed answer kept for it.
    await start_quiz(fake, server, server.bob)
    (session_id,) = rows(runner.database, "SELECT id FROM quiz_sessions")[0]
    await db.sessions.keep_typed(session_id, 0, "CloudWatch")
    await db.state.set("copy-test", "kept", now)
    await db.boards.start_season(server.guild.id, now, unless_started_since=now)
    await db.daily.save_schedule(
        guild_id=server.guild.id,
        channel_id=server.channel.id,
        post_time=time(9, 0),
        timezone="Europe/Berlin",
        deck_id="aws-mla-c01-deployment",
        topic=None,
        role_id=None,
        reveal_after=None,
        next_post_at=now + timedelta(days=1),
        reveal_by=now + timedelta(days=1),
        updated_by=alice.id,
        now=now,
    )
    await db.daily.create_intent(
        guild_id=server.guild.id,
        day=now.date(),
        channel_id=server.channel.id,
        deck_id="aws-mla-c01-deployment",
        topic=None,
        question=DailyQuestion("c-1", "Which?", ("a", "b", "c", "d"), 0, "Because."),
        role_id=None,
        now=now,
    )
    await seed_daily_streak(db, server.guild.id, alice.id, StreakState(2, 3, now.date()), now)
    await db.progress.set_exam_date(alice.id, "aws-mla-c01-deployment", date(2026, 6, 1), now)
    deck = Deck(
        id="spanish",
        title="Spanish",
        description="two cards",
        source="CSV file x.csv",
        topics=("verbs",),
        cards=(Card(id="c", front="ser", back="to be", topic="verbs"),),
    )
    stored = ServerDeck(
        guild_id=server.guild.id,
        deck_id=deck.id,
        title=deck.title,
        card_count=1,
        deck_json=deck_to_json(deck),
        file_name="x.csv",
        imported_by=alice.id,
        imported_at=now,
    )
    await db.decks.save(stored, replace=False, max_decks=50, pictures=one_picture())


async def test_a_round_trip_through_postgresql_keeps_every_row_of_every_table(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    clock: FakeClock,
    empty_postgres: str,
    tmp_path: Path,
) -> None:
    await fill_every_table(fake, server, runner, clock)
    source = runner.database
    assert isinstance(source, Path)
    # The answer with the highest id goes: its id must not come back after the copies.
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM answers WHERE id = (SELECT MAX(id) FROM answers)")
    (mark,) = rows(source, "SELECT seq FROM sqlite_sequence WHERE name = 'answers'")[0]
    before = contents(source)
    empty = [table for table, found in before.items() if not found]
    assert empty == [], f"fill these tables in fill_every_table, so the copy is tested: {empty}"

    there = await copy_database(f"sqlite:///{source}", empty_postgres)
    assert there.matches
    assert {count.table for count in there.counts} == set(before)
    assert all(count.source == len(before[count.table]) for count in there.counts)
    assert contents(empty_postgres) == before
    assert rows(
        empty_postgres, "SELECT pg_sequence_last_value(pg_get_serial_sequence('answers', 'id'))"
    ) == [(mark,)]
    # The planner knows the new rows (VACUUM ANALYZE after the load).
    assert rows(empty_postgres, "SELECT reltuples FROM pg_class WHERE relname = 'answers'") == [
        (len(before["answers"]),)
    ]
    assert rows(
        empty_postgres, "SELECT COUNT(*) > 0 FROM pg_stats WHERE tablename = 'answers'"
    ) == [(True,)]
    # The trigger that feeds season totals did not fire again for the copied answers.
    assert rows(empty_postgres, "SELECT * FROM season_totals") == before["season_totals"]

    back = tmp_path / "back.sqlite3"
    again = await copy_database(empty_postgres, f"sqlite:///{back}")
    assert again.matches
    assert contents(back) == before
    assert rows(back, "SELECT seq FROM sqlite_sequence WHERE name = 'answers'") == [(mark,)]
    assert rows(back, "PRAGMA user_version") == rows(source, "PRAGMA user_version")
    # The copy is a working database: the bot opens it, and a new answer's id is above the
    # mark (the deleted answer's id is not handed out again).
    async with await Database.connect(f"sqlite:///{back}") as db:
        assert await db.state.get("copy-test") == "kept"
    execute(
        back,
        "INSERT INTO answers (user_id, deck_id, card_id, mode, correct, points, answered_at) "
        "VALUES (?, 'd', 'c', 'flashcard', 1, 0, 1)",
        server.alice.id,
    )
    assert rows(back, "SELECT MAX(id) FROM answers") == [(mark + 1,)]


def test_tables_are_copied_after_the_ones_they_refer_to() -> None:
    order = in_foreign_key_order(
        {"answers": {"users", "guilds"}, "users": set(), "guilds": set(), "log": {"answers"}}
    )
    assert order == ["guilds", "users", "answers", "log"]


def test_the_counts_say_which_table_differs() -> None:
    same = CopyReport([TableCount("users", 2, 2)])
    different = CopyReport([TableCount("users", 2, 2), TableCount("answers", 1_000, 999)])
    assert same.matches and not different.matches
    assert different.lines() == [
        "table          source        target",
        "users               2             2",
        "answers         1,000           999  DIFFERENT",
    ]


def migrated(tmp_path: Path, name: str = "source.sqlite3") -> Path:
    path = tmp_path / name
    with sqlite3.connect(path) as conn:
        from bot.storage.migrations import apply_sqlite_migrations

        apply_sqlite_migrations(conn)
        conn.execute("INSERT INTO users (id, display_name, updated_at) VALUES (1, 'ann', 0)")
        conn.execute(
            "INSERT INTO answers (user_id, deck_id, card_id, mode, correct, points, answered_at) "
            "VALUES (1, 'd', 'c', 'multiple-choice', 1, 1, 5)"
        )
    return path


def test_the_command_prints_both_sides_counts_and_refuses_a_filled_target(
    tmp_path: Path, empty_postgres: str
) -> None:
    source = f"sqlite:///{migrated(tmp_path)}"
    done = run_bot_cli("db", "copy", source, empty_postgres, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["table", "source", "target"]
    counted = {line.split()[0]: line.split()[1:] for line in lines[1:-1]}
    assert counted["users"] == ["1", "1"] and counted["answers"] == ["1", "1"]
    assert counted["review_log"] == ["0", "0"]
    assert "schema_version" not in counted and "sqlite_sequence" not in counted
    assert lines[-1].startswith("copied ")
    assert "answers" in done.stderr  # the progress

    again = run_bot_cli("db", "copy", source, empty_postgres, tmp_path=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().startswith("error: the target PostgreSQL at")
    assert "is not empty (rows in answers, users)" in again.stderr
    assert "Traceback" not in again.stderr
    assert rows(empty_postgres, "SELECT COUNT(*) FROM answers") == [(1,)]


def test_the_command_fails_when_a_tables_counts_differ_after_the_copy(tmp_path: Path) -> None:
    source = migrated(tmp_path)
    execute(source, "INSERT INTO bot_state VALUES ('one', 'same', 0), ('two', 'same', 0)")
    # A target at the bot's schema version whose bot_state was changed by hand: it keeps
    # one row per value and drops the rest without an error.
    target = tmp_path / "t.sqlite3"
    with sqlite3.connect(target) as conn:
        from bot.storage.migrations import apply_sqlite_migrations

        apply_sqlite_migrations(conn)
        conn.executescript(
            "DROP TABLE bot_state; CREATE TABLE bot_state (key TEXT PRIMARY KEY, "
            "value TEXT NOT NULL UNIQUE ON CONFLICT IGNORE, updated_at INTEGER NOT NULL);"
        )
    done = run_bot_cli(
        "db", "copy", f"sqlite:///{source}", f"sqlite:///{target}", tmp_path=tmp_path
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    counted = {line.split()[0]: line.split()[1:] for line in lines[1:-1]}
    assert counted["bot_state"] == ["2", "1", "DIFFERENT"]
    assert counted["users"] == ["1", "1"] and counted["answers"] == ["1", "1"]
    assert [table for table, found in counted.items() if "DIFFERENT" in found] == ["bot_state"]
    assert lines[-1] == f"error: the row counts of {target} differ from the source's"
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("mysql://db/quiz", "is not a database URL"),
        ("sqlite:///", "names no database file"),
        (
            "postgresql://postgres@127.0.0.1:1/none",
            "PostgreSQL at 127.0.0.1:1/none does not answer",
        ),
    ],
)
def test_a_bad_or_unreachable_target_is_one_line(tmp_path: Path, target: str, said: str) -> None:
    source = f"sqlite:///{migrated(tmp_path)}"
    done = run_bot_cli("db", "copy", source, target, tmp_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr


def test_a_missing_source_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sqlite3"
    done = run_bot_cli(
        "db",
        "copy",
        f"sqlite:///{missing}",
        f"sqlite:///{tmp_path / 't.sqlite3'}",
        tmp_path=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr == f"error: there is no SQLite database at {missing}\n"
    assert not missing.exists() and not (tmp_path / "t.sqlite3").exists()


def test_a_source_behind_the_code_is_refused(tmp_path: Path) -> None:
    source = migrated(tmp_path)
    execute(source, "PRAGMA user_version = 16")
    target = tmp_path / "t.sqlite3"
    done = run_bot_cli(
        "db", "copy", f"sqlite:///{source}", f"sqlite:///{target}", tmp_path=tmp_path
    )
    assert done.returncode == 2
    assert f"is at schema version 16, this bot's is {LATEST}" in done.stderr
    assert "python -m bot migrate" in done.stderr
    assert not target.exists()


def test_a_target_at_another_version_is_refused(tmp_path: Path) -> None:
    source = migrated(tmp_path)
    target = tmp_path / "t.sqlite3"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    done = run_bot_cli(
        "db", "copy", f"sqlite:///{source}", f"sqlite:///{target}", tmp_path=tmp_path
    )
    assert done.returncode == 2
    assert (
        "the target" in done.stderr
        and f"is at schema version 0, the source at {LATEST}" in done.stderr
    )


def test_the_same_database_twice_is_refused(tmp_path: Path) -> None:
    source = f"sqlite:///{migrated(tmp_path)}"
    done = run_bot_cli("db", "copy", source, source, tmp_path=tmp_path)
    assert done.returncode == 2
    assert "the same database" in done.stderr


@pytest.mark.parametrize("into", ["sqlite", "postgres"])
async def test_a_copy_that_fails_midway_leaves_the_target_empty(
    tmp_path: Path, into: str, request: pytest.FixtureRequest
) -> None:
    source = migrated(tmp_path)
    # A row the target's schema refuses, in a table copied late (after answers and users).
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(
            "INSERT INTO review_log (user_id, deck_id, card_id, grade, reviewed_at, answer_id) "
            "VALUES (1, 'd', 'c', 9, 5, 1)"
        )
    if into == "sqlite":
        target: Path | str = tmp_path / "t.sqlite3"
        target_url = f"sqlite:///{target}"
    else:
        target = target_url = request.getfixturevalue("empty_postgres")

    with pytest.raises(CopyError, match="nothing of it was written") as refused:
        await copy_database(f"sqlite:///{source}", target_url)
    assert "\n" not in str(refused.value)
    assert all(rows(target, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in tables_of(target))
    # Starting over works once the source is fixed.
    execute(source, "DELETE FROM review_log")
    report = await copy_database(f"sqlite:///{source}", target_url)
    assert report.matches
    assert rows(target, "SELECT COUNT(*) FROM answers") == [(1,)]


def test_a_copy_into_sqlite_needs_no_postgresql(tmp_path: Path) -> None:
    source = migrated(tmp_path)
    target = tmp_path / "sub" / "t.sqlite3"
    done = run_bot_cli(
        "db", "copy", f"sqlite:///{source}", f"sqlite:///{target}", tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert contents(target) == contents(source)


@pytest.mark.parametrize("into", ["sqlite", "postgres"])
async def test_a_copy_cancelled_midway_leaves_the_target_empty(
    tmp_path: Path, into: str, request: pytest.FixtureRequest
) -> None:
    """What Ctrl-C does: asyncio cancels the copy between two batches."""
    source = migrated(tmp_path)
    with sqlite3.connect(source) as conn:
        conn.executemany(
            "INSERT INTO answers (user_id, deck_id, card_id, mode, correct, points, answered_at) "
            "VALUES (1, 'd', ?, 'multiple-choice', 1, 1, 5)",
            [(f"card-{n}",) for n in range(20)],
        )
    if into == "sqlite":
        target: Path | str = tmp_path / "t.sqlite3"
        target_url = f"sqlite:///{target}"
    else:
        target = target_url = request.getfixturevalue("empty_postgres")
    task = asyncio.current_task()
    assert task is not None
    seen: list[tuple[str, int]] = []

    def interrupt(table: str, done: int, total: int) -> None:
        seen.append((table, done))
        if table == "answers" and done == 10:
            task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await copy_database(f"sqlite:///{source}", target_url, progress=interrupt, batch=5)
    assert ("answers", 10) in seen and ("answers", 15) not in seen
    assert all(rows(target, f"SELECT COUNT(*) FROM {t}") == [(0,)] for t in tables_of(target))
    report = await copy_database(f"sqlite:///{source}", target_url)
    assert report.matches
    assert rows(target, "SELECT COUNT(*) FROM answers") == [(21,)]
