"""Decks at the format's limits, end to end: every reply still fits Discord's limits.

The fake Discord refuses what Discord would (6,000 characters across a message's embeds,
1,024 per field value, 100 per choice name...) and the `fake` fixture fails a test that
sent anything refused. Each test here also checks what the member still sees.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.decks import (
    MAX_CARD_TEXT,
    MAX_TITLE,
    MAX_TOPIC,
    Card,
    Deck,
    deck_to_yaml,
    default_card_id,
    parse_deck,
)
from bot.storage import NewAnswer
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, InteractionHandle
from tests.harness import BotRunner, FakeClock

ELLIPSIS = "…"


def sized(label: str, size: int) -> str:
    """Text of exactly `size` characters that starts with `label`."""
    text = (label + " " + "lorem ipsum dolor sit amet " * (size // 20 + 1))[:size]
    return text[:-1] + "x"  # deck text is stripped: no space at the end


def long_deck(
    deck_id: str,
    *,
    title: str = "Long cards",
    cards: int = 4,
    front: int = 600,
    back: int = MAX_CARD_TEXT,
    explanation: int = MAX_CARD_TEXT,
    topics: int = 0,
) -> Deck:
    made = [
        Card(
            id=default_card_id(sized(f"Front {i}", front)),
            front=sized(f"Front {i}", front),
            back=sized(f"Back {i}", back),
            explanation=sized(f"Why {i}", explanation) if explanation else None,
        )
        for i in range(cards)
    ]
    return Deck(
        id=deck_id,
        title=title,
        description="A deck at the format's limits.",
        source=None,
        topics=tuple(sized(f"Topic {i}", MAX_TOPIC) for i in range(topics)),
        cards=tuple(made),
    )


def runner_of(fake: FakeDiscord, tmp_path: Path, clock: FakeClock) -> Callable[[list[Deck]], Any]:
    """Start the bot on a deck directory holding exactly `decks`."""

    async def start(decks: list[Deck]) -> BotRunner:
        directory = tmp_path / "decks"
        directory.mkdir()
        for deck in decks:
            text = deck_to_yaml(deck)
            assert parse_deck(text, filename=deck.id) == deck  # valid, at the limits
            (directory / f"{deck.id}.yaml").write_text(text, encoding="utf-8")
        runner = BotRunner(fake, tmp_path / "bot.sqlite3", decks_dir=directory, clock=clock)
        await runner.start()
        await fake.wait_commands_synced(scope=None)
        return runner

    return start


@pytest.fixture
async def started(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Callable[[list[Deck]], Any]]:
    runners: list[BotRunner] = []
    start = runner_of(fake, tmp_path, clock)

    async def run(decks: list[Deck]) -> BotRunner:
        runners.append(await start(decks))
        return runners[-1]

    yield run
    for runner in runners:
        await runner.stop()


def embed_size(message: dict[str, Any]) -> int:
    total = 0
    for embed in message.get("embeds", []):
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += len((embed.get("footer") or {}).get("text", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total


def fields_of(embed: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


def wrong_letter(message: dict[str, Any]) -> str:
    """A letter whose option is not the back of the card asked (cards are "Front i" and
    "Back i"), so the reply carries the full right answer as well as the explanation."""
    embed = message["embeds"][0]
    asked = re.search(r"Front (\d+)", embed["description"])
    assert asked is not None
    right = f"Back {asked.group(1)}"
    options = {field["name"][-2]: field["value"] for field in embed.get("fields", [])}
    for line in embed["description"].splitlines():
        if written := re.match(r"\*\*([A-D])\.\*\* (.*)", line):
            options[written.group(1)] = written.group(2)
    assert len(options) == 4
    return next(letter for letter, text in sorted(options.items()) if right not in text)


async def play_to_the_end(
    fake: FakeDiscord, server: StudyServer, deck_id: str, questions: int, *, wrong: bool = False
) -> list[InteractionHandle]:
    """A multiple-choice quiz answered with A every time, or with a wrong letter every
    time; each answer's interaction."""
    it = await fake.invoke_slash(
        "quiz", {"deck": deck_id, "questions": questions}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    message = it.message
    answered: list[InteractionHandle] = []
    for number in range(1, questions + 1):
        assert message is not None and message["embeds"][0]["title"] == (
            f"Question {number} of {questions}"
        )
        letter = wrong_letter(message) if wrong else "A"
        answer = await fake.click(message, letter, user=server.alice)
        await answer.wait_response()
        answered.append(answer)
        if number < questions:
            following = await fake.click(answer.message, "Next", user=server.alice)
            await following.wait_response()
            message = following.message
    return answered


async def test_the_last_answer_of_long_cards_shows_its_result_and_the_summary(
    fake: FakeDiscord, server: StudyServer, started: Callable[[list[Deck]], Any]
) -> None:
    deck = long_deck("long-cards", front=600)
    await started([deck])
    # Wrong answers: the reply then holds the 1,000-character back too, the longest case.
    answered = await play_to_the_end(fake, server, deck.id, questions=4, wrong=True)
    last = answered[-1].message
    assert last is not None and answered[-1].refusals == []
    assert embed_size(last) <= 6000
    result, summary = last["embeds"]
    assert summary["title"] == "Quiz complete"
    fields = fields_of(result)
    assert fields["Result"].startswith("Not quite: the answer is")
    # The question stays whole; the explanation gave way, visibly.
    assert any(card.front in result["description"] for card in deck.cards)
    assert fields["Why"].endswith(ELLIPSIS)
    assert "components" not in last or last["components"] == []  # the A-D buttons are gone


async def test_every_answer_to_maximum_length_fronts_is_shown(
    fake: FakeDiscord, server: StudyServer, started: Callable[[list[Deck]], Any]
) -> None:
    deck = long_deck("longest-cards", front=MAX_CARD_TEXT)
    await started([deck])
    answered = await play_to_the_end(fake, server, deck.id, questions=3)
    for answer in answered:
        message = answer.message
        assert message is not None and answer.refusals == []
        assert embed_size(message) <= 6000
        result = message["embeds"][0]
        assert "Result" in fields_of(result)
        assert any(f"**{card.front}**" in result["description"] for card in deck.cards)


async def test_decks_list_with_long_titles_and_many_topics_names_every_deck(
    fake: FakeDiscord, server: StudyServer, started: Callable[[list[Deck]], Any]
) -> None:
    decks = [
        long_deck(f"wide-deck-{i}", title=sized(f"Wide deck {i}", MAX_TITLE), topics=50)
        for i in range(8)
    ]
    await started(decks)
    it = await fake.invoke_slash("decks list", user=server.alice, channel=server.channel)
    await it.wait_response()
    message = it.message
    assert message is not None and it.refusals == []
    assert embed_size(message) <= 6000
    embed = message["embeds"][0]
    assert len(embed["fields"]) == len(decks)
    shown = " ".join(field["value"] for field in embed["fields"])
    assert all(f"`{deck.id}`" in shown for deck in decks)
    assert all(field["value"].endswith(ELLIPSIS) for field in embed["fields"])  # topics gave way


async def test_due_with_25_long_titled_decks_shows_each_deck_and_its_next_review(
    fake: FakeDiscord, server: StudyServer, started: Callable[[list[Deck]], Any], clock: FakeClock
) -> None:
    decks = [
        long_deck(
            f"due-deck-{i:02}",
            title=sized(f"Due deck {i}", MAX_TITLE),
            front=100,
            back=100,
            explanation=0,
        )
        for i in range(25)
    ]
    runner = await started(decks)
    assert runner.db is not None
    await runner.db.members.upsert_guild(server.guild.id, server.guild.name, clock.now)
    await runner.db.members.upsert_user(server.alice.id, "alice", clock.now)
    for deck in decks:  # one card of each deck seen, so each has a next review
        await runner.db.answers.record(
            NewAnswer(
                server.alice.id, server.guild.id, deck.id, deck.cards[0].id, "review", True,
                clock.now, grade="good",
            )
        )  # fmt: skip
    clock.advance(minutes=1)
    it = await fake.invoke_slash("due", user=server.alice, channel=server.channel)
    await it.wait_response()
    message = it.message
    assert message is not None and it.refusals == []
    assert embed_size(message) <= 6000
    fields = message["embeds"][0]["fields"]
    assert len(fields) == 25
    # Each title is cut in the middle, so the id at the end stays.
    assert sorted(field["name"].rsplit(" (", 1)[1] for field in fields) == [
        f"{deck.id})" for deck in decks
    ]
    for field in fields:
        assert ELLIPSIS in field["name"] and "next <t:" in field["value"]


async def test_deck_autocomplete_tells_long_titled_decks_apart(
    fake: FakeDiscord, server: StudyServer, started: Callable[[list[Deck]], Any]
) -> None:
    decks = [
        long_deck(f"big-deck-{i}", title=f"Big deck {'T' * 180} part {i}", explanation=0)
        for i in range(5)
    ]
    await started(decks)
    choices = await fake.autocomplete(
        "quiz", {"deck": "big"}, focused="deck", user=server.alice, channel=server.channel
    )
    names = {choice["value"]: choice["name"] for choice in choices}
    assert sorted(names) == [deck.id for deck in decks]
    assert len(set(names.values())) == len(decks)
    for i, deck in enumerate(decks):
        name = names[deck.id]
        assert len(name) <= 100 and name.startswith("Big deck TTT")
        assert name.endswith(f"part {i} ({deck.id})")
