"""The decks each server sees, kept in memory: saving or removing a server deck goes
through here. Another process sharing the database may change them too, so each look
compares the server's decks version in the database (one indexed read) with the one the
copy in memory was built from, and reloads when it moved."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterable, Callable, Sequence

from bot.domain.catalog import DeckCatalog
from bot.domain.decks import Deck, DeckError
from bot.storage import Database
from bot.storage.deck_media import DeckPicture
from bot.storage.server_decks import SaveOutcome, ServerDeck, deck_from_json

log = logging.getLogger(__name__)

# Servers whose merged deck catalog is kept in memory; the least recently used goes first.
SERVER_CATALOG_CACHE = 64


def decode_server_decks(rows: Sequence[ServerDeck]) -> list[Deck]:
    """Validate a server's stored decks; a broken one is logged and left out."""
    decks: list[Deck] = []
    for row in rows:
        try:
            decks.append(deck_from_json(row.deck_json, label=f"server deck {row.deck_id}"))
        except (DeckError, ValueError) as error:
            log.error("server %s: deck %s skipped: %s", row.guild_id, row.deck_id, error)
    return decks


class Catalogs:
    """The shipped decks, and each server's own decks over them."""

    def __init__(self, db: Database, shipped: DeckCatalog) -> None:
        self.db = db
        self.shipped = shipped
        # Each server's catalog with the decks version it was built from.
        self._cache: OrderedDict[int, tuple[int, DeckCatalog]] = OrderedDict()

    async def for_guild(self, guild_id: int | None) -> DeckCatalog:
        """The decks a server sees: the shipped ones with its own imported decks over them.

        Outside a server (a DM) only the shipped decks exist.
        """
        if guild_id is None:
            return self.shipped
        cached = self._cache.get(guild_id)
        if cached is not None:
            if cached[0] == await self.db.decks.version(guild_id):
                self._cache.move_to_end(guild_id)
                return cached[1]
            log.debug("server %s: its decks changed elsewhere, reloading", guild_id)
        version, rows = await self.db.decks.versioned(guild_id)
        # Validating thousands of cards would hold up the event loop and its heartbeats.
        decks = await asyncio.to_thread(decode_server_decks, rows) if rows else []
        catalog = self.shipped.with_server_decks(decks)
        # Kept with the version read with its rows: a change since moves the version, so
        # the next look reloads.
        self._cache[guild_id] = (version, catalog)
        self._cache.move_to_end(guild_id)
        while len(self._cache) > SERVER_CATALOG_CACHE:
            self._cache.popitem(last=False)
        return catalog

    def cached(self) -> dict[int, DeckCatalog]:
        """The servers' catalogs in memory now, least recently used first."""
        return {guild_id: catalog for guild_id, (_, catalog) in self._cache.items()}

    async def warm(self, owns: Callable[[int], bool] = lambda _: True) -> None:
        """Load imported decks before members ask: validating thousands of cards can take
        longer than the 3 s an interaction (or an autocomplete) may wait. Only of the
        servers ``owns`` accepts: those on this process's shards."""
        try:
            for guild_id in await self.db.decks.guilds(SERVER_CATALOG_CACHE):
                if owns(guild_id):
                    await self.for_guild(guild_id)
        except Exception:  # a cold cache is slower, not broken
            log.exception("could not preload server decks")

    async def save(
        self,
        stored: ServerDeck,
        *,
        replace: bool,
        max_decks: int,
        pictures: AsyncIterable[DeckPicture] | None = None,
    ) -> SaveOutcome:
        """Store a server's deck with its pictures; the server sees it from its next look."""
        try:
            return await self.db.decks.save(
                stored, replace=replace, max_decks=max_decks, pictures=pictures
            )
        finally:
            self._forget(stored.guild_id)

    async def remove(self, guild_id: int, deck_id: str) -> bool:
        """Remove a server's deck; False if it had none by that id."""
        try:
            return await self.db.decks.remove(guild_id, deck_id)
        finally:
            self._forget(guild_id)

    def _forget(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)
