"""/review and /due agree on the new cards left today, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock, runner_with_decks
from tests.helpers.quiz import grade_cards, slash

pytestmark = pytest.mark.engines

FIVE = "id: five\ntitle: Five cards\ndescription: d\ntopics: []\ncards:\n" + "".join(
    f"  - front: Question {n}\n    back: Answer {n}\n" for n in range(1, 6)
)
SIX = FIVE.replace("five", "six").replace("Five", "Six") + "  - front: Question 6\n    back: A6\n"


@pytest.fixture
async def two_decks(
    fake: FakeDiscord,
    server: StudyServer,
    tmp_path: Path,
    clock: FakeClock,
    bot_database: Path | str,
) -> AsyncIterator[BotRunner]:
    async with runner_with_decks(
        fake, tmp_path, clock, {"five.yaml": FIVE, "six.yaml": SIX}, bot_database
    ) as bot_runner:
        yield bot_runner


async def test_after_every_card_of_a_deck_review_and_due_tell_the_same_story(
    fake: FakeDiscord, server: StudyServer, two_decks: BotRunner, clock: FakeClock
) -> None:
    alice = server.alice
    first = await slash(fake, server, alice, "review", deck="five")
    assert first.message["embeds"][0]["title"] == "Question 1 of 5"
    await grade_cards(fake, first.message, alice, ["Easy"] * 5)
    clock.advance(minutes=1)

    nothing = await slash(fake, server, alice, "review", deck="five")
    text = nothing.message["content"]
    assert "today's 20 new cards" not in text
    assert text.endswith(
        "You have started all 5 cards of this deck; 15 new cards left today for other decks."
    )

    due = await slash(fake, server, alice, "due")
    embed = due.message["embeds"][0]
    assert embed["footer"]["text"] == "New cards left today: 15"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Five cards (five)"].startswith("**0** due · **0** new available")
    assert fields["Six cards (six)"].startswith("**0** due · **6** new available")

    # The other deck takes what is left, and then /review says the allowance is spent.
    await slash(fake, server, alice, "settings new-cards-per-day", count=8)
    other = await slash(fake, server, alice, "review", deck="six")
    assert other.message["embeds"][0]["title"] == "Question 1 of 3"
    await grade_cards(fake, other.message, alice, ["Easy"] * 3)
    clock.advance(minutes=1)
    spent = await slash(fake, server, alice, "review", deck="six")
    assert spent.message["content"].endswith(
        "You have started today's 8 new cards; more come at midnight."
    )
    due = await slash(fake, server, alice, "due")
    fields = {f["name"]: f["value"] for f in due.message["embeds"][0]["fields"]}
    assert fields["Six cards (six)"].startswith("**0** due · **0** new available")
    assert due.message["embeds"][0]["footer"]["text"] == "New cards left today: 0"
