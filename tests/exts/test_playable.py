"""Decks that `decks check` accepts but that cannot be played in every mode, end to end.

Each command that asks questions either plays the deck or says, in one line, why not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import check_decks
from bot.interactions import APOLOGY
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock, runner_with_decks
from tests.helpers.daily import home, posts, run_at, setup, slash, text_of, utc
from tests.helpers.quiz import labels, press, start_quiz

ONE_CARD = """\
id: one
title: One card
description: A deck of a single card.
topics: []
cards:
  - front: What does S3 stand for?
    back: Simple Storage Service
"""

# Only the first card has wrong answers of its own; the deck has three different backs.
FIRST_HAS_DISTRACTORS = """\
id: lopsided
title: Lopsided
description: One card with distractors, two without.
topics: []
cards:
  - front: Which service stores objects?
    back: S3
    distractors: [EBS, EFS, FSx]
  - front: Which service stores blocks?
    back: EBS
  - front: Which service stores files?
    back: EFS
"""

ONE_BACK = """\
id: same
title: One answer
description: Three questions, all answered the same way.
topics: [basics, empty]
cards:
  - front: Is S3 durable?
    back: "Yes"
    topic: basics
  - front: Is S3 regional?
    back: "yes"
    topic: basics
  - front: Can S3 host a static site?
    back: " YES "
    topic: basics
"""


@pytest.fixture
async def odd_runner(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    decks = {"one.yaml": ONE_CARD, "same.yaml": ONE_BACK, "lopsided.yaml": FIRST_HAS_DISTRACTORS}
    async with runner_with_decks(fake, tmp_path, clock, decks) as bot_runner:
        assert check_decks([bot_runner.decks_dir]) == 0  # all are valid decks
        yield bot_runner


async def test_quiz_says_why_a_deck_has_no_multiple_choice_and_plays_the_other_modes(
    fake: FakeDiscord, server: StudyServer, odd_runner: BotRunner
) -> None:
    alice = server.alice
    refused = await start_quiz(fake, server, alice, deck="one")
    assert refused.ephemeral
    assert refused.message["content"] == (
        "Deck `one` has only 1 different answer: multiple choice needs 4 different answers "
        "per question. Try `mode:flashcard` or `mode:typed`."
    )
    same = await start_quiz(fake, server, alice, deck="same", mode="multiple-choice")
    assert same.message["content"].startswith("Deck `same` has only 1 different answer:")
    assert APOLOGY not in same.message["content"]

    flashcard = await start_quiz(fake, server, alice, deck="one", mode="flashcard")
    assert flashcard.message["embeds"][0]["title"] == "Question 1 of 1"
    shown = await press(fake, flashcard.message, "Show answer", alice)
    assert labels(shown.message) == ["Again", "Hard", "Good", "Easy"]

    typed = await start_quiz(fake, server, server.bob, deck="same", mode="typed", questions=3)
    assert typed.message["embeds"][0]["title"] == "Question 1 of 3"


async def test_quiz_on_a_topic_without_cards_says_so(
    fake: FakeDiscord, server: StudyServer, odd_runner: BotRunner
) -> None:
    for mode in ("flashcard", "typed", "multiple-choice"):
        it = await start_quiz(fake, server, server.alice, deck="same", mode=mode, topic="empty")
        assert it.message["content"] == "Topic `empty` of deck `same` has no cards to ask."


async def test_review_plays_a_one_card_deck(
    fake: FakeDiscord, server: StudyServer, odd_runner: BotRunner
) -> None:
    it = await fake.invoke_slash("review", {"deck": "one"}, user=server.bob, channel=server.channel)
    await it.wait_response()
    assert it.message["embeds"][0]["title"] == "Question 1 of 1"


async def test_daily_setup_refuses_a_deck_without_four_answers_and_says_why(
    fake: FakeDiscord, server: StudyServer, odd_runner: BotRunner
) -> None:
    for deck in ("one", "same"):
        it = await setup(fake, home(server), "09:00", deck=deck)
        assert text_of(it) == (
            f"Deck `{deck}` has only 1 different answer: multiple choice needs 4 different "
            "answers per question. Choose another `deck` or `topic`."
        )
    assert odd_runner.db is not None
    assert await odd_runner.db.daily.schedule(server.guild.id) is None


async def test_daily_setup_checks_every_card_it_may_post(
    fake: FakeDiscord, server: StudyServer, odd_runner: BotRunner
) -> None:
    it = await setup(fake, home(server), "09:00", deck="lopsided")
    assert text_of(it) == (
        "Deck `lopsided` has only 3 different answers, and 2 cards have too few wrong answers "
        "of their own: multiple choice needs 4 different answers per question. "
        "Choose another `deck` or `topic`."
    )
    assert odd_runner.db is not None
    assert await odd_runner.db.daily.schedule(server.guild.id) is None


async def test_a_daily_post_from_a_deck_changed_since_setup_says_why_it_failed(
    fake: FakeDiscord, server: StudyServer, odd_runner: BotRunner, clock: FakeClock
) -> None:
    where = home(server)
    decks = odd_runner.decks_dir
    # First every card has its own three wrong answers, so the deck can be posted.
    full = (
        FIRST_HAS_DISTRACTORS.replace("lopsided", "changing")
        .replace("    back: EBS\n", "    back: EBS\n    distractors: [S3, EFS, FSx]\n")
        .replace("    back: EFS\n", "    back: EFS\n    distractors: [S3, EBS, FSx]\n")
    )
    (decks / "changing.yaml").write_text(full)
    await odd_runner.restart()
    await fake.wait_commands_synced(scope=None)
    assert text_of(await setup(fake, where, "10:00", deck="changing")).startswith(
        "Daily challenge set:"
    )
    # Then the deck loses them, and the bot restarts with it.
    (decks / "changing.yaml").write_text(FIRST_HAS_DISTRACTORS.replace("lopsided", "changing"))
    await odd_runner.restart()
    await run_at(odd_runner, clock, utc(2026, 3, 2, 10, 0))
    assert posts(fake, server.channel) == []
    status = await slash(fake, "daily status", where)
    assert status.message is not None
    shown = "\n".join(f["value"] for f in status.message["embeds"][0]["fields"])
    assert (
        "Deck `changing` has only 3 different answers, and 2 cards have too few wrong answers "
        "of their own: multiple choice needs 4 different answers per question."
    ) in shown
