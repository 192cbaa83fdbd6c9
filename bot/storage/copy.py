"""Copy every table of one database into another, empty one: SQLite to PostgreSQL, back,
or between two databases of one engine (`python -m bot db copy SOURCE TARGET`).

Before anything is written: the source must be at this bot's schema version, and the
target empty; a target without any table is migrated to that version first. Then every
table goes over in foreign-key order, rows and ids as they are, in batches (streamed: a
batch at a time is in memory, however many rows there are), inside ONE transaction on the
target: an interrupted copy leaves the target as it was before the copy, and running the
command again starts over. The source is read in one snapshot (one read transaction).

Left out: the engine's own version bookkeeping (`schema_version` on PostgreSQL, `PRAGMA
user_version` on SQLite, which each side keeps itself) and SQLite's `sqlite_sequence`, whose
marks go over as the identity sequences' positions instead. Triggers of the target do not
fire for the copied rows (the rows they would derive are copied too); identity sequences
(PostgreSQL) and AUTOINCREMENT marks (SQLite) end at least at the source's mark and the
highest id copied, so no id is ever handed out twice.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bot.config import ConfigError, database_path_from_url
from bot.storage.migrations import MIGRATIONS_DIR, MigrationError, discover_migrations
from bot.storage.postgres import LOST, refusal_message, where

BATCH = 5_000
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# What each engine keeps for itself; never copied.
SKIPPED = frozenset({"schema_version", "sqlite_sequence"})

Row = tuple[Any, ...]
Progress = Callable[[str, int, int], None]  # table, rows copied, rows in all


class CopyError(Exception):
    """The copy cannot start or did not finish; one line that says why and what to do."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


@dataclass(frozen=True)
class CopyReport:
    counts: list[TableCount]

    @property
    def matches(self) -> bool:
        return all(count.source == count.target for count in self.counts)

    def lines(self) -> list[str]:
        """The per-table row counts of both sides, one line each, a mismatch marked."""
        width = max([len("table"), *(len(count.table) for count in self.counts)])
        out = [f"{'table':<{width}}  {'source':>12}  {'target':>12}"]
        for count in self.counts:
            mark = "" if count.source == count.target else "  DIFFERENT"
            out.append(f"{count.table:<{width}}  {count.source:>12,}  {count.target:>12,}{mark}")
        return out


def describe(url: str) -> str:
    """Where a URL points, without a password, for messages."""
    if url.startswith(POSTGRES_SCHEMES):
        return f"PostgreSQL at {where(url)}"
    return str(database_path_from_url(url))


