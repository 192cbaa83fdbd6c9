"""The storage tests' database: a real SQLite file in a temp dir, or a fresh PostgreSQL
database (in the modules that run on both engines), migrated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import Database
from tests.engines import url_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(bot_database: Path | str) -> AsyncIterator[Database]:
    """Member 1 (alice) and server 10 (Study Hall), stored at NOW.

    Test modules that need other members or servers define their own `db`.
    """
    database = await Database.connect(url_of(bot_database))
    await database.members.upsert_user(1, "alice", NOW)
    await database.members.upsert_guild(10, "Study Hall", NOW)
    yield database
    await database.close()
