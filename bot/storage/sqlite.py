"""SQLite through aiosqlite: a write connection and a read connection on one file.

A write is one IMMEDIATE transaction on the write connection; a lock lets one write at a
time in, in the order they asked. A read is one read transaction on the read connection:
in write-ahead-log mode it sees the database as the last commit left it, and never waits
for a writer. Coroutines sharing one connection share its transaction, so readers take
turns on it too.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.base import SQLITE, Conn, Engine, Params, Row, StorageUnavailable

# How long a write waits for another writer's lock. Shorter than Discord's 3 s
# to acknowledge an interaction, so a stuck lock ends in an apology in time.
BUSY_TIMEOUT_MS = 1_500
_PRAGMAS = (f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}", "PRAGMA foreign_keys = ON")
_WRITER_PRAGMAS = (*_PRAGMAS, "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")
_READER_PRAGMAS = (*_PRAGMAS, "PRAGMA query_only = ON")


class SqliteConn(Conn):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(row) for row in await self._conn.execute_fetchall(sql, params)]


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection, begin: str) -> AsyncIterator[SqliteConn]:
    """`begin`, the caller's statements, COMMIT; anything raised (a cancel too) rolls
    all of it back.

    `rollback()` runs on the connection's own thread after every statement already
    sent, and does nothing when SQLite has rolled back by itself (a full disk does that),
    so it is right whether or not a transaction is still open.
    """
    try:
        await conn.execute(begin)  # inside: a cancel may land just after BEGIN ran
        yield SqliteConn(conn)
        await conn.execute("COMMIT")
    except BaseException:
        await conn.rollback()
        raise


async def connect(path: Path, pragmas: tuple[str, ...]) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in pragmas:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


class SqliteEngine(Engine):
    dialect = SQLITE

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: Path):
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self.path = path
        self.url = f"sqlite:///{path}"
        self.location = str(path)
        self._file = path
        self._inode = os.stat(path).st_ino

    @classmethod
    async def open(cls, path: Path) -> SqliteEngine:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await connect(path, _WRITER_PRAGMAS)
        try:
            reader = await connect(path, _READER_PRAGMAS)
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader, path)

    async def close(self) -> None:
        try:
            await self._reader.close()
        finally:
            await self._writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        async with self._write_lock:
            self._check_file()
            async with transaction(self._writer, "BEGIN IMMEDIATE") as conn:
                yield conn

    def _check_file(self) -> None:
        """A file deleted or replaced under the bot would take every later write into an
        unlinked inode, lost at the next start: refuse them, saying why."""
        try:
            same = os.stat(self._file).st_ino == self._inode
        except OSError:
            same = False
        if not same:
            raise StorageUnavailable(
                f"the database file {self._file} is gone (deleted or replaced while the bot "
                "ran); restore it or point DATABASE_URL at another file, then restart the bot"
            )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        async with self._read_lock, transaction(self._reader, "BEGIN") as conn:
            yield conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._read_lock:
            return [tuple(row) for row in await self._reader.execute_fetchall(sql, params)]

    async def schema_version(self) -> int:
        rows = await self.fetchall("PRAGMA user_version")
        return int(rows[0][0]) if rows else 0

    async def migrate(self, migrations_dir: Path) -> None:
        """Bring the schema up to date. A database a release with reviews behind a mark
        wrote first gets the reviews it still owed, before the mark goes.

        The migrations run on a standard-library connection of their own in a worker
        thread (they are plain SQL scripts, and run once at start).
        """
        from bot.storage.migrations import apply_sqlite_migrations
        from bot.storage.reviews import review_answers_behind_the_mark

        if await self.schema_version() == 10:
            async with self.write() as conn:
                await review_answers_behind_the_mark(conn)
        path = self._file

        def migrate() -> None:
            with closing(sqlite3.connect(path, isolation_level=None)) as conn:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                apply_sqlite_migrations(conn, migrations_dir)

        await asyncio.to_thread(migrate)
