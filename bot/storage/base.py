"""The database's two connections, and the one way to write and the one way to read.

Each connection is a standard-library `sqlite3` connection used only from a thread of its
own, so the event loop never waits on SQLite. A write is a function run on the write
connection's thread inside one IMMEDIATE transaction: it happens whole or not at all, and
writes run one after another in the order they were asked for. A read is a function run on
the read connection's thread inside one read transaction: in write-ahead-log mode it sees
the database as the last commit left it, never a write that is half done, and never waits
for a writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bot.storage.models import MemberName, NewAnswer, to_ms

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]
Row = tuple[Any, ...]


class Worker:
    """One sqlite3 connection and the one thread that uses it."""

    def __init__(self, name: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def open(self, path: Path, pragmas: tuple[str, ...]) -> None:
        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                for pragma in pragmas:
                    conn.execute(pragma)
            except BaseException:
                conn.close()
                raise
            return conn

        self._conn = await self._on_thread(connect)

    async def run(self, work: Work[T]) -> T:
        """Run `work` with the connection on its thread (one trip there and back)."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("the database is closed")
        return await self._on_thread(partial(work, conn))

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                await self._on_thread(conn.close)
        finally:
            self._thread.shutdown(wait=False)

    async def _on_thread(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)


def in_transaction(begin: str, work: Work[T], conn: sqlite3.Connection) -> T:
    """`work` between `begin` and COMMIT; anything it raises rolls all of it back."""
    conn.execute(begin)
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
            conn.execute("ROLLBACK")
        raise
    return result


class Connection:
    """The write connection and the read connection every query mixin shares."""

    def __init__(self, writer: Worker, reader: Worker, path: Path) -> None:
        self._writer = writer
        self._reader = reader
        self.path = path

    async def close(self) -> None:
        try:
            await self._reader.close()
        finally:
            await self._writer.close()

    async def _write(self, work: Work[T]) -> T:
        """Run `work` in one write transaction; an exception rolls back all it did."""
        return await self._writer.run(partial(in_transaction, "BEGIN IMMEDIATE", work))

    async def _read(self, work: Work[T]) -> T:
        """Run `work` in one read transaction: every statement sees the same commit."""
        return await self._reader.run(partial(in_transaction, "BEGIN", work))

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One write statement; returns the number of rows changed."""
        return await self._write(lambda conn: conn.execute(sql, params).rowcount)

    async def _fetchone(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> Row | None:
        return await self._read(lambda conn: fetchone(conn, sql, params))

    async def _fetchall(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Row]:
        return await self._read(lambda conn: fetchall(conn, sql, params))


def fetchone(conn: sqlite3.Connection, sql: str, params: Any = ()) -> Row | None:
    row: Row | None = conn.execute(sql, params).fetchone()
    return row


def fetchall(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[Row]:
    rows: list[Row] = conn.execute(sql, params).fetchall()
    return rows


def insert_answer(conn: sqlite3.Connection, answer: NewAnswer) -> int | None:
    """INSERT one answer (inside a `_write` transaction); None on a duplicate."""
    cursor = conn.execute(
        "INSERT INTO answers (user_id, guild_id, deck_id, card_id, mode, correct, grade, "
        "points, answered_at, response_ms, session_id, question_index, challenge_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            answer.user_id,
            answer.guild_id,
            answer.deck_id,
            answer.card_id,
            answer.mode,
            int(answer.correct),
            answer.grade,
            answer.points,
            to_ms(answer.answered_at),
            answer.response_ms,
            answer.session_id,
            answer.question_index,
            answer.challenge_id,
        ),
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


def write_member(conn: sqlite3.Connection, member: MemberName, now: datetime) -> None:
    """Remember a member's current name and their server's (inside a transaction).

    An unchanged name writes nothing (no page to commit on every click); a user's
    `updated_at` is when their name last changed.
    """
    conn.execute(
        "INSERT INTO users (id, display_name, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, "
        "updated_at = excluded.updated_at WHERE display_name IS NOT excluded.display_name",
        (member.user_id, member.display_name, to_ms(now)),
    )
    if member.guild_id is not None:
        write_guild(conn, member.guild_id, member.guild_name, now)


def write_guild(conn: sqlite3.Connection, guild_id: int, name: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO guilds (id, name, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE name IS NOT excluded.name",
        (guild_id, name, to_ms(now)),
    )
