"""Rows read straight from a test's database, and rows a test sets up through the bot's
own write."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.domain.review import Grade, MemoryState, ReviewEvent
from bot.domain.streaks import StreakState
from bot.storage import Answer, Database
from bot.storage.daily import write_daily_streak
from bot.storage.models import ANSWER_COLUMNS, answer_from_row, from_ms
from bot.storage.progress import ExamDate
from bot.storage.server_decks import ServerDeck
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


def answers_of(db: Database, user_id: int, *, guild_id: int | None = None) -> list[Answer]:
    """A member's stored answers, oldest first; all servers when ``guild_id`` is None."""
    where = "user_id = ?"
    params: tuple[int, ...] = (user_id,)
    if guild_id is not None:
        where, params = "user_id = ? AND guild_id = ?", (user_id, guild_id)
    found = rows(
        engines.target_of(db),
        f"SELECT {ANSWER_COLUMNS} FROM answers WHERE {where} ORDER BY answered_at, id",
        *params,
    )
    return [answer_from_row(row) for row in found]


async def memory_state(
    db: Database, user_id: int, deck_id: str, card_id: str
) -> MemoryState | None:
    """A member's memory of one card, as the bot reads a deck's."""
    states = await db.reviews.states(user_id, deck_id)
    return next((state for state in states if state.card_id == card_id), None)


def review_events(db: Database, user_id: int, deck_id: str, card_id: str) -> list[ReviewEvent]:
    """The review log of one member's card, oldest first."""
    found = rows(
        engines.target_of(db),
        "SELECT grade, reviewed_at, duration_ms FROM review_log "
        "WHERE user_id = ? AND deck_id = ? AND card_id = ? ORDER BY reviewed_at, id",
        user_id,
        deck_id,
        card_id,
    )
    return [ReviewEvent(card_id, Grade(int(r[0])), from_ms(int(r[1])), r[2]) for r in found]


async def server_decks(db: Database, guild_id: int) -> list[ServerDeck]:
    """A server's decks, by id, as the bot reads them."""
    _version, decks = await db.decks.versioned(guild_id)
    return decks


def exam_dates(db: Database, user_id: int) -> list[ExamDate]:
    """A member's exam dates, soonest first."""
    found = rows(
        engines.target_of(db),
        "SELECT deck_id, exam_day FROM exam_dates WHERE user_id = ? ORDER BY exam_day, deck_id",
        user_id,
    )
    return [ExamDate(str(r[0]), date.fromisoformat(str(r[1]))) for r in found]
