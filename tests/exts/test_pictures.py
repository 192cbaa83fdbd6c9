"""Pictures of a deck in Discord: each side's picture is the embed's image, attached."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.decks import parse_deck
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.fakediscord.limits import check_embed_files
from tests.fakediscord.messages import Upload
from tests.harness import BotRunner, FakeClock
from tests.helpers.quiz import labels, press, slash, start_quiz
from tests.importers.builders import GIF, PNG

DECK = """\
id: anatomy
title: Anatomy
description: Pictures on both sides.
topics: [heart]
cards:
  - front: Which chamber is marked?
    front_image: heart.png
    back: Left ventricle
    topic: heart
  - front: Show the aortic valve
    back_image: valve.gif
    topic: heart
"""


@pytest.fixture
async def picture_runner(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    folder = tmp_path / "decks"
    (folder / "anatomy.media").mkdir(parents=True)
    (folder / "anatomy.yaml").write_text(DECK)
    (folder / "anatomy.media" / "heart.png").write_bytes(PNG)
    (folder / "anatomy.media" / "valve.gif").write_bytes(GIF)
    runner = BotRunner(fake, tmp_path / "bot.sqlite3", decks_dir=folder, clock=clock)
    await runner.start()
    await fake.wait_commands_synced(scope=None)
    try:
        yield runner
    finally:
        await runner.stop()


def picture_of(fake: FakeDiscord, message: dict[str, Any]) -> tuple[str, bytes] | None:
    image = message["embeds"][0].get("image")
    if image is None:
        assert message["attachments"] == []
        return None
    [attachment] = message["attachments"]
    assert image["url"] == f"attachment://{attachment['filename']}"
    return attachment["filename"], fake.attachment_data(attachment)


async def test_a_flashcard_shows_each_sides_picture_from_an_attachment(
    fake: FakeDiscord, server: StudyServer, picture_runner: BotRunner
) -> None:
    it = await start_quiz(fake, server, server.alice, mode="flashcard", questions=2)
    message = it.message
    seen: dict[str, tuple[str, bytes] | None] = {}  # in whichever order the quiz asks
    for _ in range(2):
        question = message["embeds"][0]["description"]
        seen[question.split("\n")[0]] = picture_of(fake, message)
        message = (await press(fake, message, "Show answer", server.alice)).message
        seen["answer: " + question.split("\n")[0]] = picture_of(fake, message)
        message = (await press(fake, message, "Good", server.alice)).message
        seen["graded: " + question.split("\n")[0]] = picture_of(fake, message)
        if "Next" in labels(message):
            message = (await press(fake, message, "Next", server.alice)).message
    assert seen == {
        "**Which chamber is marked?**": ("heart.png", PNG),
        # The revealed card shows its question's picture when the answer has none...
        "answer: **Which chamber is marked?**": ("heart.png", PNG),
        "graded: **Which chamber is marked?**": ("heart.png", PNG),
        # ...and the answer's picture when it has one; a question without shows none.
        "**Show the aortic valve**": None,
        "answer: **Show the aortic valve**": ("valve.gif", GIF),
        "graded: **Show the aortic valve**": ("valve.gif", GIF),
    }


async def test_a_picture_answer_is_never_asked_in_multiple_choice_or_typed_mode(
    fake: FakeDiscord, server: StudyServer, picture_runner: BotRunner
) -> None:
    typed = await start_quiz(fake, server, server.alice, mode="typed", questions=5)
    message = typed.message
    assert message["embeds"][0]["title"] == "Question 1 of 1"
    assert "Which chamber is marked?" in message["embeds"][0]["description"]
    assert picture_of(fake, message) == ("heart.png", PNG)
    opened = await press(fake, message, "Answer", server.alice)
    submitted = await fake.submit_modal(opened, {"answer": "left ventricle"})
    await submitted.wait_response()
    # The answered question keeps its picture, and the summary comes with it.
    assert picture_of(fake, submitted.message) == ("heart.png", PNG)
    assert submitted.message["embeds"][1]["title"] == "Quiz complete"
    info = await slash(fake, server, server.alice, "decks info", deck="anatomy")
    fields = {f["name"]: f["value"] for f in info.message["embeds"][0]["fields"]}
    assert fields["Pictures"] == (
        "2 cards show a picture. 1 card answers with a picture alone: it is asked as "
        "flashcards and in `/review`, never in multiple choice or typed mode."
    )


def test_the_fake_refuses_an_embed_image_naming_no_attached_file() -> None:
    body = {"embeds": [{"image": {"url": "attachment://heart.png"}}]}
    assert [e.code for e in check_embed_files(body, [])] == ["EMBED_ATTACHMENT_MISSING"]
    assert check_embed_files(body, [Upload("heart.png", 10)]) == []
    # An edit that keeps the message's files may name one of them...
    assert check_embed_files(body, [], [{"id": "1", "filename": "heart.png"}]) == []
    # ...unless it lists the files it keeps, and that one is not among them.
    dropped = {**body, "attachments": []}
    assert len(check_embed_files(dropped, [], [{"id": "1", "filename": "heart.png"}])) == 1


async def test_export_of_a_deck_file_with_pictures_is_a_zip_of_it_and_its_media(
    fake: FakeDiscord, server: StudyServer, picture_runner: BotRunner
) -> None:
    exported = await slash(fake, server, server.alice, "decks export", deck="anatomy")
    await exported.wait_final()
    [attachment] = exported.message["attachments"]
    assert attachment["filename"] == "anatomy.zip"
    with zipfile.ZipFile(io.BytesIO(fake.attachment_data(attachment))) as archive:
        text = archive.read("anatomy.yaml").decode()
        assert parse_deck(text, filename="x").cards == parse_deck(DECK, filename="x").cards
        assert archive.read("anatomy.media/heart.png") == PNG
        assert archive.read("anatomy.media/valve.gif") == GIF


async def test_an_export_over_discords_attachment_limit_says_so(
    fake: FakeDiscord, server: StudyServer, picture_runner: BotRunner, tmp_path: Path
) -> None:
    # Two pictures of 6 MiB each: each within a deck's limits, together over the 10 MiB
    # Discord lets the bot attach in this server.
    media = tmp_path / "decks" / "anatomy.media"
    (media / "heart.png").write_bytes(PNG + bytes(6 * 1024 * 1024))
    (media / "valve.gif").write_bytes(GIF + bytes(6 * 1024 * 1024))
    exported = await slash(fake, server, server.alice, "decks export", deck="anatomy")
    await exported.wait_final()
    assert exported.message["attachments"] == []
    assert exported.message["content"] == (
        "`anatomy` with its pictures is 12 MiB or more, over the 10 MiB Discord lets me attach "
        "here, so it cannot be sent. On the bot's machine, `python -m bot decks export` "
        "writes it whole."
    )
