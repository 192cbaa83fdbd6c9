"""Queries for decks imported into one server (`/decks import`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.domain.decks import Deck, deck_to_mapping, parse_deck_mapping
from bot.storage.base import Conn, Repository, Row, fetchall, fetchone
from bot.storage.deck_media import DeckPicture, delete_deck_pictures, replace_deck_pictures
from bot.storage.models import from_ms, to_ms


class SaveOutcome(Enum):
    ADDED = "added"
    REPLACED = "replaced"
    EXISTS = "exists"  # the server has a deck with that id and replacing was not asked for
    FULL = "full"  # the server already has as many decks as it may


@dataclass(frozen=True)
class ServerDeck:
    """A stored server deck; `deck_json` is decoded by `deck_from_json` when needed."""

    guild_id: int
    deck_id: str
    title: str
    card_count: int
    deck_json: str
    file_name: str
    imported_by: int
    imported_at: datetime


def deck_to_json(deck: Deck) -> str:
    """The deck as the mapping a YAML deck file holds, in compact JSON."""
    return json.dumps(deck_to_mapping(deck), ensure_ascii=False, separators=(",", ":"))


def deck_from_json(text: str, *, label: str) -> Deck:
    """Decode and validate a stored deck, as strictly as a deck file; raises DeckError."""
    data: object = json.loads(text)
    return parse_deck_mapping(data, filename=label)


_COLUMNS = "guild_id, deck_id, title, card_count, deck, file_name, imported_by, imported_at"


def _row(row: Row) -> ServerDeck:
    return ServerDeck(
        guild_id=int(row[0]),
        deck_id=str(row[1]),
        title=str(row[2]),
        card_count=int(row[3]),
        deck_json=str(row[4]),
        file_name=str(row[5]),
        imported_by=int(row[6]),
        imported_at=from_ms(int(row[7])),
    )


class ServerDecks(Repository):
    """Decks imported into one server (`/decks import`)."""

    async def save(
        self,
        deck: ServerDeck,
        *,
        replace: bool,
        max_decks: int,
        pictures: AsyncIterable[DeckPicture] | None = None,
    ) -> SaveOutcome:
        """Store a server's deck with its pictures, all or nothing; the server's row must
        exist. The pictures of a deck it replaces go.

        The deck count is checked in the same transaction as the write, so two
        imports at once cannot take a server past `max_decks`.
        """

        async with self.write() as conn:
            rows = await fetchall(
                conn, "SELECT deck_id FROM server_decks WHERE guild_id = ?", (deck.guild_id,)
            )
            existing = {str(row[0]) for row in rows}
            if deck.deck_id in existing:
                if not replace:
                    return SaveOutcome.EXISTS
            elif len(existing) >= max_decks:
                return SaveOutcome.FULL
            await conn.execute(
                f"INSERT INTO server_decks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, deck_id) DO UPDATE SET title = excluded.title, "
                "card_count = excluded.card_count, deck = excluded.deck, "
                "file_name = excluded.file_name, imported_by = excluded.imported_by, "
                "imported_at = excluded.imported_at",
                (
                    deck.guild_id,
                    deck.deck_id,
                    deck.title,
                    deck.card_count,
                    deck.deck_json,
                    deck.file_name,
                    deck.imported_by,
                    to_ms(deck.imported_at),
                ),
            )
            await replace_deck_pictures(conn, deck.guild_id, deck.deck_id, pictures or _none())
            await _bump_version(conn, deck.guild_id)
            return SaveOutcome.REPLACED if deck.deck_id in existing else SaveOutcome.ADDED

    async def version(self, guild_id: int) -> int:
        """A number that moves whenever the server's decks change (0 before any)."""
        row = await self._fetchone("SELECT decks_version FROM guilds WHERE id = ?", (guild_id,))
        return 0 if row is None else int(row[0])

    async def versioned(self, guild_id: int) -> tuple[int, list[ServerDeck]]:
        """A server's decks and their version, as one commit left them."""
        async with self.read() as conn:
            version = await fetchone(
                conn, "SELECT decks_version FROM guilds WHERE id = ?", (guild_id,)
            )
            rows = await fetchall(
                conn,
                f"SELECT {_COLUMNS} FROM server_decks WHERE guild_id = ? ORDER BY deck_id",
                (guild_id,),
            )
        return (0 if version is None else int(version[0])), [_row(row) for row in rows]

    async def guilds(self, limit: int) -> list[int]:
        """Servers that imported decks, most recent import first."""
        rows = await self._fetchall(
            "SELECT guild_id FROM server_decks GROUP BY guild_id "
            "ORDER BY MAX(imported_at) DESC LIMIT ?",
            (limit,),
        )
        return [int(row[0]) for row in rows]

    async def get(self, guild_id: int, deck_id: str) -> ServerDeck | None:
        row = await self._fetchone(
            f"SELECT {_COLUMNS} FROM server_decks WHERE guild_id = ? AND deck_id = ?",
            (guild_id, deck_id),
        )
        return None if row is None else _row(row)

    async def remove(self, guild_id: int, deck_id: str) -> bool:
        """Delete a server deck; its answers stay. False when there was none."""
        async with self.write() as conn:
            await delete_deck_pictures(conn, guild_id, deck_id)
            removed = await conn.execute(
                "DELETE FROM server_decks WHERE guild_id = ? AND deck_id = ?", (guild_id, deck_id)
            )
            if removed != 1:
                return False
            await _bump_version(conn, guild_id)
            return True


async def _bump_version(conn: Conn, guild_id: int) -> None:
    await conn.execute(
        "UPDATE guilds SET decks_version = decks_version + 1 WHERE id = ?", (guild_id,)
    )


async def _none() -> AsyncIterator[DeckPicture]:
    return
    yield  # an async generator that yields nothing
