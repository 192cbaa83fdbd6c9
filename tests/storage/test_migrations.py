"""Migrations on a real SQLite file: fresh, repeated, and refused when newer."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.quiz import Question, questions_to_json
from bot.storage import Database, MigrationError, NewAnswer, current_version
from bot.storage.migrations import MIGRATIONS_DIR, apply_sqlite_migrations, discover_migrations
from tests.factories import T0, quiz_session
from tests.helpers.database import answers_of, review_events


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def test_shipped_migrations_are_numbered_and_explain_themselves() -> None:
    migrations = discover_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    for migration in migrations:
        first_line = migration.sql.lstrip().splitlines()[0]
        assert first_line.startswith(f"-- {migration.version:04d}:"), migration.name


async def test_migrations_on_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.sqlite3"
    db = await Database.connect(f"sqlite:///{path}")
    try:
        assert await db.schema_version() == len(discover_migrations())
    finally:
        await db.close()
    assert {"guilds", "users", "answers", "bot_state"} <= _tables(path)


def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    latest = len(discover_migrations())
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        assert apply_sqlite_migrations(conn) == (0, latest)
        assert apply_sqlite_migrations(conn) == (latest, latest)
        assert current_version(conn) == latest


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(MigrationError, match="schema version 999, newer than this bot knows"):
        await Database.connect(f"sqlite:///{path}")


def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("-- 0001: good\nCREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_bad.sql").write_text(
        "-- 0002: half good\nCREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    path = tmp_path / "bot.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        with pytest.raises(MigrationError, match="0002_bad.sql failed: no such table: nowhere"):
            apply_sqlite_migrations(conn, migrations)
        assert current_version(conn) == 1
    assert _tables(path) == {"a"}


def test_a_gap_in_the_numbers_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("-- 0001: a\n")
    (tmp_path / "0003_c.sql").write_text("-- 0003: c\n")
    with pytest.raises(MigrationError, match="0003_c.sql: expected migration number 0002"):
        discover_migrations(tmp_path)


def test_migrations_folder_is_the_top_level_one() -> None:
    assert Path(__file__).resolve().parents[2] / "migrations" == MIGRATIONS_DIR


async def test_0009_keeps_every_sessions_questions(tmp_path: Path) -> None:
    """Sessions stored before 0009 keep their questions when they move to their own table."""
    up_to_0008 = _up_to(tmp_path / "migrations", 8)
    questions = (
        Question("c1", "Front", "Back", "topic", None, (), ("a", "Back", "c", "d"), 1),
        Question("c2", "Front 2", "Back 2", None, "why", ("alt",), (), -1),
    )
    session = quiz_session(id="sess000001", questions=questions, requested=2)
    path = tmp_path / "bot.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        apply_sqlite_migrations(conn, up_to_0008)
        conn.execute("INSERT INTO users (id, display_name, updated_at) VALUES (1, 'a', 0)")
        conn.execute("INSERT INTO guilds (id, name, created_at) VALUES (10, 'g', 0)")
        conn.execute(
            "INSERT INTO quiz_sessions (id, user_id, guild_id, channel_id, deck_id, mode, "
            "questions, requested, status, started_at, updated_at, question_shown_at) "
            "VALUES ('sess000001', 1, 10, 20, 'd', 'multiple-choice', ?, 2, 'active', ?, ?, ?)",
            (questions_to_json(questions), *[int(T0.timestamp() * 1000)] * 3),
        )
    async with await Database.connect(f"sqlite:///{path}") as db:
        assert await db.sessions.get("sess000001") == session
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(quiz_sessions)")}
    assert "questions" not in columns


def _up_to(directory: Path, version: int) -> Path:
    """A folder with the shipped migrations up to `version`, each engine's variants too."""
    directory.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql*"):
        if int(path.name[:4]) <= version:
            shutil.copy(path, directory / path.name)
    return directory


def _raw_answer(conn: sqlite3.Connection, index: int, *, user_id: int = 1) -> None:
    conn.execute(
        "INSERT INTO answers (user_id, guild_id, deck_id, card_id, mode, correct, points, "
        "answered_at, session_id, question_index) "
        "VALUES (?, 10, 'aws', ?, 'multiple-choice', 1, 1, ?, ?, 0)",
        (user_id, f"c-{index}", int((T0 + timedelta(minutes=index)).timestamp() * 1000),
         f"s{index}"),
    )  # fmt: skip


async def test_a_database_at_0010_keeps_its_answers_and_writes_the_reviews_it_owed(
    tmp_path: Path,
) -> None:
    """A release that reviewed answers behind a mark stopped with two answers beyond it,
    Upgrading reviews the two, keeps
    every answer, review and reference, and hands out ids above the mark from then on."""
    path = tmp_path / "bot.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        apply_sqlite_migrations(conn, _up_to(tmp_path / "migrations", 10))
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO users (id, display_name, updated_at) VALUES (1, 'a', 0), (2, 'b', 0)"
        )
        conn.execute("INSERT INTO guilds (id, name, created_at) VALUES (10, 'g', 0)")
        for index in range(4):
            _raw_answer(conn, index)
        conn.execute(
            "INSERT INTO review_log (user_id, deck_id, card_id, grade, reviewed_at, answer_id) "
            "SELECT user_id, deck_id, card_id, 3, answered_at, id FROM answers WHERE id <= 2"
        )
        conn.execute("UPDATE review_progress SET answer_id = 2")  # reviewed up to 2
        # The bot stopped here: answers 3 and 4 stored, their reviews not written yet.
    async with await Database.connect(f"sqlite:///{path}") as db:
        assert await db.schema_version() == len(discover_migrations())
        assert [e.reviewed_at for e in review_events(db, 1, "aws", "c-3")] == [
            T0 + timedelta(minutes=3)
        ]
        assert [a.id for a in answers_of(db, 1)] == [1, 2, 3, 4]
        await db.members.forget(1)
        await db.members.upsert_user(1, "a", T0)
        stored = await db.answers.record(
            NewAnswer(1, 10, "aws", "c-9", "multiple-choice", True, T0, session_id="s9",
                      question_index=0)
        )  # fmt: skip
        assert stored is not None and stored.id == 5  # 1 to 4 were handed out, never again
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert "review_progress" not in _tables(path)
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert [row[0] for row in triggers] == ["answers_feed_season_totals"]


def test_0011_keeps_ids_above_the_review_mark(tmp_path: Path) -> None:
    """Ids deleted above the last one still stored were handed out: the mark remembers
    the highest, so the rebuilt table starts above it."""
    path = tmp_path / "bot.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        apply_sqlite_migrations(conn, _up_to(tmp_path / "migrations", 10))
        conn.execute("INSERT INTO users (id, display_name, updated_at) VALUES (1, 'a', 0)")
        conn.execute("INSERT INTO guilds (id, name, created_at) VALUES (10, 'g', 0)")
        for index in range(3):
            _raw_answer(conn, index)
        conn.execute("UPDATE review_progress SET answer_id = 6")
        conn.execute("DELETE FROM answers WHERE id = 3")
        apply_sqlite_migrations(conn, _up_to(tmp_path / "to_0011", 11))
        _raw_answer(conn, 7)
        assert conn.execute("SELECT MAX(id) FROM answers").fetchone() == (7,)
