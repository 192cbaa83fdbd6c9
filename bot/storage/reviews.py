"""Queries for spaced repetition: memory states, the review log, their settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.review import (
    DEFAULT_NEW_CARDS_PER_DAY,
    DEFAULT_RETENTION,
    MATURE_INTERVAL,
    MemoryState,
    ReviewEvent,
    grade_for_answer,
    review,
)
from bot.storage.base import Conn, Repository, fetchall, fetchone, rowcount
from bot.storage.models import ANSWER_COLUMNS, Answer, answer_from_row, from_ms, to_ms

_STATE_COLUMNS = "card_id, state, step, stability, difficulty, due, last_review, reviews, lapses"


def _state(row: Sequence[Any]) -> MemoryState:
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


class Reviews(Repository):
    """Spaced repetition: every stored answer moves the member's memory of its card.

    The answer paths write the answer's review (`remember`) in the answer's own
    transaction, so every stored answer has exactly one review, whatever is deleted.
    """

    async def states(self, user_id: int, deck_id: str) -> list[MemoryState]:
        rows = await self._fetchall(
            f"SELECT {_STATE_COLUMNS} FROM review_states WHERE user_id = ? AND deck_id = ?",
            (user_id, deck_id),
        )
        return [_state(row) for row in rows]

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
            "SELECT COALESCE(SUM(CASE WHEN grade > 1 THEN 1 ELSE 0 END), 0), COUNT(*) FROM review_log "
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


# -- inside an answer's write transaction (see Connection.write) ---------------------


async def review_answers_behind_the_mark(conn: Conn) -> int:
    """Review the answers a database at schema version 10 stored beyond its review mark
    (a release that wrote reviews behind the answers, and stopped before writing these);
    how many. Runs once, before the migration that drops the mark.
    """
    found = await fetchone(
        conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'review_progress'"
    )
    if found is None:
        return 0
    mark = await fetchone(conn, "SELECT answer_id FROM review_progress")
    assert mark is not None
    rows = await fetchall(
        conn, f"SELECT {ANSWER_COLUMNS} FROM answers WHERE id > ? ORDER BY id", (mark[0],)
    )
    for row in rows:
        await remember(conn, answer_from_row(row))
    if rows:
        await conn.execute("UPDATE review_progress SET answer_id = ?", (rows[-1][0],))
    return len(rows)


async def remember(conn: Conn, answer: Answer) -> MemoryState | None:
    """A stored answer moves the member's memory of that card (spaced repetition).

    None if this answer was already reviewed (nothing is written then).
    """
    grade = grade_for_answer(
        mode=answer.mode,
        correct=answer.correct,
        self_grade=answer.grade,
        response_ms=answer.response_ms,
    )
    event = ReviewEvent(answer.card_id, grade, answer.answered_at, answer.response_ms)
    # The card's memory so far and the server's retention, in one statement.
    row = await fetchone(
        conn,
        f"SELECT COALESCE((SELECT desired_retention FROM guilds WHERE id = ?), ?), "
        f"{_STATE_COLUMNS} FROM (SELECT 1) AS one LEFT JOIN review_states "
        "ON user_id = ? AND deck_id = ? AND card_id = ?",
        (answer.guild_id, DEFAULT_RETENTION, answer.user_id, answer.deck_id, answer.card_id),
    )
    assert row is not None
    previous = None if row[1] is None else _state(row[1:])
    state = review(previous, event, desired_retention=float(row[0]))
    logged = await rowcount(
        conn,
        "INSERT INTO review_log (user_id, deck_id, card_id, grade, reviewed_at, "
        "duration_ms, answer_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            answer.user_id,
            answer.deck_id,
            answer.card_id,
            int(event.grade),
            to_ms(event.reviewed_at),
            event.duration_ms,
            answer.id,
        ),
    )
    if logged != 1:
        return None
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
            answer.user_id,
            answer.deck_id,
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
    return state
