"""Queries for spaced repetition: memory states, the review log, their settings."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.review import (
    DEFAULT_NEW_CARDS_PER_DAY,
    DEFAULT_RETENTION,
    MATURE_INTERVAL,
    Grade,
    MemoryState,
    ReviewEvent,
    grade_for_answer,
    review,
)
from bot.storage.base import Connection
from bot.storage.models import ANSWER_COLUMNS, Answer, answer_from_row, from_ms, to_ms

log = logging.getLogger(__name__)

# Answers reviewed per transaction when catching up (after a burst, or a crash).
REVIEW_BATCH = 500
# Reviews are written once answers pause this long (seconds), so they never take the
# database thread from answers still being replied to...
REVIEW_WHEN_QUIET = 0.05
# ...and, under answers that never pause, at least this long after the oldest one owed.
REVIEW_AT_LEAST_EVERY = 2.0

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


class ReviewQueries(Connection):
    """Spaced repetition: every stored answer moves the member's memory of its card.

    The answer paths only store the answer. Its review is written a moment later, by a
    background task, in answer order (`review_stored_answers`): once answers pause, so
    that a burst of answers is replied to first. Every read of memory states or the
    review log first writes the reviews still owed, so a member never sees their memory
    lag behind their answers; opening the database writes those a crash left out.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        super().__init__(conn, path)
        self._answers_stored = 0  # answers stored through this connection
        self._answers_reviewed = 0  # how many of them are known to have their review
        self._owed_since: float | None = None  # when the oldest review still owed was
        self._last_owed_at = 0.0  # when the newest was
        self._review_timer: asyncio.TimerHandle | None = None
        self._reviewer: asyncio.Task[None] | None = None

    def _review_soon(self) -> None:
        """An answer was stored: write its review when answers pause."""
        self._answers_stored += 1
        self._schedule_reviews()

    def _schedule_reviews(self) -> None:
        """Note when this review became owed; one timer at a time waits for the pause."""
        loop = asyncio.get_running_loop()
        self._last_owed_at = loop.time()
        if self._owed_since is None:
            self._owed_since = self._last_owed_at
        if self._review_timer is None:
            self._review_timer = loop.call_at(self._reviews_due(), self._on_review_timer)

    def _reviews_due(self) -> float:
        assert self._owed_since is not None
        return min(self._last_owed_at + REVIEW_WHEN_QUIET, self._owed_since + REVIEW_AT_LEAST_EVERY)

    def _on_review_timer(self) -> None:
        self._review_timer = None
        loop = asyncio.get_running_loop()
        due = self._reviews_due()
        if loop.time() < due:  # more answers came since it was set: wait for their pause
            self._review_timer = loop.call_at(due, self._on_review_timer)
        elif self._reviewer is None:
            self._owed_since = None
            self._reviewer = asyncio.create_task(self._review_in_background(), name="reviews")

    async def _review_in_background(self) -> None:
        try:
            await self.catch_up_reviews()
        except sqlite3.Error as error:  # the next answer, or read, tries again
            log.warning("spaced repetition is behind the answers: %s", error)
            self._reviewer = None
            return
        self._reviewer = None
        if self._answers_reviewed < self._answers_stored and self._review_timer is None:
            self._schedule_reviews()  # answers stored while it ran found it busy

    async def catch_up_reviews(self) -> int:
        """Write the review of every stored answer that has none yet; how many it wrote."""
        target = self._answers_stored
        written = 0
        while True:
            batch = await self._write(review_stored_answers)
            written += batch
            if batch < REVIEW_BATCH:
                break
        self._answers_reviewed = max(self._answers_reviewed, target)
        return written

    async def _reviews_current(self) -> None:
        """Before a read: the reviews of every answer stored so far are written."""
        if self._answers_reviewed < self._answers_stored:
            try:
                await self.catch_up_reviews()
            except sqlite3.Error as error:  # show what is there rather than nothing
                log.warning("reading memory states behind the answers: %s", error)

    async def close(self) -> None:
        if self._review_timer is not None:
            self._review_timer.cancel()
            self._review_timer = None
        if self._reviewer is not None:
            await asyncio.gather(self._reviewer, return_exceptions=True)
        await self._reviews_current()
        await super().close()

    async def memory_states(self, user_id: int, deck_id: str) -> list[MemoryState]:
        await self._reviews_current()
        rows = await self._fetchall(
            f"SELECT {_STATE_COLUMNS} FROM review_states WHERE user_id = ? AND deck_id = ?",
            (user_id, deck_id),
        )
        return [_state(row) for row in rows]

    async def memory_state(self, user_id: int, deck_id: str, card_id: str) -> MemoryState | None:
        await self._reviews_current()
        row = await self._fetchone(
            f"SELECT {_STATE_COLUMNS} FROM review_states "
            "WHERE user_id = ? AND deck_id = ? AND card_id = ?",
            (user_id, deck_id, card_id),
        )
        return None if row is None else _state(row)

    async def review_events(self, user_id: int, deck_id: str, card_id: str) -> list[ReviewEvent]:
        await self._reviews_current()
        rows = await self._fetchall(
            "SELECT grade, reviewed_at, duration_ms FROM review_log "
            "WHERE user_id = ? AND deck_id = ? AND card_id = ? ORDER BY reviewed_at, id",
            (user_id, deck_id, card_id),
        )
        return [ReviewEvent(card_id, Grade(int(r[0])), from_ms(int(r[1])), r[2]) for r in rows]

    async def first_reviews_since(self, user_id: int, since: datetime) -> list[datetime]:
        """When each card a member started recently stopped being new."""
        await self._reviews_current()
        rows = await self._fetchall(
            "SELECT first_reviewed_at FROM review_states "
            "WHERE user_id = ? AND first_reviewed_at >= ?",
            (user_id, to_ms(since)),
        )
        return [from_ms(int(row[0])) for row in rows]

    async def retention_since(self, user_id: int, since: datetime) -> tuple[int, int]:
        """(recalled, reviewed) over the member's reviews since a time."""
        await self._reviews_current()
        row = await self._fetchone(
            "SELECT COALESCE(SUM(grade > 1), 0), COUNT(*) FROM review_log "
            "WHERE user_id = ? AND reviewed_at >= ?",
            (user_id, to_ms(since)),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def mature_cards(self, user_id: int) -> int:
        """Cards whose interval reached three weeks: learned for good, as Anki counts it."""
        await self._reviews_current()
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
        return await self._on_thread(lambda conn: _desired_retention(conn, guild_id))

    async def set_desired_retention(self, guild_id: int, value: float) -> None:
        await self._execute(
            "UPDATE guilds SET desired_retention = ? WHERE id = ?", (value, guild_id)
        )


# -- inside an answer's transaction (see Connection._write) ------------------------


def _desired_retention(conn: sqlite3.Connection, guild_id: int | None) -> float:
    if guild_id is None:
        return DEFAULT_RETENTION
    row = conn.execute("SELECT desired_retention FROM guilds WHERE id = ?", (guild_id,)).fetchone()
    return DEFAULT_RETENTION if row is None else float(row[0])


def review_stored_answers(conn: sqlite3.Connection) -> int:
    """Review the next stored answers that have no review yet, oldest first, and move
    `review_progress` past them (inside a `_write` transaction); how many it reviewed.

    A database error stops the batch, to be tried again. Any other error is a bug in
    reviewing that one answer: it is logged and the answer left without a review, so it
    cannot hold up every review after it.
    """
    (through,) = conn.execute("SELECT answer_id FROM review_progress").fetchone()
    rows = conn.execute(
        f"SELECT {ANSWER_COLUMNS} FROM answers WHERE id > ? ORDER BY id LIMIT ?",
        (through, REVIEW_BATCH),
    ).fetchall()
    for row in rows:
        conn.execute("SAVEPOINT review")
        try:
            remember(conn, answer_from_row(row))
        except sqlite3.Error:
            raise
        except Exception:
            log.exception("answer %s left without a review", row[0])
            conn.execute("ROLLBACK TO review")
        conn.execute("RELEASE review")
    if rows:
        conn.execute("UPDATE review_progress SET answer_id = ?", (rows[-1][0],))
    return len(rows)


def remember(conn: sqlite3.Connection, answer: Answer) -> MemoryState | None:
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
    row = conn.execute(
        f"SELECT {_STATE_COLUMNS} FROM review_states "
        "WHERE user_id = ? AND deck_id = ? AND card_id = ?",
        (answer.user_id, answer.deck_id, answer.card_id),
    ).fetchone()
    previous = None if row is None else _state(row)
    retention = _desired_retention(conn, answer.guild_id)
    state = review(previous, event, desired_retention=retention)
    logged = conn.execute(
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
    ).rowcount
    if logged != 1:
        return None
    conn.execute(
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
