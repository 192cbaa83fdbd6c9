"""Numbered plain-SQL migrations, applied in order, version kept in `PRAGMA user_version`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    """The database cannot be brought to the schema this code expects."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read `NNNN_reason.sql` files; versions must run 1, 2, 3… without gaps."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"{path.name}: migration files are named like 0003_add_sessions.sql"
            )
        found.append(Migration(int(match.group(1)), path.name, path.read_text("utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.name}: expected migration number {expected:04d} (no gaps or repeats)"
            )
    return found


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(
    conn: aiosqlite.Connection, directory: Path = MIGRATIONS_DIR
) -> tuple[int, int]:
    """Apply what is missing, each migration in its own transaction.

    Returns (version before, version after). A database newer than the code is
    refused rather than guessed at.
    """
    migrations = discover_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    before = await current_version(conn)
    if before > latest:
        raise MigrationError(
            f"the database is at schema version {before}, newer than this bot knows "
            f"({latest}); it was written by a newer release. Upgrade the bot, or point "
            "DATABASE_URL at another file."
        )
    for migration in migrations:
        if migration.version <= before:
            continue
        # executescript runs outside the implicit transaction handling, so the
        # transaction is explicit; user_version is part of it and rolls back too.
        script = (
            f"BEGIN IMMEDIATE;\n{migration.sql}\n"
            f"PRAGMA user_version = {migration.version};\nCOMMIT;"
        )
        try:
            await conn.executescript(script)
        except Exception as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise MigrationError(f"{migration.name} failed: {exc}") from exc
    return before, await current_version(conn)
