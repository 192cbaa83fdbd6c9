"""All SQL of the bot: the database connection, its migrations and typed rows."""

from bot.storage.base import StorageUnavailable
from bot.storage.database import Database, SessionAnswer
from bot.storage.migrations import MigrationError, current_version
from bot.storage.models import Answer, DeckProgress, Guild, MemberName, NewAnswer, User

__all__ = [
    "Answer",
    "Database",
    "DeckProgress",
    "Guild",
    "MemberName",
    "MigrationError",
    "NewAnswer",
    "SessionAnswer",
    "StorageUnavailable",
    "User",
    "current_version",
]
