"""A second baseline: the bare bot, plus the least a bot that keeps answers must do.

Before answering a click it stores one row (who clicked which button of which message)
with one aiosqlite call: a single-row INSERT in its own transaction, on a database set up
as the bot's is (write-ahead log, ``synchronous = NORMAL``). Nothing else: no points, no
streak, no name, no embed. Measured beside the bare bot, it shows how much of a latency
budget the trip to SQLite through aiosqlite takes by itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import discord

from bench._barebot import BareBot

SCHEMA = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "CREATE TABLE IF NOT EXISTS clicks (message_id INTEGER NOT NULL, user_id INTEGER NOT NULL, "
    "custom_id TEXT NOT NULL, PRIMARY KEY (message_id, user_id))",
)


class StoringBareBot(BareBot):
    """`BareBot` that stores each click once before its constant answer."""

    def __init__(self, database: Path, *, question: discord.Embed | None = None) -> None:
        super().__init__(question=question)
        self.database = database
        self._db: aiosqlite.Connection | None = None

    async def setup_hook(self) -> None:
        # Autocommit: each statement is its own transaction, one trip to the thread.
        self._db = await aiosqlite.connect(self.database, isolation_level=None)
        for statement in SCHEMA:
            await self._db.execute(statement)
        await super().setup_hook()

    async def close(self) -> None:
        await super().close()
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.component or self._db is None:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        message_id = interaction.message.id if interaction.message is not None else 0
        await self._db.execute(
            "INSERT INTO clicks (message_id, user_id, custom_id) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (message_id, interaction.user.id, custom_id),
        )
        await super().on_interaction(interaction)
