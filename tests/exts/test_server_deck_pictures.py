"""Pictures of decks imported into a server: stored with the deck in the database, shown
as for deck files, exported in a zip with the deck, and removed with it."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests import engines
from tests.conftest import StudyServer
from tests.exts.test_deck_import import run, upload
from tests.exts.test_pictures import picture_of
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner
from tests.helpers.quiz import press
from tests.importers.builders import FRONT_BACK, GIF, PNG, Typed, collection, rezip

pytestmark = pytest.mark.engines

NOTES = [
    Typed(FRONT_BACK, ['Which chamber? <img src="heart.png">', "Left ventricle"], "Anatomy"),
    Typed(FRONT_BACK, ["Show the aortic valve", '<img src="valve.gif">'], "Anatomy"),
    Typed(FRONT_BACK, ["Where is the apex?", "At the bottom"], "Anatomy"),
]
ANATOMY = collection(NOTES, {"heart.png": PNG, "valve.gif": GIF})


def target(runner: BotRunner) -> Path | str:
    assert runner.db is not None
    return engines.target_of(runner.db)


def media_rows(runner: BotRunner) -> list[tuple[Any, ...]]:
    return engines.rows(
        target(runner),
        "SELECT guild_id, deck_id, name, kind, size FROM server_deck_media ORDER BY name",
    )


def deck_rows(runner: BotRunner) -> list[tuple[Any, ...]]:
    return engines.rows(target(runner), "SELECT guild_id, deck_id FROM server_decks")


async def flashcards(
    fake: FakeDiscord, server: StudyServer, deck: str, count: int
) -> dict[str, tuple[str, bytes] | None]:
    """Each question's picture, then its revealed answer's, of a whole flashcard quiz."""
    it = await fake.invoke_slash(
        "quiz",
        {"deck": deck, "mode": "flashcard", "questions": count},
        user=server.alice,
        channel=server.channel,
    )
    await it.wait_response()
    message = it.message
    seen: dict[str, tuple[str, bytes] | None] = {}
    for _ in range(count):
        question = message["embeds"][0]["description"].split("\n")[0]
        seen[question] = picture_of(fake, message)
        message = (await press(fake, message, "Show answer", server.alice)).message
        seen["answer: " + question] = picture_of(fake, message)
        message = (await press(fake, message, "Good", server.alice)).message
        if any(c["label"] == "Next" for r in message["components"] for c in r["components"]):
            message = (await press(fake, message, "Next", server.alice)).message
    return seen


async def test_an_anki_package_with_pictures_is_played_with_them_and_removed_with_them(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    reply = await upload(fake, server, "anatomy.apkg", ANATOMY)
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Pictures"] == "2 imported, 0 left out"
    gid = server.guild.id
    assert media_rows(runner) == [
        (gid, "anatomy", "heart.png", "png", len(PNG)),
        (gid, "anatomy", "valve.gif", "gif", len(GIF)),
    ]
    seen = await flashcards(fake, server, "anatomy", 3)
    assert seen["**Which chamber?**"] == ("heart.png", PNG)
    assert seen["answer: **Which chamber?**"] == ("heart.png", PNG)
    assert seen["**Show the aortic valve**"] is None
    assert seen["answer: **Show the aortic valve**"] == ("valve.gif", GIF)
    assert seen["**Where is the apex?**"] is None

    info = await run(fake, "decks info", {"deck": "anatomy"}, server.alice, server.channel)
    info_fields = {f["name"]: f["value"] for f in info["embeds"][0]["fields"]}
    assert info_fields["Pictures"].startswith("2 cards show a picture. 1 card answers")

    ask = await run(fake, "decks remove", {"deck": "anatomy"}, server.admin, server.channel)
    removed = await fake.click(ask, "Remove", user=server.admin)
    await removed.wait_response()
    assert removed.message["content"].startswith("Removed `anatomy`")
    assert deck_rows(runner) == []
    assert media_rows(runner) == []


async def test_replacing_a_deck_replaces_its_pictures(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await upload(fake, server, "anatomy.apkg", ANATOMY)
    other = collection(
        [Typed(FRONT_BACK, ['Which organ? <img src="lung.png">', "Lung"], "Anatomy")],
        {"lung.png": PNG},
    )
    refused = await upload(fake, server, "anatomy.apkg", other)
    assert "already has a deck `anatomy`" in refused["content"]
    assert [row[2] for row in media_rows(runner)] == ["heart.png", "valve.gif"]
    await upload(fake, server, "anatomy.apkg", other, replace=True)
    assert [row[2] for row in media_rows(runner)] == ["lung.png"]
    seen = await flashcards(fake, server, "anatomy", 1)
    assert seen["**Which organ?**"] == ("lung.png", PNG)


async def test_hostile_packages_are_refused_and_nothing_is_written(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    with zipfile.ZipFile(io.BytesIO(ANATOMY)) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    # A media list naming a path that leaves the deck's folder.
    escaping = rezip({**entries, "media": json.dumps({"0": "../../evil.png"}).encode()})
    reply = await upload(fake, server, "anatomy.apkg", escaping)
    assert "a path outside the deck's folder" in reply["content"]
    # A picture that unpacks like a zip bomb: 20 MiB of zeros after a PNG header.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", entries["collection.anki2"])
        archive.writestr("media", json.dumps({"0": "heart.png"}))
        with archive.open("0", "w", force_zip64=True) as picture:
            picture.write(PNG)
            for _ in range(20):
                picture.write(bytes(1024 * 1024))
    reply = await upload(fake, server, "anatomy.apkg", bomb.getvalue())
    assert "unpacks like a zip bomb" in reply["content"]
    # A deck zip with an entry outside its folder.
    sneaky = rezip({"anatomy.yaml": b"id: anatomy\n", "../anatomy.media/x.png": PNG})
    reply = await upload(fake, server, "anatomy.zip", sneaky)
    assert "a path outside the deck's folder" in reply["content"]
    assert deck_rows(runner) == []
    assert media_rows(runner) == []


async def test_a_picture_that_cannot_be_stored_leaves_no_deck_behind(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    with engines.inserts_refused(target(runner), "server_deck_media"):
        reply = await upload(fake, server, "anatomy.apkg", ANATOMY)
    assert "anatomy" not in str(reply.get("embeds"))
    # The deck was written in the same transaction as its pictures: neither is stored.
    assert deck_rows(runner) == []
    assert media_rows(runner) == []
    listed = await run(fake, "decks list", {}, server.alice, server.channel)
    assert all("`anatomy`" not in f["value"] for f in listed["embeds"][0]["fields"])


async def test_a_deck_with_pictures_exports_as_a_zip_that_imports_back_the_same(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await upload(fake, server, "anatomy.apkg", ANATOMY)
    exported = await run(fake, "decks export", {"deck": "anatomy"}, server.bob, server.channel)
    assert exported["content"] == (
        "`anatomy`: 3 cards and 2 pictures: the deck file and its media folder in a zip. "
        "`/decks import` takes it back as it is."
    )
    [attachment] = exported["attachments"]
    assert attachment["filename"] == "anatomy.zip"
    data = fake.attachment_data(attachment)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "anatomy.media/heart.png",
            "anatomy.media/valve.gif",
            "anatomy.yaml",
        ]
        assert archive.read("anatomy.media/heart.png") == PNG
        first_yaml = archive.read("anatomy.yaml")
    assert runner.db is not None
    [before] = (await runner.db.decks.versioned(server.guild.id))[1]

    reply = await upload(fake, server, "anatomy.zip", data, id="anatomy-2")
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Pictures"] == "2 imported, 0 left out"
    stored = {row.deck_id: row for row in (await runner.db.decks.versioned(server.guild.id))[1]}
    copy = json.loads(stored["anatomy-2"].deck_json)
    assert copy["cards"] == json.loads(before.deck_json)["cards"]
    assert [row[1:] for row in media_rows(runner) if row[1] == "anatomy-2"] == [
        ("anatomy-2", "heart.png", "png", len(PNG)),
        ("anatomy-2", "valve.gif", "gif", len(GIF)),
    ]
    again = await run(fake, "decks export", {"deck": "anatomy-2"}, server.bob, server.channel)
    with zipfile.ZipFile(io.BytesIO(fake.attachment_data(again["attachments"][0]))) as archive:
        assert archive.read("anatomy-2.media/valve.gif") == GIF
        assert archive.read("anatomy-2.yaml") == first_yaml.replace(
            b"id: anatomy\n", b"id: anatomy-2\n"
        )


async def test_a_package_may_be_as_big_as_discord_lets_members_upload(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    photo = PNG + random.Random(7).randbytes(3 * 1024 * 1024)
    package = collection(
        [Typed(FRONT_BACK, ['Which organ? <img src="lung.png">', "Lung"], "Anatomy")],
        {"lung.png": photo},
    )
    assert len(package) > 3 * 1024 * 1024  # over the 2 MiB a deck file without pictures may be
    reply = await upload(fake, server, "anatomy.apkg", package)
    assert reply["embeds"][0]["title"] == "Imported: Anatomy"
    assert [row[2:] for row in media_rows(runner)] == [("lung.png", "png", len(photo))]
    seen = await flashcards(fake, server, "anatomy", 1)
    assert seen["**Which organ?**"] == ("lung.png", photo)
    text = await upload(fake, server, "words.csv", b"a,b\n" * (3 * 1024 * 1024 // 4))
    assert text["content"] == (
        "`words.csv` was not imported: it is 3 MiB; a deck file may be at most 2 MiB."
    )


async def test_a_picture_of_a_card_skipped_as_a_repeat_is_neither_stored_nor_counted(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    package = collection(
        [
            Typed(FRONT_BACK, ["Show the valve", '<img src="valve.gif">'], "Anatomy"),
            Typed(FRONT_BACK, ["Show the valve", '<img src="heart.png">'], "Anatomy"),
        ],
        {"heart.png": PNG, "valve.gif": GIF},
    )
    reply = await upload(fake, server, "anatomy.apkg", package)
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Skipped (1)"] == "repeats an earlier card: 1 (note 2 (same as note 1))"
    assert fields["Pictures"] == "1 imported, 0 left out"
    assert [row[2] for row in media_rows(runner)] == ["valve.gif"]


async def test_markdown_uploaded_alone_says_why_its_linked_pictures_are_left_out(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    notes = b"# Anatomy\n\nWhich chamber? ![](heart.png)::Left ventricle\n\nApex?::At the bottom\n"
    reply = await upload(fake, server, "anatomy.md", notes)
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Pictures"] == (
        "0 imported, 1 left out\npicture is beside the file, and an upload brings only the "
        "file (a deck \\`.zip\\` brings its pictures): 1 (line 3 (heart.png))"
    )
    assert media_rows(runner) == []
