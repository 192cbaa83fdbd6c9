"""Rows read straight from a test's database, and rows a test sets up through the bot's
own write."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.domain.streaks import StreakState
from bot.storage import Database
from bot.storage.stats import write_daily_streak
from tests import engines


def rows(database: Path | str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows read straight from a test's database (an SQLite file or a PostgreSQL URL)."""
    return engines.rows(database, sql, *params)


def answers(db_path: Path) -> list[tuple[Any, ...]]:
    return rows(
        db_path,
        "SELECT user_id, guild_id, mode, correct, grade, points, question_index, card_id "
        "FROM answers ORDER BY question_index",
    )


def snapshot(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what a refused command must leave as it was."""
    with sqlite3.connect(db_path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


async def seed_daily_streak(
    db: Database, guild_id: int, user_id: int, state: StreakState, now: datetime
) -> None:
    """A member's daily streak as a test needs it, written as the bot writes streaks."""
    async with db.write() as conn:
        await write_daily_streak(conn, guild_id, user_id, state, now)
