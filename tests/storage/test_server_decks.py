"""Server decks on a real SQLite file: stored whole, per server, limited, removable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.decks import Card, Deck
from bot.storage import Database, NewAnswer
from bot.storage.server_decks import SaveOutcome, ServerDeck, deck_from_json, deck_to_json
from tests.engines import INTEGRITY_ERRORS, url_of
from tests.helpers.database import answers_of, server_decks

pytestmark = pytest.mark.engines
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD, OTHER = 10, 20


@pytest.fixture
async def db(bot_database: Path | str) -> AsyncIterator[Database]:
    database = await Database.connect(url_of(bot_database))
    await database.members.upsert_guild(GUILD, "Study Hall", NOW)
    await database.members.upsert_guild(OTHER, "Elsewhere", NOW)
    yield database
    await database.close()


def make_deck(deck_id: str = "spanish", cards: int = 2) -> Deck:
    return Deck(
        id=deck_id,
        title=f"Deck {deck_id}",
        description="Imported from x.csv (CSV): 2 cards.",
        source="CSV file x.csv",
        topics=("verbs",),
        cards=tuple(
            Card(id=f"card-{i}", front=f"front {i}", back=f"back {i}", topic="verbs")
            for i in range(cards)
        ),
    )


def stored(deck: Deck, guild_id: int = GUILD) -> ServerDeck:
    return ServerDeck(
        guild_id=guild_id,
        deck_id=deck.id,
        title=deck.title,
        card_count=len(deck.cards),
        deck_json=deck_to_json(deck),
        file_name="x.csv",
        imported_by=1,
        imported_at=NOW,
    )


def test_a_deck_survives_its_json_round_trip() -> None:
    deck = make_deck()
    assert deck_from_json(deck_to_json(deck), label="x") == deck


async def test_decks_belong_to_their_server(db: Database) -> None:
    deck = make_deck()
    assert await db.decks.save(stored(deck), replace=False, max_decks=50) is (SaveOutcome.ADDED)
    rows = await server_decks(db, GUILD)
    assert [(r.deck_id, r.title, r.card_count, r.file_name, r.imported_at) for r in rows] == [
        ("spanish", "Deck spanish", 2, "x.csv", NOW)
    ]
    assert deck_from_json(rows[0].deck_json, label="x") == deck
    assert await server_decks(db, OTHER) == []
    assert await db.decks.get(OTHER, "spanish") is None
    assert len(await server_decks(db, GUILD)) == 1


async def test_the_same_id_is_kept_unless_replacing(db: Database) -> None:
    await db.decks.save(stored(make_deck()), replace=False, max_decks=50)
    bigger = stored(make_deck(cards=3))
    assert await db.decks.save(bigger, replace=False, max_decks=50) is SaveOutcome.EXISTS
    found = await db.decks.get(GUILD, "spanish")
    assert found is not None and found.card_count == 2
    assert await db.decks.save(bigger, replace=True, max_decks=50) is SaveOutcome.REPLACED
    found = await db.decks.get(GUILD, "spanish")
    assert found is not None and found.card_count == 3


async def test_a_full_server_takes_no_new_deck_but_may_replace_one(db: Database) -> None:
    for n in range(3):
        deck = stored(make_deck(f"d{n}"))
        assert await db.decks.save(deck, replace=False, max_decks=3) is SaveOutcome.ADDED
    fourth = stored(make_deck("d3"))
    assert await db.decks.save(fourth, replace=True, max_decks=3) is SaveOutcome.FULL
    again = stored(make_deck("d1", cards=5))
    assert await db.decks.save(again, replace=True, max_decks=3) is SaveOutcome.REPLACED
    # Another server has its own allowance.
    other = stored(make_deck("d3"), OTHER)
    assert await db.decks.save(other, replace=False, max_decks=3) is SaveOutcome.ADDED


async def test_concurrent_imports_cannot_pass_the_limit(db: Database) -> None:
    decks = [stored(make_deck(f"d{n}")) for n in range(8)]
    outcomes = await asyncio.gather(*(db.decks.save(d, replace=False, max_decks=5) for d in decks))
    assert sorted(o.value for o in outcomes) == ["added"] * 5 + ["full"] * 3
    assert len(await server_decks(db, GUILD)) == 5


async def test_removing_a_deck_keeps_its_answers(db: Database) -> None:
    await db.members.upsert_user(1, "alice", NOW)
    await db.decks.save(stored(make_deck()), replace=False, max_decks=50)
    answer = NewAnswer(
        user_id=1,
        guild_id=GUILD,
        deck_id="spanish",
        card_id="card-0",
        mode="flashcard",
        correct=True,
        answered_at=NOW,
        points=1,
    )
    assert await db.answers.record(answer) is not None
    assert await db.decks.remove(GUILD, "spanish") is True
    assert await db.decks.remove(GUILD, "spanish") is False
    assert await server_decks(db, GUILD) == []
    assert [a.deck_id for a in answers_of(db, 1)] == ["spanish"]


async def test_a_server_deck_needs_its_server_row(db: Database) -> None:
    orphan = replace(stored(make_deck()), guild_id=999)
    with pytest.raises(INTEGRITY_ERRORS, match="(?i)foreign key"):
        await db.decks.save(orphan, replace=False, max_decks=50)
    assert await server_decks(db, 999) == []
