"""PostgreSQL through asyncpg: a pool of connections several bot processes can share.

A write is a pooled connection in one transaction that first takes a lock every writing
process shares (`pg_advisory_xact_lock`), so writes take turns as they do on SQLite and
a write's reads see no other write between them; reads never wait for it. A read is a
pooled connection in one read-only REPEATABLE READ transaction: every statement of it
sees the same commit.

The SQL is the SQLite text: `?` and `:name` placeholders become `$1..$n` here, outside
string literals and comments, once per statement text.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.storage.base import POSTGRES, Conn, Engine, Params, Row, StorageUnavailable

log = logging.getLogger("bot.storage")

POOL_SIZE = 10
CONNECT_TIMEOUT_S = 5.0
# How long a statement waits for a lock another process holds (as SQLite's busy timeout):
# shorter than Discord's 3 s to acknowledge an interaction, so a stuck lock ends in an
# apology in time.
LOCK_TIMEOUT_MS = 1_500
# Memory a sort or a hash table of one query may use before it spills to disk. The
# server's default (4 MB) is too little for a month's board of a large server: ranking
# 60,000 members spilled both, and took half again as long (see the README's
# Performance section). Per operation and per connection of the pool.
WORK_MEM = "16MB"
# The key of the lock every write takes; any number the database uses for nothing else.
WRITE_LOCK = 0x71_75_69_7A  # "quiz"
# Errors that mean the connection, the server or the database went away.
LOST = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InvalidCatalogNameError,
)
# At start: worth waiting for (the server is down or starting); anything else is final.
_WAIT_FOR = (
    OSError,
    TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.PostgresConnectionError,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with `?` (or `:name`) placeholders as `$1..$n`, and the names in `$` order.

    Text inside '...', "..." and comments is left alone, and so is a `::` cast.
    A name used twice gets one number.
    """
    out: list[str] = []
    names: list[str] = []
    numbers: dict[str, int] = {}
    count = 0
    i, end = 0, len(sql)
    while i < end:
        char = sql[i]
        if char in "'\"":
            close = sql.find(char, i + 1)  # a doubled quote closes and opens again
            stop = end if close < 0 else close + 1
            out.append(sql[i:stop])
            i = stop
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            stop = end if newline < 0 else newline
            out.append(sql[i:stop])
            i = stop
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            stop = end if close < 0 else close + 2
            out.append(sql[i:stop])
            i = stop
        elif char == "?":
            count += 1
            out.append(f"${count}")
            i += 1
        elif sql.startswith("::", i):
            out.append("::")
            i += 2
        elif char == ":" and (match := _NAME.match(sql, i + 1)) is not None:
            name = match.group()
            if name not in numbers:
                names.append(name)
                numbers[name] = len(names)
            out.append(f"${numbers[name]}")
            i = match.end()
        else:
            out.append(char)
            i += 1
    if count and names:
        raise ValueError("a statement mixes ? and :name placeholders")
    return "".join(out), tuple(names)


def _arguments(names: tuple[str, ...], params: Params) -> Sequence[Any]:
    if isinstance(params, dict):
        return [params[name] for name in names]
    return params