class _Side(ABC):
    """One database as the copy sees it: its tables, and raw rows in and out."""

    url: str

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def version(self) -> int: ...

    @abstractmethod
    async def tables(self) -> dict[str, list[str]]:
        """Every table the bot's schema made (bookkeeping left out) and its columns."""

    @abstractmethod
    async def references(self) -> dict[str, set[str]]:
        """For each table, the tables its foreign keys point at."""

    @abstractmethod
    async def count(self, table: str) -> int: ...

    @abstractmethod
    async def id_marks(self) -> dict[str, int]:
        """The highest id each table's own id counter handed out (identity sequence or
        AUTOINCREMENT); a table without one is absent."""

    @abstractmethod
    def snapshot(self) -> Any:
        """An async context: every read inside sees one commit."""

    @abstractmethod
    def rows(self, table: str, columns: Sequence[str], batch: int) -> AsyncIterator[list[Row]]:
        """The table's rows, `batch` at a time."""

    @abstractmethod
    def writing(self) -> Any:
        """An async context: one write transaction; it commits when the block ends whole."""

    @abstractmethod
    async def triggers_off(self, table: str) -> None: ...

    @abstractmethod
    async def triggers_on(self, table: str) -> None: ...

    @abstractmethod
    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None: ...

    @abstractmethod
    async def set_id_mark(self, table: str, mark: int) -> None:
        """Make the table's id counter hand out ids above `mark` and above every id in it."""

    @abstractmethod
    async def settle(self) -> None:
        """After the copy committed: whatever the engine wants after a bulk load."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _SqliteSide(_Side):
    def __init__(self, conn: aiosqlite.Connection, url: str) -> None:
        self._conn = conn
        self.url = url
        self._triggers: dict[str, list[tuple[str, str]]] = {}

    @classmethod
    async def open(cls, url: str, *, create: bool) -> _SqliteSide:
        path = database_path_from_url(url)
        if not create and not path.is_file():
            raise CopyError(f"there is no SQLite database at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise CopyError(f"cannot open the SQLite database {path}: {error}") from None
        try:
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("SELECT COUNT(*) FROM sqlite_master")
        except sqlite3.Error as error:
            await conn.close()
            raise CopyError(f"{path} is not an SQLite database the bot can use: {error}") from None
        return cls(conn, url)

    async def close(self) -> None:
        await self._conn.close()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in await self._conn.execute_fetchall(sql, params)]

    async def version(self) -> int:
        return int((await self._all("PRAGMA user_version"))[0][0])

    async def tables(self) -> dict[str, list[str]]:
        names = await self._all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        found = {}
        for (name,) in names:
            if name not in SKIPPED:
                info = await self._all(f"PRAGMA table_info({_quoted(name)})")
                found[name] = [str(row[1]) for row in info]
        return found

    async def references(self) -> dict[str, set[str]]:
        found = {}
        for table in await self.tables():
            keys = await self._all(f"PRAGMA foreign_key_list({_quoted(table)})")
            found[table] = {str(row[2]) for row in keys}
        return found

    async def count(self, table: str) -> int:
        return int((await self._all(f"SELECT COUNT(*) FROM {_quoted(table)}"))[0][0])

    async def id_marks(self) -> dict[str, int]:
        return (
            {
                str(name): int(seq)
                for name, seq in await self._all("SELECT name, seq FROM sqlite_sequence")
            }
            if await self._has_sequence_table()
            else {}
        )

    async def _has_sequence_table(self) -> bool:
        return bool(await self._all("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"))

    def snapshot(self) -> Any:
        return _SqliteTransaction(self._conn, "BEGIN")

    async def rows(
        self, table: str, columns: Sequence[str], batch: int
    ) -> AsyncIterator[list[Row]]:
        listed = ", ".join(_quoted(column) for column in columns)
        async with self._conn.execute(f"SELECT {listed} FROM {_quoted(table)}") as cursor:
            while chunk := await cursor.fetchmany(batch):
                yield [tuple(row) for row in chunk]

    def writing(self) -> Any:
        return _SqliteTransaction(self._conn, "BEGIN IMMEDIATE")

    async def triggers_off(self, table: str) -> None:
        # SQLite cannot switch a trigger off: it goes, and comes back as it was before the
        # transaction commits (DDL is part of the transaction).
        found = await self._all(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        )
        self._triggers[table] = [(str(name), str(sql)) for name, sql in found]
        for name, _ in self._triggers[table]:
            await self._conn.execute(f"DROP TRIGGER {_quoted(name)}")

    async def triggers_on(self, table: str) -> None:
        for _, sql in self._triggers.pop(table, []):
            await self._conn.execute(sql)

    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        listed = ", ".join(_quoted(column) for column in columns)
        marks = ", ".join("?" * len(columns))
        await self._conn.executemany(
            f"INSERT INTO {_quoted(table)} ({listed}) VALUES ({marks})", rows
        )

    async def settle(self) -> None:
        """Nothing: SQLite plans from its indexes (and the bot's INDEXED BY hints)."""

    async def set_id_mark(self, table: str, mark: int) -> None:
        sql = await self._all(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        )
        if not sql or "AUTOINCREMENT" not in str(sql[0][0]).upper():
            return  # ids come from the highest one in the table, copied as it is
        await self._conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        await self._conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) "
            f"SELECT ?, MAX(?, COALESCE((SELECT MAX(rowid) FROM {_quoted(table)}), 0))",
            (table, mark),
        )


class _SqliteTransaction:
    def __init__(self, conn: aiosqlite.Connection, begin: str) -> None:
        self._conn = conn
        self._begin = begin

    async def __aenter__(self) -> None:
        await self._conn.execute(self._begin)

    async def __aexit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            await self._conn.execute("COMMIT")
        else:
            await self._conn.rollback()


