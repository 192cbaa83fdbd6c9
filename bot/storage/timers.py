"""Stored deadlines: what is due when (a round's next step), kept across restarts.

A due row is claimed before it is served: one conditional UPDATE naming this process and
a lease, the same statement on both engines, so two processes that both see it due serve
it once; the claim is released when the handler is done, and one whose holder died is
taken over when its lease ends.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.shards import ShardScope
from bot.storage.base import Repository
from bot.storage.fleet import TIMER_LEASE, on_shards
from bot.storage.models import from_ms, to_ms


class Timers(Repository):
    """The deadlines every process reads to know when to wake, and their claims."""

    async def next_due(self, shards: ShardScope | None = None) -> datetime | None:
        """When this process next has a deadline to serve: a claimed one's lease end."""
        clause, values = on_shards(shards)
        row = await self._fetchone(
            "SELECT MIN(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) "
            f"FROM timers WHERE 1 = 1{clause}",
            values,
        )
        return None if row is None or row[0] is None else from_ms(int(row[0]))

    async def due(self, now: datetime, shards: ShardScope | None = None) -> list[tuple[str, int]]:
        """Deadlines due and not claimed by a live holder, on ``shards``."""
        clause, values = on_shards(shards)
        at = to_ms(now)
        rows = await self._fetchall(
            "SELECT kind, target FROM timers WHERE due_at <= ? "
            f"AND (claimed_until IS NULL OR claimed_until <= ?){clause} "
            "ORDER BY due_at, kind, target",
            (at, at, *values),
        )
        return [(str(kind), int(target)) for kind, target in rows]

    async def claim(self, kind: str, target: int, *, holder: str, now: datetime) -> bool:
        """Take a due deadline for ``holder``; False when it is not due any more, or
        another holder's lease still runs."""
        at = to_ms(now)
        return (
            await self._execute(
                "UPDATE timers SET claimed_by = ?, claimed_until = ? "
                "WHERE kind = ? AND target = ? AND due_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until <= ?)",
                (holder, to_ms(now + TIMER_LEASE), kind, target, at, at),
            )
            == 1
        )

    async def release(self, kind: str, target: int, *, holder: str) -> None:
        """``holder`` is done with a deadline (served, moved, or failed)."""
        await self._execute(
            "UPDATE timers SET claimed_by = NULL, claimed_until = NULL "
            "WHERE kind = ? AND target = ? AND claimed_by = ?",
            (kind, target, holder),
        )
