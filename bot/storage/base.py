"""The one way to write and the one way to read, on either engine.

A write is `async with db.write() as conn:`: one transaction that commits when the block
ends and rolls back when it raises, so it happens whole or not at all. Writes take turns,
in the order they asked (on SQLite one write connection; on PostgreSQL a lock every
writing process shares), so a write's reads and its changes see no other write between.

A read is `async with db.read() as conn:`: one read transaction. It sees the database as
one commit left it, never a write that is half done. A single statement (a repository's
`_fetchone`, `_fetchall`) is its own snapshot and needs no transaction around it.

The query code sees only `Conn`: SQL written once with `?` (or `:name`) placeholders, run
by whichever engine `DATABASE_URL` chose (bot.storage.sqlite, bot.storage.postgres).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]
Params = Sequence[Any] | dict[str, Any]


class StorageUnavailable(Exception):
    """The database cannot be reached or used; the message says why and what to check."""


@dataclass(frozen=True)
class Dialect:
    """The few pieces of SQL text that differ between the engines."""

    name: str  # "sqlite" or "postgres"
    # SQLite's planner takes a named index where it would otherwise pick a worse one;
    # PostgreSQL plans from its statistics and has no such clause.
    use_index: bool

    def indexed_by(self, index: str) -> str:
        return f"INDEXED BY {index}" if self.use_index else ""

    def bit_or(self, powers_of_two: str) -> str:
        """The aggregate OR of powers of two. SQLite has no BIT_OR; the sum of each
        distinct power once is the same number."""
        if self.name == "postgres":
            return f"BIT_OR({powers_of_two})"
        return f"SUM(DISTINCT {powers_of_two})"


SQLITE = Dialect("sqlite", use_index=True)
POSTGRES = Dialect("postgres", use_index=False)


class Conn(ABC):
    """One connection as the query code uses it, inside a read or a write."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; how many rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of one statement."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class Engine(ABC):
    """Where the connections come from: one SQLite file or a PostgreSQL pool."""

    dialect: Dialect
    url: str
    path: Path | None  # the SQLite file; None on PostgreSQL
    location: str  # for messages: the file, or the server and database (no password)

    @abstractmethod
    def write(self) -> AbstractAsyncContextManager[Conn]: ...

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Conn]: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """One read statement, its own snapshot."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def migrate(self, migrations_dir: Path) -> None:
        """Apply the migrations this database lacks; refuse one newer than the code."""

    @abstractmethod
    async def close(self) -> None: ...


class Connection:
    """The engine every repository shares, and the one way to write and to read."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.path = engine.path

    def write(self) -> AbstractAsyncContextManager[Conn]:
        """One write transaction: all of the block's statements commit, or none does."""
        return self._engine.write()

    def read(self) -> AbstractAsyncContextManager[Conn]:
        """One read transaction: every statement of the block sees the same commit."""
        return self._engine.read()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; the number of rows changed."""
        async with self.write() as conn:
            return await conn.execute(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of one read statement, its own snapshot."""
        return await self._engine.fetchall(sql, params)


class Repository:
    """The queries of one domain (answers, daily challenges, ...) over the shared connection.

    A transaction that spans domains is one `async with self.write() as conn:` calling
    the module-level functions that take `conn` (`insert_answer`, `remember`, ...).
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def write(self) -> AbstractAsyncContextManager[Conn]:
        return self._connection.write()

    def read(self) -> AbstractAsyncContextManager[Conn]:
        return self._connection.read()

    async def _execute(self, sql: str, params: Params = ()) -> int:
        """One write statement; returns the number of rows changed."""
        return await self._connection.execute(sql, params)

    async def _fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of one read statement."""
        rows = await self._connection.fetchall(sql, params)
        return rows[0] if rows else None

    async def _fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of one read statement."""
        return await self._connection.fetchall(sql, params)


async def fetchone(conn: Conn, sql: str, params: Params = ()) -> Row | None:
    return await conn.fetchone(sql, params)


async def fetchall(conn: Conn, sql: str, params: Params = ()) -> list[Row]:
    return await conn.fetchall(sql, params)


async def rowcount(conn: Conn, sql: str, params: Params = ()) -> int:
    """Run one statement; how many rows it changed."""
    return await conn.execute(sql, params)
