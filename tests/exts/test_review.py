"""/review, /due and the review offer of /quiz, end to end against the loopback Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.domain.review import replay
from tests.conftest import StudyServer
from tests.fakediscord import DriverError, FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.database import review_events, rows
from tests.helpers.quiz import grade_cards, labels, press, right_letter, slash, wrong_letter

pytestmark = pytest.mark.engines


def review_log(db_path: Path | str) -> list[tuple[Any, ...]]:
    return rows(
        db_path,
        "SELECT l.user_id, l.grade, a.mode, a.grade FROM review_log l "
        "JOIN answers a ON a.id = l.answer_id ORDER BY l.id",
    )


def states(db_path: Path | str) -> dict[str, tuple[int, int]]:
    found = rows(db_path, "SELECT card_id, reviews, due FROM review_states")
    return {row[0]: (row[1], row[2]) for row in found}


async def test_review_learns_new_cards_and_brings_them_back_when_due(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice = server.alice
    setting = await slash(fake, server, alice, "settings new-cards-per-day", count=3)
    assert setting.message["content"] == (
        "`/review` now starts up to **3 new cards** a day, counted from midnight in your time zone."
    )

    it = await slash(fake, server, alice, "review")
    assert it.message["embeds"][0]["title"] == "Question 1 of 3"
    done = await grade_cards(fake, it.message, alice, ["Good", "Good", "Again"])
    assert done["embeds"][1]["description"] == "You studied **3 cards** and knew **2** of them."
    assert review_log(runner.database) == [
        (alice.id, 3, "review", "good"),
        (alice.id, 3, "review", "good"),
        (alice.id, 1, "review", "again"),
    ]
    assert all(reviews == 1 for reviews, _ in states(runner.database).values())

    nothing = await slash(fake, server, alice, "review")
    assert nothing.ephemeral
    assert nothing.message["content"].startswith(
        "Nothing to review in `aws-mla-c01-deployment` right now; the next card is due <t:"
    )
    assert (
        "You have started today's 3 new cards; more come at midnight." in nothing.message["content"]
    )

    clock.advance(minutes=11)  # past the learning steps of all three
    due = await slash(fake, server, alice, "due")
    field = due.message["embeds"][0]["fields"][0]
    assert field["value"].startswith("**3** due · **0** new available")

    again = await slash(fake, server, alice, "review")
    assert again.message["embeds"][0]["title"] == "Question 1 of 3"
    shown = await press(fake, again.message, "Show answer", alice)
    await runner.restart()  # mid-review: the next click must still land, once
    graded = await press(fake, shown.message, "Good", alice)
    assert labels(graded.message) == ["Next"]
    assert len(review_log(runner.database)) == 4
    assert sorted(reviews for reviews, _ in states(runner.database).values()) == [1, 1, 2]

    stats = await slash(fake, server, alice, "stats")
    fields = {f["name"]: f["value"] for f in stats.message["embeds"][0]["fields"]}
    assert fields["Retention (30 days)"] == "75.0% of 4 reviews"
    assert fields["Mature cards"] == "0"


async def test_retention_is_a_server_setting_for_admins(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    refused = await slash(fake, server, server.alice, "settings retention", value=0.8)
    assert refused.ephemeral
    assert (
        refused.message["content"] == "You need the manage server permission to use this command."
    )
    done = await slash(fake, server, server.admin, "settings retention", value=0.8)
    assert done.message["content"].startswith("Reviews in this server now aim at **80%** retention")
    assert runner.db is not None
    assert await runner.db.reviews.desired_retention(server.guild.id) == 0.8
    with pytest.raises(DriverError):  # Discord itself refuses values outside the declared range
        await fake.invoke_slash(
            "settings retention", {"value": 0.99}, user=server.admin, channel=server.channel
        )


async def test_quiz_offers_due_reviews_first(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice = server.alice
    await slash(fake, server, alice, "settings new-cards-per-day", count=2)
    it = await slash(fake, server, alice, "review")
    await grade_cards(fake, it.message, alice, ["Again", "Again"])
    clock.advance(minutes=2)

    offer = await slash(fake, server, alice, "quiz", questions=3)
    assert offer.message["embeds"][0]["title"] == "Cards are due for review"
    assert labels(offer.message) == ["Review 2 cards", "Quiz anyway"]
    review = await press(fake, offer.message, "Review 2 cards", alice)
    assert review.message["embeds"][0]["title"] == "Question 1 of 2"
    assert labels(review.message) == ["Show answer"]

    # With a mode chosen, the quiz starts at once (after confirming the running review).
    direct = await slash(fake, server, alice, "quiz", mode="multiple-choice", questions=3)
    assert direct.message["embeds"][0]["title"] == "You already have a quiz running"
    anyway = await slash(fake, server, alice, "quiz", questions=3)
    started = await press(fake, anyway.message, "Quiz anyway", alice)
    assert labels(started.message) == ["A", "B", "C", "D"]


async def test_quiz_answers_feed_the_schedule(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await slash(fake, server, server.bob, "quiz", questions=2)
    first = await press(fake, it.message, right_letter(it.message), server.bob)
    message = (await press(fake, first.message, "Next", server.bob)).message
    await press(fake, message, wrong_letter(message), server.bob)
    assert review_log(runner.database) == [
        (server.bob.id, 3, "multiple-choice", None),
        (server.bob.id, 1, "multiple-choice", None),
    ]


async def test_the_review_log_recomputes_the_stored_states(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice = server.alice
    await slash(fake, server, alice, "settings new-cards-per-day", count=2)
    first = await slash(fake, server, alice, "review")
    await grade_cards(fake, first.message, alice, ["Good", "Again"])
    clock.advance(minutes=15)
    again = await slash(fake, server, alice, "review")
    await grade_cards(fake, again.message, alice, ["Hard", "Easy"])
    assert runner.db is not None
    deck = "aws-mla-c01-deployment"
    stored = await runner.db.reviews.states(alice.id, deck)
    assert len(stored) == 2
    retention = await runner.db.reviews.desired_retention(server.guild.id)
    for state in stored:
        events = review_events(runner.db, alice.id, deck, state.card_id)
        assert len(events) == 2
        assert replay(events, desired_retention=retention) == state
