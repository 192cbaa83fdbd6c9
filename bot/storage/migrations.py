"""Numbered plain-SQL migrations, applied in order, version kept in `PRAGMA user_version`."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

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


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0


def apply_migrations(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> tuple[int, int]:
    """Apply what is missing, each migration in its own transaction.

    Returns (version before, version after). A database newer than the code is
    refused rather than guessed at. Foreign keys are off while a migration runs, as
    SQLite asks for a migration that rebuilds a table others refer to; each one is
    checked against them before it commits.
    """
    migrations = discover_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    before = current_version(conn)
    if before > latest:
        raise MigrationError(
            f"the database is at schema version {before}, newer than this bot knows "
            f"({latest}); it was written by a newer release. Upgrade the bot, or point "
            "DATABASE_URL at another file."
        )
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
