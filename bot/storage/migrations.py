"""Numbered plain-SQL migrations, applied in order, on SQLite or PostgreSQL.

`NNNN_reason.sql` applies to both engines. Where the dialects differ, that one migration
is two files side by side instead, `NNNN_reason.sql.sqlite` and `NNNN_reason.sql.postgres`.
The schema version lives in the database: `PRAGMA user_version` on SQLite, the table
`schema_version` on PostgreSQL.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
ENGINES = ("sqlite", "postgres")
Engine = Literal["sqlite", "postgres"]
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql(?:\.(sqlite|postgres))?$")
# The key of the lock that lets one process at a time migrate a PostgreSQL database.
MIGRATION_LOCK = 0x71_75_69_7B


class MigrationError(Exception):
    """The database cannot be brought to the schema this code expects."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover_migrations(
    directory: Path = MIGRATIONS_DIR, engine: Engine = "sqlite"
) -> list[Migration]:
    """Read the migrations `engine` applies; versions must run 1, 2, 3… without gaps."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    files: dict[int, dict[str | None, Path]] = {}
    for path in sorted(directory.glob("*.sql*")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"{path.name}: migration files are named like 0003_add_sessions.sql, or "
                "0003_add_sessions.sql.sqlite and 0003_add_sessions.sql.postgres"
            )
        files.setdefault(int(match.group(1)), {})[match.group(2)] = path
    found: list[Migration] = []
    for expected, (version, variants) in enumerate(sorted(files.items()), start=1):
        name = next(iter(variants.values())).name
        if version != expected:
            raise MigrationError(
                f"{name}: expected migration number {expected:04d} (no gaps or repeats)"
            )
        if set(variants) not in ({None}, set(ENGINES)):
            raise MigrationError(
                f"{name}: migration {version:04d} is either one .sql file for both engines, "
                "or exactly one .sql.sqlite and one .sql.postgres file"
            )
        path = variants.get(None) or variants[engine]
        found.append(Migration(version, path.name, path.read_text("utf-8")))
    return found


def _too_new(before: int, latest: int) -> MigrationError:
    return MigrationError(
        f"the database is at schema version {before}, newer than this bot knows "
        f"({latest}); it was written by a newer release. Upgrade the bot, or point "
        "DATABASE_URL at another database."
    )


# -- SQLite -------------------------------------------------------------------------------


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0


def apply_sqlite_migrations(
    conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR
) -> tuple[int, int]:
    """Apply what is missing, each migration in its own transaction.

    Returns (version before, version after). A database newer than the code is
    refused rather than guessed at. Foreign keys are off while a migration runs, as
    SQLite asks for a migration that rebuilds a table others refer to; each one is
    checked against them before it commits.
    """
    migrations = discover_migrations(directory, "sqlite")
    latest = migrations[-1].version if migrations else 0
    before = current_version(conn)
    if before > latest:
        raise _too_new(before, latest)
    (foreign_keys,) = conn.execute("PRAGMA foreign_keys").fetchone()
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for migration in migrations:
            if migration.version > before:
                _apply(conn, migration)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
    return before, current_version(conn)


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    # executescript runs outside the implicit transaction handling, so the
    # transaction is explicit; user_version is part of it and rolls back too.
    script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};"
    try:
        conn.executescript(script)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise MigrationError(f"it leaves rows pointing nowhere: {broken[:3]}")
        conn.execute("COMMIT")
    except Exception as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise MigrationError(f"{migration.name} failed: {exc}") from exc


# -- PostgreSQL ---------------------------------------------------------------------------


async def postgres_version(conn: asyncpg.Connection) -> int:
    """The schema version; 0 for a database no migration has touched."""
    if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
        return 0
    version = await conn.fetchval("SELECT version FROM schema_version")
    return 0 if version is None else int(version)


async def apply_postgres_migrations(
    conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR
) -> tuple[int, int]:
    """Apply what is missing, each migration in its own transaction (PostgreSQL's DDL is
    transactional, so a failed one leaves nothing behind). One process at a time: the
    others wait on a lock, then find nothing left to do. Returns (before, after)."""
    migrations = discover_migrations(directory, "postgres")
    latest = migrations[-1].version if migrations else 0
    # Another process may take a while to migrate: wait for it as long as it takes.
    await conn.execute("SET lock_timeout = 0")
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        before = await postgres_version(conn)
        if before > latest:
            raise _too_new(before, latest)
        if before == 0:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL); "
                "INSERT INTO schema_version (version) "
                "SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)"
            )
        for migration in migrations:
            if migration.version > before:
                try:
                    async with conn.transaction():
                        if _has_statements(migration.sql):  # one may be only its comment
                            await conn.execute(migration.sql)
                        await conn.execute(
                            "UPDATE schema_version SET version = $1", migration.version
                        )
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"{migration.name} failed: {exc}") from exc
        return before, await postgres_version(conn)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        await conn.execute("RESET lock_timeout")


def _has_statements(sql: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())
