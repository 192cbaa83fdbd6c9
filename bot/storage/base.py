"""The database's two aiosqlite connections, the one way to write and the one way to read.

A write is `async with db.write() as conn:` on the write connection: one IMMEDIATE
transaction that commits when the block ends and rolls back when it raises, so it happens
whole or not at all. A lock lets one write at a time in, in the order they asked.

A read is `async with db.read() as conn:` on the read connection: one read transaction. In
write-ahead-log mode it sees the database as the last commit left it, never a write that is
half done, and never waits for a writer. Coroutines sharing one connection share its
transaction, so readers take turns on it too; a single statement (`_fetchone`,
`_fetchall`) is its own snapshot and needs no transaction around it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.models import MemberName, NewAnswer, to_ms

Row = tuple[Any, ...]
Params = Iterable[Any] | dict[str, Any]


@asynccontextmanager
async def transaction(
    conn: aiosqlite.Connection, begin: str
) -> AsyncIterator[aiosqlite.Connection]:
    """`begin`, the caller's statements, COMMIT; anything raised (a cancel too) rolls
    all of it back.

    `rollback()` runs on the connection's own thread after every statement already
    sent, and does nothing when SQLite has rolled back by itself (a full disk does that),
    so it is right whether or not a transaction is still open.
    """
    try:
        await conn.execute(begin)  # inside: a cancel may land just after BEGIN ran
        yield conn
        await conn.execute("COMMIT")
    except BaseException:
        await conn.rollback()
        raise


class Connection:
    """The write connection and the read connection every query mixin shares."""

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: Path):
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self.path = path

    async def close(self) -> None:
        try:
            await self._reader.close()
        finally:
            await self._writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: all of the block's statements commit, or none does."""
        async with self._write_lock, transaction(self._writer, "BEGIN IMMEDIATE") as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """One read transaction: every statement of the block sees the same commit."""
        async with self._read_lock, transaction(self._reader, "BEGIN") as conn:
            yield conn

    async def _execute(self, sql: str, params: Params = ()) -> int:
        """One write statement; returns the number of rows changed."""
        async with self.write() as conn:
            return await rowcount(conn, sql, params)

    async def _fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of one read statement."""
        async with self._read_lock:
            return await fetchone(self._reader, sql, params)

    async def _fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of one read statement."""
        async with self._read_lock:
            return await fetchall(self._reader, sql, params)


async def fetchone(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> Row | None:
    rows = await fetchall(conn, sql, params)
    return rows[0] if rows else None


async def fetchall(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[Row]:
    return [tuple(row) for row in await conn.execute_fetchall(sql, params)]


async def rowcount(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run one statement; how many rows it changed."""
    cursor = await conn.execute(sql, params)
    return cursor.rowcount


async def insert_answer(conn: aiosqlite.Connection, answer: NewAnswer) -> int | None:
    """INSERT one answer (inside a write); its id, or None on a duplicate."""
    row = await fetchone(
        conn,
        "INSERT INTO answers (user_id, guild_id, deck_id, card_id, mode, correct, grade, "
        "points, answered_at, response_ms, session_id, question_index, challenge_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
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
    return None if row is None else int(row[0])


async def write_member(conn: aiosqlite.Connection, member: MemberName, now: datetime) -> None:
    """Remember a member's current name and their server's (inside a write).

    An unchanged name writes nothing (no page to commit on every click); a user's
    `updated_at` is when their name last changed.
    """
    await conn.execute(
        "INSERT INTO users (id, display_name, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, "
        "updated_at = excluded.updated_at WHERE display_name IS NOT excluded.display_name",
        (member.user_id, member.display_name, to_ms(now)),
    )
    if member.guild_id is not None:
        await write_guild(conn, member.guild_id, member.guild_name, now)


async def write_guild(conn: aiosqlite.Connection, guild_id: int, name: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO guilds (id, name, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE name IS NOT excluded.name",
        (guild_id, name, to_ms(now)),
    )
