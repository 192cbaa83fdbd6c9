"""The two engines the storage runs on, as the tests reach them.

A module marked `pytestmark = pytest.mark.engines` runs each test that uses a database
once on SQLite and once on PostgreSQL. The PostgreSQL server is `TEST_DATABASE_URL`
(default postgresql://postgres@127.0.0.1:5432/postgres); each test gets a database of its
own, cloned from one migrated at the start of the run, and dropped after it. When no
server answers, the PostgreSQL half is skipped, unless REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.storage import Database
from bot.storage.postgres import translate

T = TypeVar("T")

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end on a loop of its own in another thread: for sync test
    code, and sync fixtures, while a test's own loop may be running in this one."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        async def main() -> T:
            return await make()

        try:
            result.append(asyncio.run(main()))
        except BaseException as exc:  # handed to the caller
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def with_database(url: str, name: str) -> str:
    """`url` with its database name replaced."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def postgres_problem() -> str | None:
    """Why the test server cannot be used; None when it answers."""

    async def probe() -> None:
        conn = await asyncpg.connect(TEST_DATABASE_URL, timeout=3)
        await conn.close()

    try:
        in_thread(probe)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(TEST_DATABASE_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(*, template: str = "template0", prefix: str = "quizbot_test") -> str:
    """A new empty (or `template`'s copy) database on the test server; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    in_thread(lambda: _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return with_database(TEST_DATABASE_URL, name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    in_thread(lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def url_of(database: Path | str) -> str:
    """The DATABASE_URL of a test's database: an SQLite file, or a PostgreSQL URL."""
    return database if isinstance(database, str) else f"sqlite:///{database}"


def rows(database: Path | str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows read straight from a test's database, on either engine (`?` placeholders)."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            return conn.execute(sql, params).fetchall()

    async def fetch() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(database, timeout=5)
        try:
            return [tuple(row) for row in await conn.fetch(translate(sql)[0], *params)]
        finally:
            await conn.close()

    return in_thread(fetch)


INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


def target_of(db: Database) -> Path | str:
    """Where a test's open database lives: its SQLite file, or its PostgreSQL URL."""
    return db.path if db.path is not None else db.url


def execute(database: Path | str, sql: str, *params: Any) -> None:
    """One statement straight on a test's database, committed, on either engine."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            conn.execute(sql, params)
        return

    async def run() -> None:
        conn = await asyncpg.connect(database, timeout=5)
        try:
            await conn.execute(translate(sql)[0], *params)
        finally:
            await conn.close()

    in_thread(run)


@contextmanager
def inserts_refused(database: Path | str, table: str) -> Iterator[None]:
    """Every INSERT into `table` fails (by another connection's trigger) until the end;
    the error says 'no room for <table>'."""
    if isinstance(database, Path):
        create = (
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'no room for {table}'); END",
        )
        drop: tuple[str, ...] = (f"DROP TRIGGER refuse_{table}",)
    else:
        create = (
            f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION 'no room for {table}'; END $$",
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}()",
        )
        drop = (f"DROP TRIGGER refuse_{table} ON {table}", f"DROP FUNCTION refuse_{table}()")
    for sql in create:
        execute(database, sql)
    try:
        yield
    finally:
        for sql in drop:
            execute(database, sql)
