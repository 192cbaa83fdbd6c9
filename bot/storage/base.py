"""The connection every query mixin shares, and its transaction discipline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.models import NewAnswer, to_ms


class Connection:
    """One aiosqlite connection.

    aiosqlite runs a connection on one worker thread, so coroutines sharing it
    share its transaction: every write takes `_write_lock`, and multi-statement
    writes run inside `_transaction()`.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    async def close(self) -> None:
        async with self._write_lock:
            await self._conn.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            else:
                await self._conn.commit()

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One write statement under the lock; returns the number of rows changed."""
        async with self._write_lock:
            cursor = await self._conn.execute(sql, params)
            changed = cursor.rowcount
            await cursor.close()
        return changed

    async def _fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _insert_answer(self, answer: NewAnswer) -> int | None:
        """INSERT one answer; the caller holds the write lock. None on a duplicate."""
        cursor = await self._conn.execute(
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
        inserted = cursor.rowcount == 1
        answer_id = cursor.lastrowid
        await cursor.close()
        return answer_id if inserted else None
