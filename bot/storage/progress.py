"""Queries behind the progress pictures and exam readiness: answers per quarter hour
with their judged results, and members' exam dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.base import Repository
from bot.storage.models import JUDGED_MODES_SQL, from_ms, to_ms

QUARTER_MS = 900_000


@dataclass(frozen=True)
class QuarterResults:
    """A member's answers in one quarter hour: all of them, the judged ones, those right."""

    start: datetime
    answers: int
    graded: int
    correct: int


@dataclass(frozen=True)
class ExamDate:
    deck_id: str
    day: date


class Progress(Repository):
    """The progress pictures and exam readiness: results per quarter hour, exam dates."""

    async def quarters(
        self, user_id: int, guild_id: int | None, since: datetime
    ) -> list[QuarterResults]:
        """Answers per quarter hour since ``since`` in a server (everywhere when None)."""
        where = "user_id = ?"
        params: list[object] = [user_id]
        if guild_id is not None:
            where = "guild_id = ? AND user_id = ?"
            params = [guild_id, user_id]
        params.append(to_ms(since))
        rows = await self._fetchall(
            f"SELECT answered_at / {QUARTER_MS}, COUNT(*), "
            f"COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} AND correct = 1 "
            "THEN 1 ELSE 0 END), 0) "
            f"FROM answers WHERE {where} AND answered_at >= ? GROUP BY answered_at / {QUARTER_MS}",
            tuple(params),
        )
        return [
            QuarterResults(from_ms(int(r[0]) * QUARTER_MS), int(r[1]), int(r[2]), int(r[3]))
            for r in rows
        ]

    async def set_exam_date(self, user_id: int, deck_id: str, day: date, now: datetime) -> None:
        """Set (or move) a member's exam date for a deck; the member's row must exist."""
        await self._execute(
            "INSERT INTO exam_dates (user_id, deck_id, exam_day, set_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, deck_id) DO UPDATE SET exam_day = excluded.exam_day, "
            "set_at = excluded.set_at",
            (user_id, deck_id, day.isoformat(), to_ms(now)),
        )

    async def exam_date(self, user_id: int, deck_id: str) -> date | None:
        row = await self._fetchone(
            "SELECT exam_day FROM exam_dates WHERE user_id = ? AND deck_id = ?",
            (user_id, deck_id),
        )
        return None if row is None else date.fromisoformat(str(row[0]))
