"""/quiz end to end: the real bot and discord.py against the loopback Discord API."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.interactions import APOLOGY
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock, runner_with_decks
from tests.helpers.database import answers
from tests.helpers.quiz import (
    ALREADY_ANSWERED,
    BACK_OF,
    SMALL_DECK,
    front_of,
    labels,
    options_of,
    press,
    right_letter,
    start_quiz,
    wrong_letter,
)

CHANNEL_MESSAGE, UPDATE_MESSAGE = 4, 7  # interaction callback types


async def test_a_multiple_choice_session_scores_like_the_clicks(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    it = await start_quiz(fake, server, server.alice, questions=4)
    assert it.ephemeral
    message = it.message
    assert message["embeds"][0]["title"] == "Question 1 of 4"
    assert labels(message) == ["A", "B", "C", "D"]
    assert len(options_of(message)) == 4
    plan = [True, False, True, False]
    fronts = []
    for number, right in enumerate(plan, start=1):
        assert message["embeds"][0]["title"] == f"Question {number} of 4"
        fronts.append(front_of(message))
        letter = right_letter(message) if right else wrong_letter(message)
        clock.advance(seconds=2)
        answered = await press(fake, message, letter, server.alice)
        message = answered.message
        result = message["embeds"][0]
        verdict = next(f["value"] for f in result["fields"] if f["name"] == "Result")
        if right:
            assert verdict == "Right!"
        else:
            assert verdict == f"Not quite: the answer is **{right_letter(message)}**."
        if number < 4:
            assert labels(message) == ["Next"]
            message = (await press(fake, message, "Next", server.alice)).message
    summary = message["embeds"][1]
    assert summary["title"] == "Quiz complete"
    assert summary["description"] == "Score **2** · **2/4** right (50%)"
    fields = {f["name"]: f["value"] for f in summary["fields"]}
    assert fields["Time"] == "0 min 8 s"
    assert fields["Study streak"] == "1 day"
    assert fields["To review"] == f"• {fronts[1]}\n• {fronts[3]}"
    assert labels(message) == []

    rows = answers(runner.database)
    assert [(r[0], r[1], r[2], r[3], r[5], r[6]) for r in rows] == [
        (server.alice.id, server.guild.id, "multiple-choice", int(right), int(right), index)
        for index, right in enumerate(plan)
    ]


async def test_a_flashcard_session_stores_self_grades(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, mode="flashcard", questions=2)
    message = it.message
    assert labels(message) == ["Show answer"]
    front = front_of(message)
    message = (await press(fake, message, "Show answer", server.alice)).message
    assert BACK_OF[front] in message["embeds"][0]["description"]
    assert labels(message) == ["Again", "Hard", "Good", "Easy"]
    message = (await press(fake, message, "Good", server.alice)).message
    assert labels(message) == ["Next"]
    message = (await press(fake, message, "Next", server.alice)).message
    message = (await press(fake, message, "Show answer", server.alice)).message
    message = (await press(fake, message, "Again", server.alice)).message
    summary = message["embeds"][1]
    assert summary["description"] == "You studied **2 cards** and knew **1** of them."
    rows = answers(runner.database)
    assert [(r[2], r[3], r[4], r[5]) for r in rows] == [
        ("flashcard", 1, "good", 0),
        ("flashcard", 0, "again", 0),
    ]


def fields_of(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


@pytest.fixture
async def small_runner(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    async with runner_with_decks(fake, tmp_path, clock, {"small.yaml": SMALL_DECK}) as bot_runner:
        yield bot_runner


@pytest.mark.parametrize(
    ("topic", "typed", "verdict", "stored"),
    [
        ("logs", "cloudwatch and s3 logs", "Right!", 1),
        ("logs", "S3 logs and CloudWatch", "Right!", 1),
        ("logs", "CloudTrail and S3 logs", "Not quite.", 0),
        ("drift", "model drift - retrain and monitor regularly", "Right!", 1),
        ("storage", "model artifacts", "Right!", 1),
        ("cdn", "I don't know", "Not quite.", 0),
    ],
)
async def test_typed_answers_are_graded(
    fake: FakeDiscord,
    server: StudyServer,
    small_runner: BotRunner,
    topic: str,
    typed: str,
    verdict: str,
    stored: int,
) -> None:
    it = await start_quiz(fake, server, server.alice, deck="small", mode="typed", topic=topic)
    assert "Only 1 card matches topic" in it.message["content"]
    opened = await press(fake, it.message, "Answer", server.alice)
    assert opened.modal is not None
    submitted = await fake.submit_modal(opened, {"answer": typed})
    await submitted.wait_response()
    fields = {f["name"]: f["value"] for f in submitted.message["embeds"][0]["fields"]}
    assert fields["You wrote"] == typed
    assert fields["Result"] == verdict
    assert [(r[2], r[3], r[5]) for r in answers(small_runner.database)] == [
        ("typed", stored, stored)
    ]


async def test_a_close_typed_answer_lets_the_member_judge(
    fake: FakeDiscord, server: StudyServer, small_runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, deck="small", mode="typed", topic="logs")
    opened = await press(fake, it.message, "Answer", server.alice)
    submitted = await fake.submit_modal(opened, {"answer": "CloudWatch"})
    await submitted.wait_response()
    message = submitted.message
    assert message["content"] == "Close call: compare and judge it yourself."
    assert labels(message) == ["I was right", "I was wrong"]
    assert answers(small_runner.database) == []
    judged = await press(fake, message, "I was wrong", server.alice)
    assert judged.message["embeds"][1]["title"] == "Quiz complete"
    assert [(r[2], r[3]) for r in answers(small_runner.database)] == [("typed", 0)]


async def test_a_judged_close_call_shows_what_the_member_wrote_as_written(
    fake: FakeDiscord, server: StudyServer, small_runner: BotRunner
) -> None:
    typed = "*CloudWatch* @everyone"  # markup, shown escaped: the text itself, not its rendering
    it = await start_quiz(fake, server, server.alice, deck="small", mode="typed", topic="logs")
    opened = await press(fake, it.message, "Answer", server.alice)
    submitted = await fake.submit_modal(opened, {"answer": typed})
    await submitted.wait_response()
    assert submitted.message["content"] == "Close call: compare and judge it yourself."
    wrote = fields_of(submitted.message)["You wrote"]
    # Another process judges it: what was written comes from the database.
    await small_runner.restart()
    judged = await press(fake, submitted.message, "I was right", server.alice)
    assert fields_of(judged.message)["You wrote"] == wrote
    assert fields_of(judged.message)["Result"] == "Right!"
    assert [(r[2], r[3]) for r in answers(small_runner.database)] == [("typed", 1)]


async def test_an_answer_box_opened_before_a_restart_is_graded_after_it(
    fake: FakeDiscord, server: StudyServer, small_runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, deck="small", mode="typed", topic="logs")
    opened = await press(fake, it.message, "Answer", server.alice)
    assert opened.modal is not None
    # The new process holds no modal object: the client routes the submit by custom_id.
    await small_runner.restart()
    submitted = await fake.submit_modal(opened, {"answer": "S3 logs and CloudWatch"})
    await submitted.wait_response()
    fields = {f["name"]: f["value"] for f in submitted.message["embeds"][0]["fields"]}
    assert fields["Result"] == "Right!"
    assert submitted.followups == [] and submitted.refusals == []
    assert [(r[2], r[3]) for r in answers(small_runner.database)] == [("typed", 1)]


async def test_a_restart_mid_session_loses_nothing_and_counts_nothing_twice(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, questions=3)
    first = await press(fake, it.message, right_letter(it.message), server.alice)
    await runner.restart()
    # The buttons of the message sent before the restart still work.
    message = (await press(fake, first.message, "Next", server.alice)).message
    assert message["embeds"][0]["title"] == "Question 2 of 3"
    second = await press(fake, message, wrong_letter(message), server.alice)
    await runner.restart()
    message = (await press(fake, second.message, "Next", server.alice)).message
    final = await press(fake, message, right_letter(message), server.alice)
    assert final.message["embeds"][1]["description"] == "Score **2** · **2/3** right (67%)"
    assert [(r[3], r[6]) for r in answers(runner.database)] == [(1, 0), (0, 1), (1, 2)]


async def test_double_and_racing_clicks_record_one_answer(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, questions=2)
    # Five clicks leave before the bot has answered any: a double click, and a race.
    clicks = [await fake.click(it.message, letter, user=server.alice) for letter in "AABCA"]
    await asyncio.gather(*(c.wait_response() for c in clicks))
    updates = [c for c in clicks if c.response_type == UPDATE_MESSAGE]
    notes = [c for c in clicks if c.response_type == CHANNEL_MESSAGE and c.ephemeral]
    assert len(updates) == 1 and len(notes) == 4
    for note in notes:
        assert note.message["content"] == ALREADY_ANSWERED
        assert labels(note.message) == ["Next"]  # the quiz waits at this question
    assert len(answers(runner.database)) == 1
    nxt = await press(fake, updates[0].message, "Next", server.alice)
    assert nxt.message["embeds"][0]["title"] == "Question 2 of 2"
    # Now that the quiz has moved on, a note's Next shows where it is, and moves nothing.
    stale_next = await press(fake, notes[0].message, "Next", server.alice)
    assert stale_next.message["embeds"][0]["title"] == "Question 2 of 2"
    with sqlite3.connect(runner.database) as conn:
        assert conn.execute("SELECT answered, position FROM quiz_sessions").fetchall() == [(1, 1)]


@pytest.mark.parametrize("mode", ["multiple-choice", "flashcard", "typed"])
async def test_an_answer_whose_reply_was_lost_counts_once_and_the_quiz_goes_on(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, mode: str
) -> None:
    """The answer is stored, but Discord refuses its reply: the member's message still
    shows the question. Clicking it again says it was counted, with the quiz's Next."""
    it = await start_quiz(fake, server, server.alice, mode=mode, questions=2)
    callback = "/interactions/{interaction_id}/{interaction_token}/callback"
    if mode == "multiple-choice":
        target = right_letter(it.message)
        fake.fail_next("POST", callback, 400)
        lost = await press(fake, it.message, target, server.alice)
    elif mode == "flashcard":
        shown = await press(fake, it.message, "Show answer", server.alice)
        target = "Good"
        fake.fail_next("POST", callback, 400)
        lost = await press(fake, shown.message, target, server.alice)
    else:
        target = "Answer"
        opened = await press(fake, it.message, target, server.alice)
        fake.fail_next("POST", callback, 400)
        lost = await fake.submit_modal(opened, {"answer": "nothing like it"})
        await lost.wait_response()
    assert lost.ephemeral and lost.message["content"] == APOLOGY  # the second try got through
    assert len(answers(runner.database)) == 1
    current = fake.message(int(it.message["id"]))
    assert current is not None and target in labels(current)  # still the question
    again = await press(fake, current, target, server.alice)
    assert again.ephemeral and again.message["content"] == ALREADY_ANSWERED
    nxt = await press(fake, again.message, "Next", server.alice)
    assert nxt.message["embeds"][0]["title"] == "Question 2 of 2"
    assert len(answers(runner.database)) == 1


