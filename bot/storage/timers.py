"""Stored deadlines: what is due when (a round's next step), kept across restarts."""

from __future__ import annotations

from datetime import datetime

from bot.storage.base import Conn, Repository
from bot.storage.models import from_ms, to_ms


class Timers(Repository):
    """The deadlines every process reads to know when to wake."""

    async def next_due(self) -> datetime | None:
        row = await self._fetchone("SELECT MIN(due_at) FROM timers")
        return None if row is None or row[0] is None else from_ms(int(row[0]))

    async def due(self, now: datetime) -> list[tuple[str, int]]:
        rows = await self._fetchall(
            "SELECT kind, target FROM timers WHERE due_at <= ? ORDER BY due_at, kind, target",
            (to_ms(now),),
        )
        return [(str(kind), int(target)) for kind, target in rows]


async def set_timer(conn: Conn, kind: str, target: int, due: datetime | None) -> None:
    """Set (or, with None, drop) the deadline of ``kind`` ``target`` inside a write."""
    if due is None:
        await conn.execute("DELETE FROM timers WHERE kind = ? AND target = ?", (kind, target))
        return
    await conn.execute(
        "INSERT INTO timers (kind, target, due_at) VALUES (?, ?, ?) "
        "ON CONFLICT (kind, target) DO UPDATE SET due_at = excluded.due_at",
        (kind, target, to_ms(due)),
    )
