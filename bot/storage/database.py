"""The bot's database: one repository per domain over one shared connection."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.config import database_path_from_url
from bot.storage.answers import Answers
from bot.storage.base import Conn, Connection, Engine
from bot.storage.boards import Boards
from bot.storage.daily import Daily
from bot.storage.deck_media import DeckPictures
from bot.storage.members import Members
from bot.storage.migrations import MIGRATIONS_DIR
from bot.storage.postgres import PostgresEngine
from bot.storage.progress import Progress
from bot.storage.reviews import Reviews
from bot.storage.rounds import Rounds
from bot.storage.server_decks import ServerDecks
from bot.storage.sessions import SessionAnswer, Sessions
from bot.storage.sqlite import BUSY_TIMEOUT_MS, SqliteEngine
from bot.storage.state import BotState
from bot.storage.stats import Stats
from bot.storage.timers import Timers

__all__ = ["BUSY_TIMEOUT_MS", "Database", "SessionAnswer"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Database:
    """The bot's database on either engine: its queries in one repository per domain.

    `db.answers`, `db.sessions`, `db.members`, `db.daily`, `db.boards`, `db.stats`,
    `db.reviews`, `db.decks`, `db.pictures`, `db.rounds`, `db.timers`, `db.progress` and `db.state`
    share one connection; `db.write()` and `db.read()` are the one way to write and
    to read (see bot.storage.base).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.url = engine.url
        self.path = engine.path
        self.location = engine.location
        connection = Connection(engine)
        self._connection = connection
        self.answers = Answers(connection)
        self.sessions = Sessions(connection)
        self.members = Members(connection)
        self.daily = Daily(connection)
        self.boards = Boards(connection)
        self.stats = Stats(connection)
        self.reviews = Reviews(connection)
        self.decks = ServerDecks(connection)
        self.pictures = DeckPictures(connection)
        self.rounds = Rounds(connection)
        self.timers = Timers(connection)
        self.progress = Progress(connection)
        self.state = BotState(connection)

    def write(self) -> AbstractAsyncContextManager[Conn]:
        """One write transaction: all of the block's statements commit, or none does."""
        return self._connection.write()

    def read(self) -> AbstractAsyncContextManager[Conn]:
        """One read transaction: every statement of the block sees the same commit."""
        return self._connection.read()

    async def close(self) -> None:
        await self._engine.close()

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        migrate: bool = True,
        migrations_dir: Path = MIGRATIONS_DIR,
        wait: float = 60.0,
        first_backoff: float = 0.5,
    ) -> Database:
        """The database `url` names: `sqlite:///file` or `postgresql://user@host/db`.

        PostgreSQL that does not answer yet is waited for, up to `wait` seconds.
        """
        if url.startswith(POSTGRES_SCHEMES):
            engine: Engine = await PostgresEngine.open(url, wait=wait, first_backoff=first_backoff)
        else:
            engine = await SqliteEngine.open(database_path_from_url(url))
        return await cls._started(engine, migrate, migrations_dir)

    @classmethod
    async def _started(cls, engine: Engine, migrate: bool, migrations_dir: Path) -> Database:
        try:
            if migrate:
                await engine.migrate(migrations_dir)
        except BaseException:
            await engine.close()
            raise
        return cls(engine)

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await self._engine.schema_version()
