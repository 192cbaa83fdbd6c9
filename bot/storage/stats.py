"""Queries for points, streaks, leaderboards and statistics."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.streaks import StreakState
from bot.storage.base import Connection
from bot.storage.models import to_ms


class StatsQueries(Connection):
    async def get_daily_streak(self, guild_id: int, user_id: int) -> StreakState:
        """A member's daily-challenge streak in one server (zero when never answered)."""
        row = await self._fetchone(
            "SELECT current, best, last_day FROM daily_streaks WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if row is None:
            return StreakState()
        last_day = None if row[2] is None else date.fromisoformat(str(row[2]))
        return StreakState(int(row[0]), int(row[1]), last_day)

    async def set_daily_streak(
        self, guild_id: int, user_id: int, state: StreakState, now: datetime
    ) -> None:
        """Store a member's daily streak after the domain rules computed it."""
        await self._execute(
            "INSERT INTO daily_streaks (guild_id, user_id, current, best, last_day, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "current = excluded.current, best = excluded.best, last_day = excluded.last_day, "
            "updated_at = excluded.updated_at",
            (
                guild_id,
                user_id,
                state.current,
                state.best,
                None if state.last_day is None else state.last_day.isoformat(),
                to_ms(now),
            ),
        )
