"""The pictures of decks imported into one server (`/decks import`), kept in the database.

A deck file keeps its pictures in a folder beside it; a server's deck lives in the
database, and so do its pictures: one row each, written in the transaction that writes
the deck (replacing the earlier deck's), and deleted with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass

from bot.storage.base import Conn, Repository


@dataclass(frozen=True)
class DeckPicture:
    """One picture of a server deck: the name its cards give, its format and bytes."""

    name: str
    kind: str
    data: bytes


@dataclass(frozen=True)
class PictureEntry:
    """A stored picture's name and size, without its bytes."""

    name: str
    size: int


async def replace_deck_pictures(
    conn: Conn, guild_id: int, deck_id: str, pictures: AsyncIterable[DeckPicture]
) -> int:
    """Inside a write, after the deck's row: its earlier pictures go, these are stored,
    one at a time as they come. How many were stored."""
    await delete_deck_pictures(conn, guild_id, deck_id)
    stored = 0
    async for picture in pictures:
        await conn.execute(
            "INSERT INTO server_deck_media (guild_id, deck_id, name, kind, size, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, deck_id, picture.name, picture.kind, len(picture.data), picture.data),
        )
        stored += 1
    return stored


async def delete_deck_pictures(conn: Conn, guild_id: int, deck_id: str) -> None:
    """Inside a write: a server deck's pictures go (with the deck, or before its new ones)."""
    await conn.execute(
        "DELETE FROM server_deck_media WHERE guild_id = ? AND deck_id = ?", (guild_id, deck_id)
    )


class DeckPictures(Repository):
    """The pictures of server decks (`db.pictures`); written with their deck, by
    `db.decks.save`."""

    async def get(self, guild_id: int, deck_id: str, name: str) -> DeckPicture | None:
        """One picture of a server deck, by the name its cards give; None if not stored."""
        row = await self._fetchone(
            "SELECT name, kind, data FROM server_deck_media "
            "WHERE guild_id = ? AND deck_id = ? AND name = ?",
            (guild_id, deck_id, name),
        )
        if row is None:
            return None
        return DeckPicture(str(row[0]), str(row[1]), bytes(row[2]))

    async def entries(self, guild_id: int, deck_id: str) -> list[PictureEntry]:
        """The names and sizes of a server deck's pictures, by name."""
        rows = await self._fetchall(
            "SELECT name, size FROM server_deck_media WHERE guild_id = ? AND deck_id = ? "
            "ORDER BY name",
            (guild_id, deck_id),
        )
        return [PictureEntry(str(row[0]), int(row[1])) for row in rows]