class PostgresConn(Conn):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        text, names = translate(sql)
        status: str = await self._conn.execute(text, *_arguments(names, params))
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        text, _ = translate(sql)
        await self._conn.executemany(text, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, names = translate(sql)
        return [tuple(row) for row in await self._conn.fetch(text, *_arguments(names, params))]


def _number(text: str) -> int | float:
    """NUMERIC (what SUM of BIGINT and AVG give) as SQLite would give it: int or float."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


async def _setup(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_number, format="text"
    )


def where(url: str) -> str:
    """host:port/database of a URL, without its user or password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    database = unquote(parts.path.lstrip("/")) or unquote(parts.username or "") or "postgres"
    return f"{host}:{port}/{database}"


def _user(url: str) -> str:
    return unquote(urlsplit(url).username or "") or "(default)"


def lost_message(url: str, error: BaseException) -> str:
    """What a lost connection during work means, in one line."""
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return (
            f"the database {where(url)} does not exist any more (dropped while the bot ran?); "
            "restore it or point DATABASE_URL at another one, then restart the bot"
        )
    return f"lost the connection to PostgreSQL at {where(url)}: {error or type(error).__name__}"


def refusal_message(url: str, error: BaseException) -> str:
    """Why PostgreSQL would not let the bot in, and what to fix."""
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        name = where(url).split("/", 1)[1]
        return (
            f"PostgreSQL at {where(url)} has no database {name!r}. Create it "
            f"(createdb {name}) or fix the database name in DATABASE_URL."
        )
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        return (
            f"PostgreSQL at {where(url)} refused user {_user(url)!r}: {error}. "
            "Check the user and password in DATABASE_URL."
        )
    return f"PostgreSQL at {where(url)} refused the connection: {error}"


# A write's transaction and its lock, asked for in one round trip: two statements of one
# simple query (which takes no parameters, so the key is in the text).
_BEGIN_WRITE = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"


@asynccontextmanager
async def _transaction(raw: asyncpg.Connection, begin: str) -> AsyncIterator[None]:
    """`begin`, the caller's statements, COMMIT; anything raised (a cancel too) rolls
    back whatever of it the server holds open. (asyncpg's own `transaction()` sends BEGIN
    alone, one more round trip while the write lock is held.)"""
    try:
        await raw.execute(begin)
        yield
    except BaseException:
        if not raw.is_closed() and raw.is_in_transaction():
            await raw.execute("ROLLBACK")
        raise
    await raw.execute("COMMIT")


class PostgresEngine(Engine):
    dialect = POSTGRES
    path = None

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._write_lock = asyncio.Lock()
        self.url = url
        self.location = f"PostgreSQL at {where(url)}"

    @classmethod
    async def open(
        cls, url: str, *, wait: float = 60.0, first_backoff: float = 0.5
    ) -> PostgresEngine:
        """A pool on `url`. While the server does not answer, try again with a growing
        pause, for up to `wait` seconds in all, logging what is waited for."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        pause = first_backoff
        while True:
            try:
                pool = await asyncpg.create_pool(
                    url,
                    min_size=1,
                    max_size=POOL_SIZE,
                    init=_setup,
                    timeout=CONNECT_TIMEOUT_S,
                    statement_cache_size=1024,
                    server_settings={"lock_timeout": str(LOCK_TIMEOUT_MS), "work_mem": WORK_MEM},
                )
            except _WAIT_FOR as error:
                left = deadline - loop.time()
                reason = str(error) or type(error).__name__
                if left <= 0:
                    raise StorageUnavailable(
                        f"PostgreSQL at {where(url)} did not answer within {wait:g} s "
                        f"({reason}). Check that it runs and that DATABASE_URL names its "
                        "host and port."
                    ) from None
                pause = min(pause, left)
                log.warning(
                    "waiting for PostgreSQL at %s (%s); trying again in %.1f s",
                    where(url),
                    reason,
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
                raise StorageUnavailable(refusal_message(url, error)) from None
            else:
                assert pool is not None
                return cls(pool, url)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        # Writers of this process queue on the lock, not holding a pooled connection
        # each. The next one goes as soon as this one has committed (or rolled back),
        # while this connection goes back to the pool (its reset is one more round trip).
        lock = self._write_lock
        await lock.acquire()
        locked = True
        try:
            async with self._connection() as raw:
                try:
                    async with _transaction(raw, _BEGIN_WRITE):
                        yield PostgresConn(raw)
                except LOST as error:
                    raise await self._unavailable(error) from error
                finally:
                    lock.release()
                    locked = False
        finally:
            if locked:
                lock.release()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        async with self._connection() as raw:
            try:
                async with raw.transaction(isolation="repeatable_read", readonly=True):
                    yield PostgresConn(raw)
            except LOST as error:
                raise await self._unavailable(error) from error

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as raw:
            try:
                return await PostgresConn(raw).fetchall(sql, params)
            except LOST as error:
                raise await self._unavailable(error) from error

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; a pool that cannot make one says why in one line."""
        try:
            raw = await self._pool.acquire()
        except LOST as error:
            raise await self._unavailable(error) from error
        try:
            yield raw
        finally:
            await self._pool.release(raw)

    async def _unavailable(self, error: BaseException) -> StorageUnavailable:
        """What a lost connection means: one new connection tells a dropped database and a
        server that went away from a connection that broke alone."""
        try:
            probe = await asyncpg.connect(self.url, timeout=1.0)
        except (*LOST, asyncpg.PostgresError) as found:
            if isinstance(found, asyncpg.InvalidCatalogNameError):
                return StorageUnavailable(lost_message(self.url, found))
            if isinstance(found, OSError | TimeoutError):
                return StorageUnavailable(
                    f"PostgreSQL at {where(self.url)} does not answer any more ({found}); "
                    "the bot carries on when it is back"
                )
        else:
            await probe.close()
        return StorageUnavailable(lost_message(self.url, error))

    async def schema_version(self) -> int:
        from bot.storage.migrations import postgres_version

        async with self._connection() as raw:
            return await postgres_version(raw)

    async def migrate(self, migrations_dir: Path) -> None:
        from bot.storage.migrations import apply_postgres_migrations

        async with self._connection() as raw:
            await apply_postgres_migrations(raw, migrations_dir)
