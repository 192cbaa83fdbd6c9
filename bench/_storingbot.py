"""A second baseline: the bare bot, plus the least a bot that keeps answers must do.

Before answering a click it stores one row (who clicked which button of which message)
with one call of the bot's driver: a single-row INSERT in its own transaction. On SQLite
(`StoringBareBot`) through aiosqlite, on a database set up as the bot's is (write-ahead
log, ``synchronous = NORMAL``); on PostgreSQL (`PostgresStoringBareBot`) through an asyncpg
pool of the bot's size. Nothing else: no points, no streak, no name, no embed. Measured
beside the bare bot, it shows how much of a latency budget the trip to the database
through its driver takes by itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import discord

from bench._barebot import BareBot
from bot.storage.postgres import POOL_SIZE

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
        await self.store_click(self._db, interaction)
        await super().on_interaction(interaction)

    @staticmethod
    async def store_click(db: aiosqlite.Connection, interaction: discord.Interaction[Any]) -> None:
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        message_id = interaction.message.id if interaction.message is not None else 0
        await db.execute(
            "INSERT INTO clicks (message_id, user_id, custom_id) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (message_id, interaction.user.id, custom_id),
        )


POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS clicks (message_id BIGINT NOT NULL, user_id BIGINT NOT NULL, "
    "custom_id TEXT NOT NULL, PRIMARY KEY (message_id, user_id))"
)


class PostgresStoringBareBot(BareBot):
    """`BareBot` that stores each click once, through an asyncpg pool, before its answer."""

    def __init__(self, url: str, *, question: discord.Embed | None = None) -> None:
        super().__init__(question=question)
        self.url = url
        self._pool: asyncpg.Pool | None = None

    async def setup_hook(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=POOL_SIZE)
        await self._pool.execute(POSTGRES_SCHEMA)
        await super().setup_hook()

    async def close(self) -> None:
        await super().close()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.component or self._pool is None:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        message_id = interaction.message.id if interaction.message is not None else 0
        # Autocommit: one statement, its own transaction, one trip to the server.
        await self._pool.execute(
            "INSERT INTO clicks (message_id, user_id, custom_id) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING",
            message_id,
            interaction.user.id,
            custom_id,
        )
        await super().on_interaction(interaction)
