"""/stats without `deck` breaks down the deck the member studied last, and says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, Member
from tests.harness import SHIPPED_DECKS, BotRunner, FakeClock, runner_with_decks
from tests.helpers.quiz import SMALL_DECK, press, start_quiz

SHIPPED = "aws-mla-c01-deployment"
SHIPPED_TITLE = "Topics of AWS MLA-C01: Deployment and Operationalization, weakest first"
NOTE = "Topics are of the deck studied last; `deck` shows another."


@pytest.fixture
async def two_decks(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    shipped = (SHIPPED_DECKS / f"{SHIPPED}.yaml").read_text()
    decks = {"small.yaml": SMALL_DECK, f"{SHIPPED}.yaml": shipped}
    async with runner_with_decks(fake, tmp_path, clock, decks) as bot_runner:
        yield bot_runner


async def stats_of(fake: FakeDiscord, server: StudyServer, user: Member) -> dict[str, Any]:
    it = await fake.invoke_slash("stats", {}, user=user, channel=server.channel)
    await it.wait_response()
    return dict(it.message["embeds"][0])


async def answer_one(fake: FakeDiscord, server: StudyServer, user: Member, deck: str) -> None:
    it = await start_quiz(fake, server, user, deck=deck, mode="flashcard", questions=1)
    shown = await press(fake, it.message, "Show answer", user)
    await press(fake, shown.message, "Good", user)


async def test_stats_shows_the_topics_of_the_deck_studied_last(
    fake: FakeDiscord, server: StudyServer, two_decks: BotRunner, clock: FakeClock
) -> None:
    alice = server.alice
    await answer_one(fake, server, alice, "small")
    embed = await stats_of(fake, server, alice)
    names = [field["name"] for field in embed["fields"]]
    assert "Topics of Small deck, weakest first" in names
    assert embed["description"] == f"In this server. {NOTE}"

    clock.advance(minutes=5)
    await answer_one(fake, server, alice, SHIPPED)
    embed = await stats_of(fake, server, alice)
    assert SHIPPED_TITLE in [field["name"] for field in embed["fields"]]

    # Someone who never studied is told how to choose a deck.
    fresh = await stats_of(fake, server, server.bob)
    assert fresh["description"] == ("In this server. Name a deck with `deck` to see its topics.")
    assert not any(field["name"].startswith("Topics of") for field in fresh["fields"])
