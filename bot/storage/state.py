"""The bot's own bookkeeping: small values by key that outlive a restart."""

from __future__ import annotations

from datetime import datetime

from bot.storage.base import Repository
from bot.storage.models import to_ms


class BotState(Repository):
    """Values by key (`bot_state`)."""

    async def get(self, key: str) -> str | None:
        row = await self._fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        return str(row[0]) if row is not None else None

    async def set(self, key: str, value: str, now: datetime) -> None:
        await self._execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (key, value, to_ms(now)),
        )
