"""One member's statistics (`/stats`): totals, cards, decks, activity, study days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.base import Repository
from bot.storage.models import JUDGED_MODES_SQL, DeckProgress, from_ms, to_ms

QUARTER_MS = 900_000


def _scope(user_id: int, guild_id: int | None) -> tuple[str, dict[str, Any]]:
    """The condition for one member's answers in a server, or everywhere when None."""
    if guild_id is None:
        return "user_id = :user", {"user": user_id}
    return "guild_id = :guild AND user_id = :user", {"user": user_id, "guild": guild_id}


def member_totals_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN correct END), 0), "
        f"COALESCE(SUM(points), 0) FROM answers WHERE {where} AND answered_at >= :since"
    )


def card_results_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        "SELECT card_id, COUNT(*), SUM(correct) FROM answers "
        f"WHERE {where} AND deck_id = :deck AND mode IN {JUDGED_MODES_SQL} GROUP BY card_id"
    )


def decks_by_recency_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        "SELECT deck_id FROM answers "
        f"WHERE {where} GROUP BY deck_id ORDER BY MAX(answered_at) DESC, MAX(id) DESC"
    )


def activity_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        f"SELECT answered_at / {QUARTER_MS}, COUNT(*) FROM answers "
        f"WHERE {where} AND answered_at >= :since GROUP BY 1"
    )


def study_quarters_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return f"SELECT DISTINCT answered_at / {QUARTER_MS} FROM answers WHERE {where}"


@dataclass(frozen=True)
class MemberTotals:
    answers: int
    graded: int
    correct: int
    points: int


@dataclass(frozen=True)
class CardResult:
    card_id: str
    graded: int
    correct: int


def ms_or(instant: datetime | None, default: int) -> int:
    return default if instant is None else to_ms(instant)


class Stats(Repository):
    """A member's own numbers, in one server or everywhere."""

    async def totals(
        self, user_id: int, guild_id: int | None, *, since: datetime | None = None
    ) -> MemberTotals:
        """A member's answers in a server (everywhere when ``guild_id`` is None)."""
        _, params = _scope(user_id, guild_id)
        params["since"] = ms_or(since, 0)
        (row,) = await self._fetchall(member_totals_sql(guild_id), params)
        return MemberTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def cards(self, user_id: int, guild_id: int | None, deck_id: str) -> list[CardResult]:
        """Judged answers per card of one deck."""
        _, params = _scope(user_id, guild_id)
        params["deck"] = deck_id
        rows = await self._fetchall(card_results_sql(guild_id), params)
        return [CardResult(str(row[0]), int(row[1]), int(row[2])) for row in rows]

    async def decks_by_recency(self, user_id: int, guild_id: int | None) -> list[str]:
        """The decks a member answered in, the one studied most recently first."""
        _, params = _scope(user_id, guild_id)
        rows = await self._fetchall(decks_by_recency_sql(guild_id), params)
        return [str(row[0]) for row in rows]

    async def activity(
        self, user_id: int, guild_id: int | None, since: datetime
    ) -> list[tuple[datetime, int]]:
        """Answers per quarter hour since ``since``: (start of the quarter, count)."""
        _, params = _scope(user_id, guild_id)
        params["since"] = to_ms(since)
        rows = await self._fetchall(activity_sql(guild_id), params)
        return [(from_ms(int(row[0]) * QUARTER_MS), int(row[1])) for row in rows]

    async def quarters(self, user_id: int, guild_id: int | None) -> list[datetime]:
        """One instant per quarter hour in which the member answered in the server
        (anywhere, DMs included, when ``guild_id`` is None).

        Every UTC offset in use is a multiple of 15 minutes, so a quarter-hour bucket
        never straddles a local midnight: enough to find study days in any zone, and far
        fewer rows than the answers themselves.
        """
        _, params = _scope(user_id, guild_id)
        rows = await self._fetchall(study_quarters_sql(guild_id), params)
        return [from_ms(int(row[0]) * QUARTER_MS) for row in rows]

    async def deck_progress(self, user_id: int, deck_id: str) -> DeckProgress:
        row = await self._fetchone(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN correct END), 0), "
            f"COUNT(DISTINCT card_id), COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN 1 ELSE 0 END), 0) "
            "FROM answers WHERE user_id = ? AND deck_id = ?",
            (user_id, deck_id),
        )
        assert row is not None
        return DeckProgress(int(row[0]), int(row[1]), int(row[2]), judged=int(row[3]))