class _PostgresSide(_Side):
    def __init__(self, conn: asyncpg.Connection, url: str) -> None:
        self._conn = conn
        self.url = url

    @classmethod
    async def open(cls, url: str, *, timeout: float) -> _PostgresSide:
        try:
            conn = await asyncpg.connect(url, timeout=timeout)
        except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as error:
            reason = str(error) or type(error).__name__
            raise CopyError(
                f"PostgreSQL at {where(url)} does not answer ({reason}); check that it runs "
                "and that the URL names its host and port"
            ) from None
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise CopyError(refusal_message(url, error)) from None
        except ValueError as error:
            raise CopyError(
                f"{where(url)}: not a PostgreSQL URL the driver accepts ({error})"
            ) from None
        return cls(conn, url)

    async def close(self) -> None:
        await self._conn.close()

    async def version(self) -> int:
        from bot.storage.migrations import postgres_version

        return await postgres_version(self._conn)

    async def tables(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        rows = await self._conn.fetch(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position"
        )
        for table, column in rows:
            if table not in SKIPPED:
                found.setdefault(str(table), []).append(str(column))
        return found

    async def references(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {table: set() for table in await self.tables()}
        rows = await self._conn.fetch(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
            "JOIN pg_class r ON r.oid = c.conrelid "
            "WHERE c.contype = 'f' AND r.relnamespace = current_schema()::regnamespace"
        )
        for table, parent in rows:
            found.setdefault(str(table).strip('"'), set()).add(str(parent).strip('"'))
        return found

    async def count(self, table: str) -> int:
        return int(await self._conn.fetchval(f"SELECT COUNT(*) FROM {_quoted(table)}"))

    async def _identities(self) -> list[tuple[str, str, str]]:
        """(table, column, sequence) of every column that takes its value from a sequence."""
        rows = await self._conn.fetch(
            "SELECT table_name, column_name, "
            "pg_get_serial_sequence(quote_ident(table_name), column_name) "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
        )
        return [(str(t), str(c), str(s)) for t, c, s in rows if s is not None]

    async def id_marks(self) -> dict[str, int]:
        marks = {}
        for table, _, sequence in await self._identities():
            last = await self._conn.fetchval(
                "SELECT pg_sequence_last_value($1::regclass)", sequence
            )
            marks[table] = int(last or 0)
        return marks

    def snapshot(self) -> Any:
        return self._conn.transaction(isolation="repeatable_read", readonly=True)

    async def rows(
        self, table: str, columns: Sequence[str], batch: int
    ) -> AsyncIterator[list[Row]]:
        listed = ", ".join(_quoted(column) for column in columns)
        cursor = await self._conn.cursor(f"SELECT {listed} FROM {_quoted(table)}")
        while chunk := await cursor.fetch(batch):
            yield [tuple(row) for row in chunk]

    def writing(self) -> Any:
        return self._conn.transaction()

    async def triggers_off(self, table: str) -> None:
        # USER: the table's own triggers; the ones that check foreign keys stay on.
        await self._conn.execute(f"ALTER TABLE {_quoted(table)} DISABLE TRIGGER USER")

    async def triggers_on(self, table: str) -> None:
        await self._conn.execute(f"ALTER TABLE {_quoted(table)} ENABLE TRIGGER USER")

    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        await self._conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def set_id_mark(self, table: str, mark: int) -> None:
        for name, column, sequence in await self._identities():
            if name == table:
                highest = await self._conn.fetchval(
                    f"SELECT MAX({_quoted(column)}) FROM {_quoted(table)}"
                )
                top = max(mark, int(highest or 0))
                # setval(…, 1, false): the next id is 1, as in a table never written to.
                await self._conn.execute(
                    "SELECT setval($1::regclass, $2, $3)", sequence, max(top, 1), top > 0
                )

    async def settle(self) -> None:
        # The planner's statistics, and the visibility map that lets it read an index
        # alone: until autovacuum gets round to the new rows, queries would plan blind.
        await self._conn.execute("VACUUM (ANALYZE)")


async def _open(url: str, *, create: bool, timeout: float) -> _Side:
    if url.startswith(POSTGRES_SCHEMES):
        return await _PostgresSide.open(url, timeout=timeout)
    return await _SqliteSide.open(url, create=create)


def _same_place(first: str, second: str) -> bool:
    if first.startswith(POSTGRES_SCHEMES) and second.startswith(POSTGRES_SCHEMES):
        return where(first) == where(second)
    if first.startswith("sqlite:///") and second.startswith("sqlite:///"):
        return database_path_from_url(first).resolve() == database_path_from_url(second).resolve()
    return False


def in_foreign_key_order(references: dict[str, set[str]]) -> list[str]:
    """Tables so that each comes after those it refers to (by name among equals)."""
    order: list[str] = []
    placed: set[str] = set()
    waiting = dict(references)
    while waiting:
        ready = sorted(table for table, parents in waiting.items() if parents - {table} <= placed)
        if not ready:
            raise CopyError(f"the tables {sorted(waiting)} refer to each other in a circle")
        for table in ready:
            order.append(table)
            placed.add(table)
            del waiting[table]
    return order


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    timeout: float = 10.0,
    migrations_dir: Path = MIGRATIONS_DIR,
) -> CopyReport:
    """Copy every table of `source_url` into the empty `target_url`; the row counts of both.

    Raises CopyError, with one line saying why, when the copy cannot start or did not finish
    (and then nothing of it is in the target)."""
    for url in (source_url, target_url):
        _check_url(url)
    if _same_place(source_url, target_url):
        raise CopyError("the source and the target are the same database")
    source = await _open(source_url, create=False, timeout=timeout)
    try:
        version = await _check_source(source, migrations_dir)
        target = await _open(target_url, create=True, timeout=timeout)
        try:
            await _check_and_migrate_target(target, version, migrations_dir)
            return await _copy(source, target, progress, batch)
        finally:
            await target.close()
    finally:
        await source.close()


def _check_url(url: str) -> None:
    if url.startswith(POSTGRES_SCHEMES):
        return
    if url.startswith("sqlite:///"):
        try:
            database_path_from_url(url)
        except ConfigError as error:
            raise CopyError(str(error)) from None
        return
    raise CopyError(
        f"{url!r} is not a database URL: use sqlite:///path/to/file.sqlite3 (four slashes "
        "for an absolute path) or postgresql://user:password@host:5432/database"
    )


async def _check_source(source: _Side, migrations_dir: Path) -> int:
    latest = _latest(migrations_dir)
    name = describe(source.url)
    have = await source.version()
    if have == 0 and not await source.tables():
        raise CopyError(f"the source {name} holds no bot database (no tables)")
    if have > latest:
        raise CopyError(
            f"the source {name} is at schema version {have}, newer than this bot "
            f"knows ({latest}); copy it with the release that wrote it"
        )
    if have < latest:
        raise CopyError(
            f"the source {name} is at schema version {have}, this bot's is {latest}: "
            "bring it up to date first (DATABASE_URL=<source> python -m bot migrate)"
        )
    return have


async def _check_and_migrate_target(target: _Side, have: int, migrations_dir: Path) -> None:
    """A target without tables gets the schema; otherwise it must be at the source's
    version, and every table of it empty."""
    target_name = describe(target.url)
    there = await target.version()
    tables = await target.tables()
    if there == 0 and not tables:
        await _migrate(target.url, migrations_dir)
    elif there != have:
        raise CopyError(
            f"the target {target_name} is at schema version {there}, the source at {have}: "
            "copy into an empty database (no tables), or one at the same version"
        )
    filled = [table for table in await target.tables() if await target.count(table)]
    if filled:
        raise CopyError(
            f"the target {target_name} is not empty (rows in {', '.join(sorted(filled))}); "
            "copy into an empty database, so nothing in it is overwritten or mixed"
        )


def _latest(migrations_dir: Path) -> int:
    sqlite_latest = discover_migrations(migrations_dir, "sqlite")
    return sqlite_latest[-1].version if sqlite_latest else 0


async def _migrate(url: str, migrations_dir: Path) -> None:
    from bot.storage.database import Database

    try:
        async with await Database.connect(url, migrations_dir=migrations_dir, wait=0):
            pass
    except MigrationError as error:
        raise CopyError(f"cannot set up the target's schema: {error}") from None


async def _copy(source: _Side, target: _Side, progress: Progress | None, batch: int) -> CopyReport:
    target_tables = await target.tables()
    order = in_foreign_key_order(await target.references())
    counts: list[TableCount] = []
    current = "the tables"
    try:
        async with source.snapshot():
            source_tables = await source.tables()
            if set(source_tables) != set(target_tables):
                raise CopyError(
                    "the two schemas differ in their tables (only in the source: "
                    f"{sorted(set(source_tables) - set(target_tables)) or 'none'}; only in the "
                    f"target: {sorted(set(target_tables) - set(source_tables)) or 'none'})"
                )
            totals = {table: await source.count(table) for table in order}
            marks = await source.id_marks()
            async with target.writing():
                for table in order:
                    current = f"the table {table}"
                    columns = target_tables[table]
                    if set(columns) != set(source_tables[table]):
                        raise CopyError(f"the table {table} has other columns on each side")
                    await target.triggers_off(table)
                    done = 0
                    if progress is not None:
                        progress(table, done, totals[table])
                    async for rows in source.rows(table, columns, batch):
                        await target.insert(table, columns, rows)
                        done += len(rows)
                        if progress is not None:
                            progress(table, done, totals[table])
                    await target.triggers_on(table)
                    await target.set_id_mark(table, marks.get(table, 0))
    except CopyError:
        raise
    except (sqlite3.Error, asyncpg.PostgresError, *LOST) as error:
        reason = (str(error).strip().splitlines() or [""])[0] or type(error).__name__
        raise CopyError(
            f"the copy stopped at {current} ({reason}); nothing of it was "
            f"written to {describe(target.url)} (its transaction rolled back), so the "
            "same command can run again"
        ) from None
    try:
        await target.settle()
        for table in order:
            counts.append(TableCount(table, totals[table], await target.count(table)))
    except (sqlite3.Error, asyncpg.PostgresError, *LOST) as error:
        reason = (str(error).strip().splitlines() or [""])[0] or type(error).__name__
        raise CopyError(
            f"the copy into {describe(target.url)} committed, but counting its rows failed "
            f"({reason}); count them again with the bot stopped"
        ) from None
    return CopyReport(counts)
