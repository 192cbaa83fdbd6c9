"""/decks import, export and remove through the loopback Discord API, file attachments included."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.decks import parse_deck, parse_deck_mapping
from bot.storage.server_decks import ServerDeck, deck_to_json
from tests.conftest import StudyServer
from tests.fakediscord import Channel, FakeDiscord, Member
from tests.harness import BotRunner
from tests.helpers.database import answers_of, server_decks
from tests.importers.builders import (
    Note,
    Package,
    altered,
    apkg,
    collection_of,
    identical_notes,
    rezip,
)

QUIZLET = (
    "ephemeral\tlasting a very short time\n"
    'ubiquitous\t"present, appearing, or found everywhere"\n'
    '"sesquipedalian"\t"given to using long words;\ncharacterised by long words"\n'
    "laconic\tusing very few words\n"
    "laconic!\tusing very few words\n"
)
FRONTS = {"ephemeral", "ubiquitous", "sesquipedalian", "laconic"}
STRING, BOOLEAN, ATTACHMENT = 3, 5, 11  # Discord's option types
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CARD = {"front": "q", "back": "a"}


@dataclass
class OtherServer:
    channel: Channel
    member: Member


@pytest.fixture
def other(fake: FakeDiscord, server: StudyServer) -> OtherServer:
    guild = fake.add_guild("Elsewhere")
    channel = fake.add_text_channel(guild.id, "general")
    return OtherServer(channel, fake.add_member(guild.id, "carol"))


async def run(
    fake: FakeDiscord, command: str, options: dict[str, Any], user: Member, channel: Channel
) -> dict[str, Any]:
    it = await fake.invoke_slash(command, options, user=user, channel=channel)
    await it.wait_final()
    assert it.message is not None and it.ephemeral
    return it.message


async def upload(
    fake: FakeDiscord,
    server: StudyServer,
    filename: str,
    data: bytes,
    user: Member | None = None,
    **options: Any,
) -> dict[str, Any]:
    file = fake.upload(filename, data)
    return await run(
        fake, "decks import", {"file": file, **options}, user or server.admin, server.channel
    )


async def deck_choices(fake: FakeDiscord, user: Member, channel: Channel, typed: str) -> list[str]:
    choices = await fake.autocomplete(
        "decks info", {"deck": typed}, focused="deck", user=user, channel=channel
    )
    return [choice["value"] for choice in choices]


async def test_an_imported_deck_is_seen_in_its_server_only(
    fake: FakeDiscord, server: StudyServer, other: OtherServer, runner: BotRunner
) -> None:
    reply = await upload(fake, server, "GRE words.txt", QUIZLET.encode())
    embed = reply["embeds"][0]
    assert embed["title"] == "Imported: GRE words"
    assert embed["description"] == (
        "`gre-words` · 4 cards imported, 1 skipped (read as TSV)\n"
        "Study it with `/quiz deck:gre-words`; only this server sees it."
    )
    assert embed["fields"] == [
        {"name": "Title", "value": '"GRE words" (the file\'s name)', "inline": False},
        {"name": "Topics (0)", "value": "none", "inline": False},
        {
            "name": "Skipped (1)",
            "value": "repeats an earlier card: 1 (line 6 (same as line 5))",
            "inline": False,
        },
        {"name": "Pictures", "value": "none", "inline": False},
    ]
    assert reply["attachments"] == []

    listed = await run(fake, "decks list", {}, server.alice, server.channel)
    values = [f["value"] for f in listed["embeds"][0]["fields"]]
    assert "`gre-words` · 4 cards · this server's own deck\nno topics" in values
    elsewhere = await run(fake, "decks list", {}, other.member, other.channel)
    assert all("gre-words" not in f["value"] for f in elsewhere["embeds"][0]["fields"])

    assert await deck_choices(fake, server.alice, server.channel, "gre") == ["gre-words"]
    assert "gre-words" not in await deck_choices(fake, other.member, other.channel, "gre")

    quiz = await run(
        fake, "quiz", {"deck": "gre-words", "mode": "flashcard"}, server.alice, server.channel
    )
    front = quiz["embeds"][0]["description"].split("\n")[0].strip("*")
    assert front in FRONTS
    refused = await run(fake, "quiz", {"deck": "gre-words"}, other.member, other.channel)
    assert refused["content"].startswith("There is no deck called `gre-words`.")


async def test_only_members_with_manage_server_import_or_remove_in_a_server(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    reply = await upload(fake, server, "x.csv", b"a,b\n", user=server.alice)
    assert reply["content"] == "You need the manage server permission to use this command."
    reply = await run(fake, "decks remove", {"deck": "x"}, server.alice, server.channel)
    assert reply["content"] == "You need the manage server permission to use this command."
    file = fake.upload("x.csv", b"a,b\n")
    dm = fake.open_dm(server.admin)
    reply = await run(fake, "decks import", {"file": file}, server.admin, dm)
    assert reply["content"] == "This command works in servers only."
    assert runner.db is not None and await server_decks(runner.db, server.guild.id) == []


async def test_a_broken_file_lists_its_problems_and_stores_nothing(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    reply = await upload(fake, server, "broken.tsv", b"a\tb\nno tab\nc\td\n\xff\tbad\n")
    assert reply["content"] == (
        "`broken.tsv` was not imported: it is not UTF-8 text (byte 0xff on line 4). "
        "Save it as UTF-8 and try again."
    )
    reply = await upload(fake, server, "broken.tsv", b"a\tb\nno tab\nc\td\nnor here\n")
    assert reply["content"] == (
        "`broken.tsv` was not imported:\n"
        "- line 2: no tab between front and back (a card whose text spans lines needs it in "
        "double quotes)\n"
        "- line 4: no tab between front and back (a card whose text spans lines needs it in "
        "double quotes)"
    )
    reply = await upload(fake, server, "deck.apkg", b"not a zip")
    assert reply["content"] == (
        "`deck.apkg` was not imported: it is not a zip archive, so not an Anki package."
    )
    assert runner.db is not None and await server_decks(runner.db, server.guild.id) == []


async def test_hostile_anki_packages_get_a_polite_refusal_and_store_nothing(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    endless = altered(
        collection_of(apkg(Package("Loop", [Note("q", "a")]))),
        "DROP TABLE notes",
        "CREATE VIEW notes AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
        "SELECT i AS id, '' AS flds, '' AS tags FROM r WHERE i < 0",
    )
    reply = await upload(fake, server, "loop.apkg", rezip({"collection.anki2": endless}))
    assert reply["content"] == (
        "`loop.apkg` was not imported: the database inside is not an Anki collection "
        "(it defines the view `notes`)."
    )
    reply = await upload(fake, server, "copies.apkg", identical_notes(50_001))
    assert reply["content"] == (
        "`copies.apkg` was not imported: it holds more than 50,000 notes, more than an import "
        "reads. Export a smaller deck from Anki."
    )
    assert runner.db is not None and await server_decks(runner.db, server.guild.id) == []


async def test_imports_sent_at_once_are_read_in_turn_and_all_answered(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    package = apkg(Package("Capitals", [Note("France", "Paris"), Note("Peru", "Lima")]))
    replies = await asyncio.gather(
        *(upload(fake, server, f"deck{n}.apkg", package, id=f"deck-{n}") for n in range(3))
    )
    assert [reply["embeds"][0]["title"] for reply in replies] == ["Imported: Capitals"] * 3
    assert runner.db is not None
    assert sorted(d.deck_id for d in await server_decks(runner.db, server.guild.id)) == [
        "deck-0",
        "deck-1",
        "deck-2",
    ]


async def test_many_skipped_rows_are_counted_by_reason_in_one_field(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    rows = "".join(f"front {n},\n" for n in range(300)) + "kept,card\n"
    reply = await upload(fake, server, "sparse.csv", rows.encode())
    fields = {field["name"]: field["value"] for field in reply["embeds"][0]["fields"]}
    assert fields["Skipped (300)"] == "empty back: 300 (line 1, line 2, line 3, …)"
    assert reply["attachments"] == []


async def test_a_summary_too_long_for_an_embed_comes_whole_as_a_text_file(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    rows = "front\tback\ttopic\n" + "".join(
        f"card {n}\tback {n}\ttopic number {n}\n" for n in range(200)
    )
    reply = await upload(fake, server, "wide.tsv", rows.encode())
    embed = reply["embeds"][0]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    topics = fields["Topics (200)"].split("\n")
    assert topics[0] == "topic number 0: 1 card"
    assert topics[-1] == f"…and {200 - len(topics) + 1} more (see the attached file)"
    assert len(fields["Topics (200)"]) <= 1024
    assert embed["footer"]["text"] == "The whole summary is in import-summary.txt."
    [attachment] = reply["attachments"]
    assert attachment["filename"] == "import-summary.txt"
    text = fake.attachment_data(attachment).decode("utf-8")
    assert text.startswith("200 cards imported, none skipped (read as TSV)\n")
    assert "  topic number 199: 1 card\n" in text


async def test_a_too_large_or_unknown_file_is_refused_before_downloading(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    reply = await upload(fake, server, "big.csv", b"a,b\n" * (600 * 1024))
    assert reply["content"] == (
        "`big.csv` was not imported: it is 2.3 MiB; a deck file may be at most 2 MiB."
    )
    reply = await upload(fake, server, "deck.xlsx", b"PK")
    assert reply["content"].startswith("`deck.xlsx` was not imported: files named '.xlsx'")


async def test_an_anki_package_imports_and_exports_as_yaml(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    notes = [
        Note("<b>France</b>", "Paris", ["europe"]),
        Note("Peru", "Lima<br>(on the coast)", ["americas"]),
        Note("Japan", "Tokyo", ["asia"]),
        Note("Spain", "Madrid", ["europe"]),
        Note("Chile", "Santiago", ["americas"]),
        Note("China", "Beijing", ["asia"]),
    ]
    data = apkg(Package("World::Capitals", notes))
    reply = await upload(fake, server, "capitals.apkg", data, id="capitals", title="Capitals")
    assert reply["embeds"][0]["title"] == "Imported: Capitals"
    fields = {field["name"]: field["value"] for field in reply["embeds"][0]["fields"]}
    assert fields["Topics (3)"] == "europe: 2 cards\namericas: 2 cards\nasia: 2 cards"
    assert fields["Title"] == '"Capitals" (given with the import)'

    exported = await run(fake, "decks export", {"deck": "capitals"}, server.bob, server.channel)
    assert exported["content"] == "`capitals`: 6 cards, in the deck file format."
    [attachment] = exported["attachments"]
    assert attachment["filename"] == "capitals.yaml"
    deck = parse_deck(fake.attachment_data(attachment).decode(), filename="capitals.yaml")
    assert (deck.id, deck.title, deck.topics) == (
        "capitals",
        "Capitals",
        ("europe", "americas", "asia"),
    )
    assert [(c.front, c.back) for c in deck.cards][:3] == [
        ("France", "Paris"),
        ("Peru", "Lima\n(on the coast)"),
        ("Japan", "Tokyo"),
    ]


async def test_export_gives_back_every_character_and_a_lone_surrogate_is_refused(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    cards = [
        ("next\x85line", "line\u2028separator"),
        ("paragraph\u2029separator", "byte order\ufeffmark"),
        ("a\ttab", "several\nlines\x85and NEL"),
    ]
    rows = "".join(f'"{front}","{back}"\n' for front, back in cards)
    reply = await upload(fake, server, "tricky.csv", rows.encode(), id="tricky")
    assert reply["embeds"][0]["title"] == "Imported: tricky"
    exported = await run(fake, "decks export", {"deck": "tricky"}, server.bob, server.channel)
    [attachment] = exported["attachments"]
    text = fake.attachment_data(attachment).decode("utf-8")
    deck = parse_deck(text, filename="tricky.yaml", expected_id="tricky")
    assert [(c.front, c.back) for c in deck.cards] == cards

    reply = await upload(fake, server, "other.csv", b"q,a\n", title="half \ud83d")
    assert reply["content"] == (
        "`other.csv` was not imported: field 'title': holds a lone surrogate (U+D83D), half of "
        "a character, which cannot be stored as text"
    )


async def test_the_same_id_needs_replace_and_a_server_deck_may_shadow_a_shipped_one(
    fake: FakeDiscord, server: StudyServer, other: OtherServer, runner: BotRunner
) -> None:
    shipped = "aws-mla-c01-deployment"
    reply = await upload(fake, server, "mine.csv", b"q1,a1\nq2,a2\n", id=shipped)
    assert f"takes the place of the shipped deck `{shipped}`" in reply["embeds"][0]["description"]
    info = await run(fake, "decks info", {"deck": shipped}, server.alice, server.channel)
    assert info["embeds"][0]["fields"][0]["name"] == "Topics (2 cards)"
    info = await run(fake, "decks info", {"deck": shipped}, other.member, other.channel)
    assert info["embeds"][0]["fields"][0]["name"] == "Topics (39 cards)"

    reply = await upload(fake, server, "mine.csv", b"q1,a1\nq2,a2\nq3,a3\n", id=shipped)
    assert reply["content"].startswith(f"This server already has a deck `{shipped}`.")
    reply = await upload(
        fake, server, "mine.csv", b"q1,a1\nq2,a2\nq3,a3\n", id=shipped, replace=True
    )
    assert "It replaces this server's earlier deck" in reply["embeds"][0]["description"]
    info = await run(fake, "decks info", {"deck": shipped}, server.alice, server.channel)
    assert info["embeds"][0]["fields"][0]["name"] == "Topics (3 cards)"


async def test_a_server_holds_at_most_fifty_decks(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    assert runner.db is not None
    await runner.db.members.upsert_guild(server.guild.id, "Study Hall", NOW)
    for n in range(49):  # stored directly: importing each through Discord adds nothing
        deck = parse_deck_mapping(
            {"id": f"deck-{n}", "title": "t", "description": "d", "cards": [CARD]}, filename="x"
        )
        row = ServerDeck(server.guild.id, deck.id, "t", 1, deck_to_json(deck), "x.csv", 1, NOW)
        await runner.db.decks.save(row, replace=False, max_decks=50)
    reply = await upload(fake, server, "fiftieth.csv", b"q,a\n")
    assert reply["embeds"][0]["title"] == "Imported: fiftieth"
    reply = await upload(fake, server, "one more.csv", b"q,a\n")
    assert reply["content"] == (
        "This server already has 50 decks, the most it can have. "
        "Remove one with `/decks remove` first."
    )
    assert len(await server_decks(runner.db, server.guild.id)) == 50


async def test_a_stored_deck_that_no_longer_validates_is_left_out_and_logged(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert runner.db is not None
    await runner.db.members.upsert_guild(server.guild.id, "Study Hall", NOW)
    good = parse_deck_mapping(
        {"id": "good", "title": "Good", "description": "d", "cards": [CARD]}, filename="x"
    )
    for deck_id, text in (("good", deck_to_json(good)), ("bad", '{"id": "bad"}')):
        row = ServerDeck(server.guild.id, deck_id, deck_id, 1, text, "x.csv", 1, NOW)
        await runner.db.decks.save(row, replace=False, max_decks=50)
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        listed = await run(fake, "decks list", {}, server.alice, server.channel)
    values = [f["value"] for f in listed["embeds"][0]["fields"]]
    assert any(v.startswith("`good` · 1 card ·") for v in values)
    assert all("`bad`" not in v for v in values)
    assert any("deck bad skipped" in r.getMessage() for r in caplog.records)


async def test_remove_asks_first_and_keeps_the_answers(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await upload(fake, server, "words.csv", b"one,1\ntwo,2\n")
    quiz = await run(
        fake, "quiz", {"deck": "words", "mode": "flashcard"}, server.alice, server.channel
    )
    shown = await fake.click(quiz, "Show answer", user=server.alice)
    await shown.wait_response()
    graded = await fake.click(shown.message, "Good", user=server.alice)
    await graded.wait_response()
    assert runner.db is not None
    assert [a.deck_id for a in answers_of(runner.db, server.alice.id)] == ["words"]

    choices = await fake.autocomplete(
        "decks remove", {"deck": ""}, focused="deck", user=server.admin, channel=server.channel
    )
    assert [c["value"] for c in choices] == ["words"]
    ask = await run(fake, "decks remove", {"deck": "words"}, server.admin, server.channel)
    assert ask["content"] == (
        "Remove **words** (`words`, 2 cards) from this server? Answers given to it stay in "
        "everyone's stats."
    )
    kept = await fake.click(ask, "Keep it", user=server.admin)
    await kept.wait_response()
    assert kept.message["content"] == "Kept `words`."
    assert len(await server_decks(runner.db, server.guild.id)) == 1

    ask = await run(fake, "decks remove", {"deck": "words"}, server.admin, server.channel)
    removed = await fake.click(ask, "Remove", user=server.admin)
    await removed.wait_response()
    assert removed.message["content"].startswith("Removed `words` from this server.")
    assert removed.message["components"] == []
    assert await server_decks(runner.db, server.guild.id) == []
    assert [a.deck_id for a in answers_of(runner.db, server.alice.id)] == ["words"]
    listed = await run(fake, "decks list", {}, server.alice, server.channel)
    assert all("`words`" not in f["value"] for f in listed["embeds"][0]["fields"])

    shipped = await run(
        fake, "decks remove", {"deck": "aws-mla-c01-deployment"}, server.admin, server.channel
    )
    assert shipped["content"] == (
        "`aws-mla-c01-deployment` comes with the bot; only decks imported into this server "
        "can be removed."
    )


async def test_a_confirm_click_checks_the_permission_again(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await upload(fake, server, "words.csv", b"one,1\ntwo,2\n")
    ask = await run(fake, "decks remove", {"deck": "words"}, server.admin, server.channel)
    forged = await fake.click(ask, "Remove", user=server.alice, forged=True)
    await forged.wait_response()
    assert forged.message["content"] == (
        "You need the manage server permission to use this command."
    )
    assert runner.db is not None and len(await server_decks(runner.db, server.guild.id)) == 1


async def test_the_import_command_declares_a_required_attachment(
    fake: FakeDiscord, runner: BotRunner
) -> None:
    decks = next(c for c in fake.commands() if c["name"] == "decks")
    command = next(o for o in decks["options"] if o["name"] == "import")
    options = {o["name"]: (o["type"], o.get("required", False)) for o in command["options"]}
    assert options == {
        "file": (ATTACHMENT, True),
        "id": (STRING, False),
        "title": (STRING, False),
        "replace": (BOOLEAN, False),
        "deck": (STRING, False),
    }


async def test_imported_decks_are_loaded_at_start_before_anyone_asks(
    fake: FakeDiscord, server: StudyServer, other: OtherServer, runner: BotRunner
) -> None:
    await upload(fake, server, "GRE words.txt", QUIZLET.encode())
    bot = await runner.restart()
    assert bot.warming is not None
    await bot.warming
    warmed = bot.catalogs.cached()
    assert list(warmed) == [server.guild.id]
    assert "gre-words" in warmed[server.guild.id].decks


async def test_one_deck_of_a_collection_is_imported_and_the_summary_says_why_and_what_of_pictures(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    from tests.importers.builders import FRONT_BACK, PNG, Typed, collection

    notes = [
        Typed(FRONT_BACK, ["buenos días", "good morning"], "Languages::Spanish"),
        Typed(FRONT_BACK, ['¡hola! <img src="wave.png">', "hello, waving"], "Languages::Spanish"),
        Typed(FRONT_BACK, ["bonjour", "hello"], "Languages::French"),
    ]
    data = collection(notes, {"wave.png": PNG})
    reply = await upload(fake, server, "languages.colpkg", data, deck="languages::spanish")
    embed = reply["embeds"][0]
    assert embed["title"] == "Imported: Languages::Spanish"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Title"] == '"Languages::Spanish" (the deck chosen)'
    # The server deck keeps the picture, stored with it in the database.
    assert fields["Pictures"] == "1 imported, 0 left out"
    assert "2 cards" in embed["description"]
