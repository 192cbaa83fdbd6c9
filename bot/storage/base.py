"""The connection every query mixin shares, and its transaction discipline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from bot.storage.models import MemberName, NewAnswer, to_ms

log = logging.getLogger(__name__)

CHECKPOINT_BUSY_MS = 100
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


class Connection:
    """One aiosqlite connection.

    aiosqlite runs a connection on one worker thread, so coroutines sharing it
    share its transaction: every write takes `_write_lock`, and multi-statement
    writes run inside `_transaction()` or, on the hot paths, `_write()`.

    Each awaited statement is a round trip to that thread (about 60 µs when the
    bot is idle, far more while a burst keeps the event loop busy), so reads use
    one round trip each, and the answer paths run their whole transaction in one.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._checkpoints: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._queued: list[tuple[Work[Any], asyncio.Future[Any]]] = []
        self._committer: asyncio.Task[None] | None = None
        self._writing = False  # a `_write` transaction is on its way to the thread
        self.commits = 0  # transactions `_write` ran, however many works each

    async def close(self) -> None:
        if self._committer is not None:
            await self._committer
        if self._checkpoints is not None:
            # Not cancelled: a cancel while its connection opens would leave that
            # connection's thread to finish after the event loop is gone.
            self._closing.set()
            await self._checkpoints
            self._checkpoints = None
        async with self._write_lock:
            await self._conn.close()

    # -- checkpoints ----------------------------------------------------------

    def start_checkpoints(self, every: float) -> None:
        """Copy the write-ahead log into the database file every `every` seconds, on a
        connection (and thread) of its own, so no answer ever waits for it.

        A PASSIVE checkpoint takes no write lock: answers go on being written while it
        runs, and SQLite releases the GIL while it copies.
        """
        if self._checkpoints is None:
            self._checkpoints = asyncio.create_task(
                self._checkpoint_loop(every), name=f"checkpoints {self.path.name}"
            )

    async def _checkpoint_loop(self, every: float) -> None:
        async with aiosqlite.connect(self.path, isolation_level=None) as conn:
            await conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_BUSY_MS}")
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(every):
                        await self._closing.wait()
                if self._closing.is_set():
                    return
                await self._checkpoint_once(conn)

    async def _checkpoint_once(self, conn: aiosqlite.Connection) -> None:
        try:
            await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:  # the next round tries again
            log.warning("checkpoint of %s failed: %s", self.path.name, error)

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

    async def _on_thread(self, work: Work[T]) -> T:
        """Run `work` with the sqlite3 connection on aiosqlite's own thread, in one trip.

        aiosqlite has no public call for this; its `_execute` queues a callable on
        the connection's thread, as its own `execute` does (aiosqlite is pinned below
        0.23 in pyproject.toml, and every answer test goes through here).
        """
        conn = self._conn
        run: Callable[[Callable[[], T]], Awaitable[T]] = conn._execute
        return await run(lambda: work(conn._conn))

    async def _write(self, work: Work[T]) -> T:
        """Run `work` in a transaction; an exception rolls back all it did.

        Works that arrive while a transaction is being written share the next one, each
        in a savepoint (group commit): under a burst of answers the thread writes the
        pages they share once and commits once, and one work's failure undoes only that
        work. The result comes back only after the commit. A work that finds nothing
        being written goes to the thread at once, from its own task.
        """
        if self._writing:
            future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            self._queued.append((work, future))
            return await future
        self._writing = True
        try:
            (outcome,) = await self._run_group([work])
        finally:
            if self._queued:  # they queued behind this one: a task writes them next
                self._committer = asyncio.create_task(self._commit_queued())
            else:
                self._writing = False
        if isinstance(outcome, _Failed):
            raise outcome.error
        return cast(T, outcome)

    async def _run_group(self, works: list[Work[Any]]) -> list[Any]:
        """One transaction for `works`: each one's value, or `_Failed`."""
        try:
            async with self._write_lock:
                outcomes = await self._on_thread(partial(_in_group_transaction, works))
        except Exception as error:  # BEGIN or COMMIT failed: nothing was written
            return [_Failed(error)] * len(works)
        self.commits += 1
        return outcomes

    async def _commit_queued(self) -> None:
        batch: list[tuple[Work[Any], asyncio.Future[Any]]] = []
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                outcomes = await self._run_group([work for work, _ in batch])
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller was cancelled; the work ran all the same
                        continue
                    if isinstance(outcome, _Failed):
                        future.set_exception(outcome.error)
                    else:
                        future.set_result(outcome)
        except asyncio.CancelledError:  # the loop is going away: let no writer wait forever
            for _, future in [*batch, *self._queued]:
                future.cancel()
            self._queued = []
            raise
        finally:
            self._committer = None
            self._writing = False

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One write statement under the lock; returns the number of rows changed."""
        async with self._write_lock:
            return await self._on_thread(lambda conn: conn.execute(sql, params).rowcount)

    async def _fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, params))


class _Failed:
    def __init__(self, error: Exception) -> None:
        self.error = error


def _in_group_transaction(works: list[Work[Any]], conn: sqlite3.Connection) -> list[Any]:
    """Run each work in a savepoint of one IMMEDIATE transaction; a work's outcome is its
    value or `_Failed`. Runs on the connection's thread."""
    conn.execute("BEGIN IMMEDIATE")
    if len(works) == 1:  # alone, the transaction is its savepoint
        try:
            outcome = works[0](conn)
        except Exception as error:
            conn.rollback()
            return [_Failed(error)]
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return [outcome]
    outcomes: list[Any] = []
    try:
        for work in works:
            conn.execute("SAVEPOINT work")
            try:
                outcomes.append(work(conn))
            except Exception as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO work")
                    conn.execute("RELEASE work")
                    outcomes.append(_Failed(error))
                else:
                    # SQLite rolled the whole transaction back (a full disk, an I/O
                    # error), so the works before this one are undone too.
                    outcomes = [_Failed(error)] * (len(outcomes) + 1)
                    conn.execute("BEGIN IMMEDIATE")
            else:
                conn.execute("RELEASE work")
        conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    return outcomes


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
