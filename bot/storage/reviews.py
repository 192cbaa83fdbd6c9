"""Queries for spaced repetition: memory states, the review log, their settings."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain.review import (
    DEFAULT_NEW_CARDS_PER_DAY,
    DEFAULT_RETENTION,
    MATURE_INTERVAL,
    Grade,
    MemoryState,
    ReviewEvent,
)
from bot.storage.base import Connection
from bot.storage.models import from_ms, to_ms

_STATE_COLUMNS = "card_id, state, step, stability, difficulty, due, last_review, reviews, lapses"


def _state(row: aiosqlite.Row) -> MemoryState:
    return MemoryState(
        card_id=str(row[0]),
        state=int(row[1]),
        step=None if row[2] is None else int(row[2]),
        stability=None if row[3] is None else float(row[3]),
        difficulty=None if row[4] is None else float(row[4]),
        due=from_ms(int(row[5])),
        last_review=None if row[6] is None else from_ms(int(row[6])),
        reviews=int(row[7]),
        lapses=int(row[8]),
    )


class ReviewQueries(Connection):
    async def memory_states(self, user_id: int, deck_id: str) -> list[MemoryState]:
        rows = await self._fetchall(
            f"SELECT {_STATE_COLUMNS} FROM review_states WHERE user_id = ? AND deck_id = ?",
            (user_id, deck_id),
        )
        return [_state(row) for row in rows]

    async def memory_state(self, user_id: int, deck_id: str, card_id: str) -> MemoryState | None:
        row = await self._fetchone(
            f"SELECT {_STATE_COLUMNS} FROM review_states "
            "WHERE user_id = ? AND deck_id = ? AND card_id = ?",
            (user_id, deck_id, card_id),
        )
        return None if row is None else _state(row)

    async def save_review(
        self,
        user_id: int,
        deck_id: str,
        state: MemoryState,
        event: ReviewEvent,
        *,
        answer_id: int | None,
    ) -> bool:
        """Store a card's new state and log the review, together; False if that
        answer was already reviewed (nothing is written then)."""
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO review_log (user_id, deck_id, card_id, grade, reviewed_at, "
                "duration_ms, answer_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    user_id,
                    deck_id,
                    state.card_id,
                    int(event.grade),
                    to_ms(event.reviewed_at),
                    event.duration_ms,
                    answer_id,
                ),
            )
            logged = cursor.rowcount == 1
            await cursor.close()
            if not logged:
                return False
            await conn.execute(
                "INSERT INTO review_states (user_id, deck_id, card_id, state, step, stability, "
                "difficulty, due, last_review, reviews, lapses, first_reviewed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, deck_id, card_id) DO UPDATE SET state = excluded.state, "
                "step = excluded.step, stability = excluded.stability, "
                "difficulty = excluded.difficulty, due = excluded.due, "
                "last_review = excluded.last_review, reviews = excluded.reviews, "
                "lapses = excluded.lapses",
                (
                    user_id,
                    deck_id,
                    state.card_id,
                    state.state,
                    state.step,
                    state.stability,
                    state.difficulty,
                    to_ms(state.due),
                    None if state.last_review is None else to_ms(state.last_review),
                    state.reviews,
                    state.lapses,
                    to_ms(event.reviewed_at),
                ),
            )
        return True

    async def review_events(self, user_id: int, deck_id: str, card_id: str) -> list[ReviewEvent]:
        rows = await self._fetchall(
            "SELECT grade, reviewed_at, duration_ms FROM review_log "
            "WHERE user_id = ? AND deck_id = ? AND card_id = ? ORDER BY reviewed_at, id",
            (user_id, deck_id, card_id),
        )
        return [ReviewEvent(card_id, Grade(int(r[0])), from_ms(int(r[1])), r[2]) for r in rows]

    async def first_reviews_since(self, user_id: int, since: datetime) -> list[datetime]:
        """When each card a member started recently stopped being new."""
        rows = await self._fetchall(
            "SELECT first_reviewed_at FROM review_states "
            "WHERE user_id = ? AND first_reviewed_at >= ?",
            (user_id, to_ms(since)),
        )
        return [from_ms(int(row[0])) for row in rows]

    async def retention_since(self, user_id: int, since: datetime) -> tuple[int, int]:
        """(recalled, reviewed) over the member's reviews since a time."""
        row = await self._fetchone(
            "SELECT COALESCE(SUM(grade > 1), 0), COUNT(*) FROM review_log "
            "WHERE user_id = ? AND reviewed_at >= ?",
            (user_id, to_ms(since)),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def mature_cards(self, user_id: int) -> int:
        """Cards whose interval reached three weeks: learned for good, as Anki counts it."""
        row = await self._fetchone(
            "SELECT COUNT(*) FROM review_states WHERE user_id = ? AND state = 2 "
            "AND due - last_review >= ?",
            (user_id, int(MATURE_INTERVAL.total_seconds() * 1000)),
        )
        assert row is not None
        return int(row[0])

    async def new_cards_per_day(self, user_id: int) -> int:
        row = await self._fetchone("SELECT new_cards_per_day FROM users WHERE id = ?", (user_id,))
        return DEFAULT_NEW_CARDS_PER_DAY if row is None else int(row[0])

    async def set_new_cards_per_day(self, user_id: int, count: int) -> None:
        await self._execute("UPDATE users SET new_cards_per_day = ? WHERE id = ?", (count, user_id))

    async def desired_retention(self, guild_id: int | None) -> float:
        if guild_id is None:
            return DEFAULT_RETENTION
        row = await self._fetchone("SELECT desired_retention FROM guilds WHERE id = ?", (guild_id,))
        return DEFAULT_RETENTION if row is None else float(row[0])

    async def set_desired_retention(self, guild_id: int, value: float) -> None:
        await self._execute(
            "UPDATE guilds SET desired_retention = ? WHERE id = ?", (value, guild_id)
        )
