"""Migrations on a real SQLite file: fresh, repeated, and refused when newer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.quiz import Question, questions_to_json
from bot.storage import Database, MigrationError, apply_migrations, current_version
from bot.storage.migrations import MIGRATIONS_DIR, discover_migrations
from tests.factories import T0, quiz_session


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
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(discover_migrations())
    finally:
        await db.close()
    assert {"guilds", "users", "answers", "bot_state"} <= _tables(path)


async def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    latest = len(discover_migrations())
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn) == (0, latest)
        assert await apply_migrations(conn) == (latest, latest)
        assert await current_version(conn) == latest


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(MigrationError, match="schema version 999, newer than this bot knows"):
        await Database.open(path)


async def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("-- 0001: good\nCREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_bad.sql").write_text(
        "-- 0002: half good\nCREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(MigrationError, match="0002_bad.sql failed: no such table: nowhere"):
            await apply_migrations(conn, migrations)
        assert await current_version(conn) == 1
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
    up_to_0008 = tmp_path / "migrations"
    up_to_0008.mkdir()
    for migration in discover_migrations()[:8]:
        (up_to_0008 / migration.name).write_text(migration.sql)
    questions = (
        Question("c1", "Front", "Back", "topic", None, (), ("a", "Back", "c", "d"), 1),
        Question("c2", "Front 2", "Back 2", None, "why", ("alt",), (), -1),
    )
    session = quiz_session(id="sess000001", questions=questions, requested=2)
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await apply_migrations(conn, up_to_0008)
        await conn.execute("INSERT INTO users (id, display_name, updated_at) VALUES (1, 'a', 0)")
        await conn.execute("INSERT INTO guilds (id, name, created_at) VALUES (10, 'g', 0)")
        await conn.execute(
            "INSERT INTO quiz_sessions (id, user_id, guild_id, channel_id, deck_id, mode, "
            "questions, requested, status, started_at, updated_at, question_shown_at) "
            "VALUES ('sess000001', 1, 10, 20, 'd', 'multiple-choice', ?, 2, 'active', ?, ?, ?)",
            (questions_to_json(questions), *[int(T0.timestamp() * 1000)] * 3),
        )
    async with await Database.open(path) as db:
        assert await db.get_session("sess000001") == session
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(quiz_sessions)")}
    assert "questions" not in columns