async def test_someone_elses_quiz_button_is_refused(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, questions=2)
    # Bob cannot see Alice's private message; a forged click carries its custom_id anyway.
    forged = await fake.click(it.message, "A", user=server.bob, forged=True)
    await forged.wait_response()
    assert forged.ephemeral
    assert forged.message["content"] == (
        "This quiz belongs to someone else. Start your own with `/quiz`."
    )
    assert answers(runner.database) == []


async def test_a_second_quiz_asks_before_abandoning_the_first(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    first = await start_quiz(fake, server, server.alice, questions=3)
    await press(fake, first.message, right_letter(first.message), server.alice)
    second = await start_quiz(fake, server, server.alice, mode="flashcard", questions=2)
    assert second.message["embeds"][0]["title"] == "You already have a quiz running"
    assert labels(second.message) == ["Start the new quiz", "Keep the old one"]
    kept = await press(fake, second.message, "Keep the old one", server.alice)
    assert labels(kept.message) == ["Next"]  # the old quiz, brought here
    third = await start_quiz(fake, server, server.alice, mode="flashcard", questions=2)
    started = await press(fake, third.message, "Start the new quiz", server.alice)
    assert labels(started.message) == ["Show answer"]
    stale = await fake.click(first.message, "Next", user=server.alice)
    await stale.wait_response()
    assert stale.ephemeral
    assert "replaced by a newer one" in stale.message["content"]


async def test_a_session_expires_after_a_day(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    it = await start_quiz(fake, server, server.alice, questions=2)
    clock.advance(hours=25)
    late = await fake.click(it.message, "A", user=server.alice)
    await late.wait_response()
    assert late.ephemeral
    assert late.message["content"].startswith("This quiz expired after a day without answers.")
    assert answers(runner.database) == []


async def test_unknown_deck_and_topic_get_suggestions(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, deck="aws-deploy")
    assert it.ephemeral and "Did you mean `aws-mla-c01-deployment`?" in it.message["content"]
    it = await start_quiz(fake, server, server.alice, topic="Lambda stuff")
    assert it.ephemeral
    assert it.message["content"].startswith(
        "Deck `aws-mla-c01-deployment` has no topic `Lambda stuff`. Its topics: "
    )


async def test_topic_autocomplete_follows_the_chosen_deck(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    choices = await fake.autocomplete(
        "quiz",
        {"deck": "aws-mla-c01-deployment", "topic": "lam"},
        focused="topic",
        user=server.alice,
        channel=server.channel,
    )
    assert [c["value"] for c in choices] == ["Serverless ML with Lambda"]


async def test_quiz_works_in_dms(fake: FakeDiscord, server: StudyServer, runner: BotRunner) -> None:
    dm = fake.open_dm(server.alice)
    it = await fake.invoke_slash("quiz", {"questions": 1}, user=server.alice, channel=dm)
    await it.wait_response()
    done = await fake.click(it.message, right_letter(it.message), user=server.alice)
    await done.wait_response()
    assert done.message["embeds"][1]["description"] == "Score **1** · **1/1** right (100%)"
    assert [(r[1], r[3]) for r in answers(runner.database)] == [(None, 1)]
