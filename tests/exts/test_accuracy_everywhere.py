"""Accuracy has one meaning in every reply: the share right of the answers the bot judged."""

from __future__ import annotations

from typing import Any

from tests.conftest import StudyServer
from tests.exts.test_quiz import press, right_letter, start_quiz, wrong_letter
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner

DECK = "aws-mla-c01-deployment"


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


async def test_decks_info_and_stats_count_only_judged_answers(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    alice = server.alice
    quiz = await start_quiz(fake, server, alice, deck=DECK, mode="multiple-choice", questions=2)
    message = (await press(fake, quiz.message, right_letter(quiz.message), alice)).message
    message = (await press(fake, message, "Next", alice)).message
    await press(fake, message, wrong_letter(message), alice)

    # Three self-graded cards, all "Good": study, not judged answers.
    cards = await start_quiz(fake, server, alice, deck=DECK, mode="flashcard", questions=3)
    message = cards.message
    for number in range(3):
        if number:
            message = (await press(fake, message, "Next", alice)).message
        message = (await press(fake, message, "Show answer", alice)).message
        message = (await press(fake, message, "Good", alice)).message

    info = await fake.invoke_slash("decks info", {"deck": DECK}, user=alice, channel=server.channel)
    await info.wait_response()
    progress = fields(info.message)["Your progress"]
    assert progress.startswith("5 answers · accuracy 50.0% (1/2 judged) · ")

    stats = await fake.invoke_slash("stats", {"deck": DECK}, user=alice, channel=server.channel)
    await stats.wait_response()
    assert fields(stats.message)["Accuracy"] == "50.0% (1/2 judged)"
