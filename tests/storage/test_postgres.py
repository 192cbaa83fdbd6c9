"""PostgreSQL itself: placeholders, migrations with their lock, and every way a server can
refuse or vanish, each said in one clear line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.storage import Database, MemberName, MigrationError, StorageUnavailable
from bot.storage.migrations import MIGRATIONS_DIR, discover_migrations
from bot.storage.postgres import WRITE_LOCK, translate
from tests.engines import TEST_DATABASE_URL, drop_database, execute, rows, with_database
from tests.factories import quiz_session
from tests.helpers.cli import run_bot_cli
from tests.storage.conftest import NOW

# A port nobody listens on: connections are refused at once.
NOBODY = "postgresql://postgres@127.0.0.1:1/quizbot"


def test_placeholders_become_numbers_outside_literals_and_comments() -> None:
    assert translate("SELECT a FROM t WHERE b = ? AND c = ?") == (
        "SELECT a FROM t WHERE b = $1 AND c = $2",
        (),
    )
    assert translate("SELECT '?', \"we?ird\" -- why?\nFROM t WHERE x = ? AND y = 'it''s ?'") == (
        "SELECT '?', \"we?ird\" -- why?\nFROM t WHERE x = $1 AND y = 'it''s ?'",
        (),
    )
    # A name used twice is one parameter; a cast is left alone.
    assert translate("SELECT :a::text WHERE g = :guild OR h = :guild OR s = ':no'") == (
        "SELECT $1::text WHERE g = $2 OR h = $2 OR s = ':no'",
        ("a", "guild"),
    )
    assert translate("SELECT /* why? :not */ ?") == ("SELECT /* why? :not */ $1", ())
    with pytest.raises(ValueError, match="mixes"):
        translate("SELECT ? WHERE a = :a")


def test_a_migration_is_one_file_or_both_variants(tmp_path: Path) -> None:
    (tmp_path / "0001_both.sql").write_text("-- 0001: both\n")
    (tmp_path / "0002_apart.sql.sqlite").write_text("-- 0002: sqlite\n")
    (tmp_path / "0002_apart.sql.postgres").write_text("-- 0002: postgres\n")
    assert [m.name for m in discover_migrations(tmp_path, "sqlite")] == [
        "0001_both.sql",
        "0002_apart.sql.sqlite",
    ]
    assert [m.name for m in discover_migrations(tmp_path, "postgres")] == [
        "0001_both.sql",
        "0002_apart.sql.postgres",
    ]
    (tmp_path / "0003_half.sql.postgres").write_text("-- 0003: postgres only\n")
    with pytest.raises(MigrationError, match=r"0003_half.sql.postgres: .* exactly one .sql.sqlite"):
        discover_migrations(tmp_path, "postgres")


def test_every_shipped_variant_explains_itself() -> None:
    for engine in ("sqlite", "postgres"):
        for migration in discover_migrations(engine=engine):  # type: ignore[arg-type]
            first_line = migration.sql.lstrip().splitlines()[0]
            assert first_line.startswith(f"-- {migration.version:04d}:"), migration.name


async def test_a_fresh_database_gets_every_migration_and_keeps_its_version(
    empty_postgres: str,
) -> None:
    async with await Database.connect(empty_postgres) as db:
        latest = len(discover_migrations(engine="postgres"))
        assert await db.schema_version() == latest
    assert rows(empty_postgres, "SELECT version FROM schema_version") == [(latest,)]
    async with await Database.connect(empty_postgres) as again:  # nothing left to apply
        assert await again.schema_version() == latest


async def test_two_processes_starting_at_once_migrate_once(empty_postgres: str) -> None:
    """Without the lock both would see version 0 and both create the tables."""
    first, second = await asyncio.gather(
        Database.connect(empty_postgres), Database.connect(empty_postgres)
    )
    try:
        latest = len(discover_migrations(engine="postgres"))
        assert [await first.schema_version(), await second.schema_version()] == [latest] * 2
    finally:
        await first.close()
        await second.close()


async def test_a_failing_migration_leaves_nothing_behind(
    empty_postgres: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_good.sql").write_text("-- 0001: good\nCREATE TABLE a (x INTEGER);\n")
    (tmp_path / "0002_bad.sql").write_text(
        "-- 0002: half good\nCREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    with pytest.raises(MigrationError, match='0002_bad.sql failed: relation "nowhere"'):
        await Database.connect(empty_postgres, migrations_dir=tmp_path)
    tables = rows(
        empty_postgres,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "ORDER BY table_name",
    )
    assert tables == [("a",), ("schema_version",)]
    assert rows(empty_postgres, "SELECT version FROM schema_version") == [(1,)]


async def test_a_database_newer_than_the_code_is_refused(empty_postgres: str) -> None:
    async with await Database.connect(empty_postgres):
        pass
    execute(empty_postgres, "UPDATE schema_version SET version = 999")
    with pytest.raises(MigrationError, match="schema version 999, newer than this bot knows"):
        await Database.connect(empty_postgres)


async def test_a_server_that_does_not_answer_is_waited_for_then_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.storage")
    with pytest.raises(StorageUnavailable) as refused:
        await Database.connect(NOBODY, wait=0.3, first_backoff=0.05)
    assert str(refused.value).startswith(
        "PostgreSQL at 127.0.0.1:1/quizbot did not answer within 0.3 s"
    )
    assert "Check that it runs" in str(refused.value)
    waits = [r.getMessage() for r in caplog.records if "waiting for PostgreSQL" in r.getMessage()]
    assert len(waits) >= 2, waits  # it tried again, with a pause that grows
    assert waits[0].startswith("waiting for PostgreSQL at 127.0.0.1:1/quizbot (")
    assert "trying again in 0.1 s" in waits[1] or "trying again in 0.2 s" in waits[-1]


@pytest.mark.usefixtures("empty_postgres")
async def test_an_unknown_database_is_named() -> None:
    url = with_database(TEST_DATABASE_URL, "quizbot_no_such_database")
    with pytest.raises(StorageUnavailable, match="has no database 'quizbot_no_such_database'"):
        await Database.connect(url, wait=0)


async def test_an_unknown_user_is_named(empty_postgres: str) -> None:
    url = empty_postgres.replace("postgres@", "quizbot_nobody:secret@", 1)
    with pytest.raises(StorageUnavailable) as refused:
        await Database.connect(url, wait=0)
    message = str(refused.value)
    assert "refused user 'quizbot_nobody'" in message
    assert "Check the user and password in DATABASE_URL" in message
    assert "secret" not in message


async def test_a_database_dropped_while_open_is_said_so(empty_postgres: str) -> None:
    db = await Database.connect(empty_postgres)
    try:
        await db.members.upsert_user(1, "alice", NOW)
        drop_database(empty_postgres)  # terminates the pool's connections too
        with pytest.raises(StorageUnavailable, match="does not exist any more"):
            await db.members.user(1)
        with pytest.raises(StorageUnavailable, match="does not exist any more"):
            await db.members.upsert_user(1, "alice", NOW)
    finally:
        await db.close()


async def test_a_connection_terminated_mid_write_writes_nothing(empty_postgres: str) -> None:
    """The server ends the connection inside a write: the write says so in one line, none
    of it is stored, and the next write works on a new connection."""
    db = await Database.connect(empty_postgres)
    try:
        with pytest.raises(StorageUnavailable, match="lost the connection to PostgreSQL"):
            async with db.write() as conn:
                await conn.execute(
                    "INSERT INTO users (id, display_name, updated_at) VALUES (1, 'a', 0)"
                )
                await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        assert await db.members.user(1) is None
        await db.members.upsert_user(2, "bob", NOW)
        assert (await db.members.user(2)) is not None
    finally:
        await db.close()


def test_migrate_on_postgres_from_the_command_line(tmp_path: Path, empty_postgres: str) -> None:
    result = run_bot_cli("migrate", tmp_path=tmp_path, extra_env={"DATABASE_URL": empty_postgres})
    assert result.returncode == 0, result.stderr
    latest = len(discover_migrations(engine="postgres"))
    assert result.stdout.startswith("PostgreSQL at 127.0.0.1:")
    assert f"schema version {latest}" in result.stdout


def test_the_command_line_names_a_server_that_does_not_answer(tmp_path: Path) -> None:
    result = run_bot_cli(
        "migrate", tmp_path=tmp_path, extra_env={"DATABASE_URL": NOBODY, "DATABASE_WAIT": "1"}
    )
    assert result.returncode == 2
    assert "waiting for PostgreSQL at 127.0.0.1:1/quizbot" in result.stderr
    assert "error: PostgreSQL at 127.0.0.1:1/quizbot did not answer within 1 s" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_line_refuses_a_newer_database(tmp_path: Path, empty_postgres: str) -> None:
    env = {"DATABASE_URL": empty_postgres}
    assert run_bot_cli("migrate", tmp_path=tmp_path, extra_env=env).returncode == 0
    execute(empty_postgres, "UPDATE schema_version SET version = 999")
    result = run_bot_cli("migrate", tmp_path=tmp_path, extra_env=env)
    assert result.returncode == 2
    assert "error: the database is at schema version 999, newer than this bot knows" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_the_command_line_names_an_unknown_database(tmp_path: Path, empty_postgres: str) -> None:
    url = with_database(empty_postgres, "quizbot_no_such_database")
    result = run_bot_cli("migrate", tmp_path=tmp_path, extra_env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert "has no database 'quizbot_no_such_database'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_shipped_migrations_are_all_there_for_both_engines(tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy)
    sqlite, postgres = discover_migrations(copy, "sqlite"), discover_migrations(copy, "postgres")
    assert [m.version for m in sqlite] == [m.version for m in postgres]


async def test_a_write_waits_for_another_process_only_so_long(empty_postgres: str) -> None:
    """Another process holds the write lock: the write gives up in time for an apology
    instead of leaving the member without an answer."""
    db = await Database.connect(empty_postgres)
    holder = await asyncpg.connect(empty_postgres)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", WRITE_LOCK)
        with pytest.raises(asyncpg.LockNotAvailableError):
            # Without the limit it would wait until the holder lets go: here, 10 s.
            await asyncio.wait_for(db.members.upsert_user(1, "alice", NOW), 10)
        await holder.execute("SELECT pg_advisory_unlock($1)", WRITE_LOCK)
        await db.members.upsert_user(1, "alice", NOW)
        assert await db.members.user(1) is not None
    finally:
        await holder.close()
        await db.close()


async def test_sums_and_averages_come_back_as_on_sqlite(empty_postgres: str) -> None:
    """PostgreSQL sums BIGINT columns into NUMERIC; the rows hold an int and a float, as
    SQLite gives them, not Decimals."""
    async with await Database.connect(empty_postgres) as db:
        await db.members.upsert_guild(1, "g", NOW)
        await db.state.set("k", "v", NOW)
        async with db.read() as conn:
            row = await conn.fetchone(
                "SELECT SUM(created_at), AVG(created_at), SUM(created_at) / 2.5 FROM guilds"
            )
    assert row is not None
    assert [type(value) for value in row] == [int, float, float]
    assert row[0] == int(NOW.timestamp() * 1000)


async def test_a_server_that_comes_up_during_the_wait_is_used(
    empty_postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens on the port at first; a little later it forwards to the server."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    real = urlsplit(TEST_DATABASE_URL)

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(real.hostname, real.port or 5432)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    url = empty_postgres.replace(f":{real.port or 5432}/", f":{port}/", 1)
    caplog.set_level(logging.WARNING, logger="bot.storage")
    connecting = asyncio.create_task(Database.connect(url, wait=20, first_backoff=0.05))
    for _ in range(1_000):  # until the first attempt was refused
        if any("waiting for PostgreSQL" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    proxy = await asyncio.start_server(forward, "127.0.0.1", port)
    try:
        db = await connecting
        try:
            await db.members.upsert_user(1, "alice", NOW)
            assert await db.members.user(1) is not None
        finally:
            await db.close()
    finally:
        proxy.close()


async def test_a_write_cancelled_while_it_waits_leaves_nothing(empty_postgres: str) -> None:
    """A forget cancelled inside its transaction (the interaction timed out, the bot is
    stopping) is rolled back whole, and its pooled connection serves the next write."""
    db = await Database.connect(empty_postgres)
    holder = await asyncpg.connect(empty_postgres)
    try:
        await db.members.upsert(MemberName(1, "alice", 10, "Hall"), NOW)
        await db.sessions.create(quiz_session(), replace_active=False)
        held = holder.transaction()
        await held.start()
        await holder.execute("SELECT 1 FROM users WHERE id = 1 FOR UPDATE")
        forgetting = asyncio.create_task(db.members.forget(1))  # sessions go, then it waits
        for _ in range(1_000):
            if await holder.fetchval(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ):
                break
            await asyncio.sleep(0.01)
        forgetting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await forgetting
        await held.rollback()
        assert rows(empty_postgres, "SELECT id FROM quiz_sessions") == [("abc123def456",)]
        assert (await db.members.stored(1)).sessions == 1
        await db.members.upsert_user(2, "bob", NOW)
        assert await db.members.user(2) is not None
    finally:
        await holder.close()
        await db.close()


async def test_the_bots_connections_sort_and_hash_in_memory_up_to_work_mem(
    empty_postgres: str,
) -> None:
    async with await Database.connect(empty_postgres) as db:
        async with db.read() as conn:
            assert await conn.fetchone("SHOW work_mem") == ("16MB",)
        async with db.write() as conn:
            assert await conn.fetchone("SHOW work_mem") == ("16MB",)
