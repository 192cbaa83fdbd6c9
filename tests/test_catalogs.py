"""The decks a server sees, cached per process, stay right when another process sharing
the database imports or removes one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalogs import Catalogs
from bot.domain.catalog import DeckCatalog
from bot.domain.decks import load_decks, parse_deck
from bot.storage import Database
from bot.storage.server_decks import SaveOutcome, ServerDeck, deck_to_json
from tests.harness import SHIPPED_DECKS

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GUILD = 4242


def server_deck(title: str, back: str) -> ServerDeck:
    text = f"id: mine\ntitle: {title}\ndescription: Mine.\ncards:\n  - front: What?\n    back: {back}\n"
    deck = parse_deck(text, filename="mine.yaml")
    return ServerDeck(GUILD, "mine", title, 1, deck_to_json(deck), "mine.csv", 1, NOW)


@pytest.fixture
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[Catalogs, Catalogs]]:
    """Two processes' catalogs: each with its own connections to one database file."""
    shipped = DeckCatalog(dict(load_decks(SHIPPED_DECKS).decks))
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    async with await Database.connect(url) as one, await Database.connect(url) as two:
        await one.members.upsert_guild(GUILD, "Study Hall", NOW)
        yield Catalogs(one, shipped), Catalogs(two, shipped)


async def test_a_deck_imported_elsewhere_is_usable_at_once(
    two_processes: tuple[Catalogs, Catalogs],
) -> None:
    here, there = two_processes
    assert "mine" not in (await there.for_guild(GUILD)).decks  # cached now, without it
    assert await here.save(server_deck("Mine", "This"), replace=False, max_decks=50) is (
        SaveOutcome.ADDED
    )
    assert (await there.for_guild(GUILD)).decks["mine"].title == "Mine"


async def test_a_deck_replaced_or_removed_elsewhere_is_seen_at_once(
    two_processes: tuple[Catalogs, Catalogs],
) -> None:
    here, there = two_processes
    await here.save(server_deck("Mine", "This"), replace=False, max_decks=50)
    assert (await there.for_guild(GUILD)).decks["mine"].cards[0].back == "This"
    # Same id, same instant: only the content differs.
    await here.save(server_deck("Mine", "That"), replace=True, max_decks=50)
    assert (await there.for_guild(GUILD)).decks["mine"].cards[0].back == "That"
    assert await here.remove(GUILD, "mine")
    assert "mine" not in (await there.for_guild(GUILD)).decks


async def test_an_unchanged_server_is_served_from_memory(
    two_processes: tuple[Catalogs, Catalogs],
) -> None:
    here, _ = two_processes
    await here.save(server_deck("Mine", "This"), replace=False, max_decks=50)
    first = await here.for_guild(GUILD)
    assert await here.for_guild(GUILD) is first


async def test_warming_loads_only_the_servers_this_process_runs(
    two_processes: tuple[Catalogs, Catalogs],
) -> None:
    here, there = two_processes
    other = ServerDeck(**{**server_deck("Theirs", "That").__dict__, "guild_id": GUILD + 1})
    await here.db.members.upsert_guild(GUILD + 1, "Elsewhere", NOW)
    await here.save(server_deck("Mine", "This"), replace=False, max_decks=50)
    await here.save(other, replace=False, max_decks=50)
    await there.warm(lambda guild_id: guild_id == GUILD)
    assert list(there.cached()) == [GUILD]
