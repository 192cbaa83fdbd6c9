"""Anki collections as people export them: several decks and note types, and pictures."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from bot.domain.decks import load_deck_file
from bot.importers import CLI_LIMITS, SERVER_LIMITS, DeckImportError, ImportResult, import_deck
from bot.importers.anki_notes import OCCLUSION_REASON
from tests.importers.builders import (
    CLOZE,
    FRONT_BACK,
    GIF,
    OCCLUSION,
    ONE_FIELD,
    PNG,
    TYPE_IN,
    Typed,
    collection,
    collection_of,
    newer_media,
    rezip,
    with_media,
    with_notetype_tables,
)

BME = [
    Typed(FRONT_BACK, ["alpha waves", "8-12 Hz"], "BME::EEG", ["rhythms"]),
    Typed(FRONT_BACK, ["beta waves", "13-30 Hz"], "BME::EEG", ["rhythms", "marked"]),
    Typed(TYPE_IN, ["see lecture 3", "Unit of resistance", "ohm"], "BME::Circuits", ["-"]),
    Typed(
        CLOZE,
        ["{{c1::Ohm}}'s law: {{c2::V = IR::formula}}", "Georg Ohm, 1827"],
        "BME::Circuits",
        ["leech"],
    ),
    Typed(
        OCCLUSION,
        ["464ff7a0b2c34e1f9a0d7e6c5b4a3f21-ao-1", "Heart", '<img src="heart.png">', "", "", ""],
        "BME::Anatomy",
    ),
    Typed(FRONT_BACK, ['<img src="my%20heart.png">', "the heart"], "BME::Anatomy"),
    Typed(FRONT_BACK, ["Which wave is this?", '<img src="wave.gif">'], "BME::EEG"),
]


def imported(data: bytes, filename: str = "bme.apkg", **options: object) -> ImportResult:
    return import_deck(data, filename, limits=CLI_LIMITS, **options)  # type: ignore[arg-type]


def test_a_collection_reads_each_note_type_by_its_fields_and_subdecks_become_topics(
    tmp_path: Path,
) -> None:
    package = collection(BME, {"my heart.png": PNG, "wave.gif": GIF})
    result = imported(package, media_dir=tmp_path)
    deck = result.deck
    assert deck.title == "BME"
    assert result.summary.title_reason == "the parent deck its 3 decks share"
    assert [(c.front, c.back, c.topic) for c in deck.cards] == [
        # genanki writes the notes deck by deck.
        ("alpha waves", "8-12 Hz", "EEG"),
        ("beta waves", "13-30 Hz", "EEG"),
        ("Which wave is this?", "(picture)", "EEG"),
        # "Type in the answer" whose first field is a note: the fields named Front and Back.
        ("Unit of resistance", "ohm", "Circuits"),
        # One card per cloze deletion; the other shown, a hint as [hint].
        ("[...]'s law: V = IR", "Ohm", "Circuits"),
        ("Ohm's law: [formula]", "V = IR", "Circuits"),
        ("(picture)", "the heart", "Anatomy"),
    ]
    assert deck.cards[4].explanation == "Georg Ohm, 1827"
    # Names are kept plain: "my heart.png" (written my%20heart.png in the HTML) is my-heart.png.
    assert (deck.cards[6].front_image, deck.cards[2].back_image) == ("my-heart.png", "wave.gif")
    assert deck.cards[2].picture_answer and not deck.cards[6].picture_answer
    assert [str(s) for s in result.skipped] == [f"note 6: {OCCLUSION_REASON}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-heart.png", "wave.gif"]
    assert (tmp_path / "my-heart.png").read_bytes() == PNG
    assert result.summary.pictures == 2 and not result.summary.pictures_left_out


def test_note_types_of_the_newer_schema_are_read_by_their_fields_names(tmp_path: Path) -> None:
    result = imported(with_notetype_tables(collection(BME)), deck="BME::Circuits")
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("Unit of resistance", "ohm"),
        ("[...]'s law: V = IR", "Ohm"),
        ("Ohm's law: [formula]", "V = IR"),
    ]
    package = with_notetype_tables(collection(BME, {"my heart.png": PNG}))
    occlusion = imported(package, deck="BME::Anatomy", media_dir=tmp_path)
    assert [str(s) for s in occlusion.skipped] == [f"note 6: {OCCLUSION_REASON}"]
    assert [c.front_image for c in occlusion.deck.cards] == ["my-heart.png"]


def test_a_huge_media_list_is_refused() -> None:
    listed = b"{" + b" " * (17 * 1024 * 1024) + b"}"
    with pytest.raises(DeckImportError) as raised:
        imported(with_media(collection(BME), listed, {}))
    assert str(raised.value) == (
        "`bme.apkg` was not imported: its media list is larger than any Anki writes."
    )


def test_newer_packages_zstd_compressed_media_are_read(tmp_path: Path) -> None:
    package = newer_media(collection(BME, {"my heart.png": PNG, "wave.gif": GIF}))
    result = imported(package, media_dir=tmp_path)
    assert result.summary.pictures == 2
    assert (tmp_path / "wave.gif").read_bytes() == GIF


def test_one_deck_of_a_collection_is_imported_by_name() -> None:
    result = imported(collection(BME), deck="bme::eeg")
    assert result.deck.title == "BME::EEG" and result.summary.title_reason == "the deck chosen"
    assert [c.front for c in result.deck.cards] == ["alpha waves", "beta waves"]
    # The wave picture is not in this package: its card is left out, and said so.
    assert [str(s) for s in result.skipped] == [
        "note 3: its back is only a picture, which was left out"
    ]
    with pytest.raises(DeckImportError) as raised:
        imported(collection(BME), deck="Chemistry")
    assert str(raised.value) == (
        "`bme.apkg` was not imported: it has no deck named `Chemistry`; its decks are "
        "`BME::Anatomy`, `BME::Circuits`, `BME::EEG`."
    )


def test_decks_without_a_common_parent_take_the_file_name() -> None:
    notes = [
        Typed(FRONT_BACK, ["hola", "hello"], "Spanish", ["greetings"]),
        Typed(FRONT_BACK, ["adiós", "goodbye"], "Spanish", ["greetings"]),
        Typed(FRONT_BACK, ["murmur", "abnormal heart sound"], "Old Decks::Board Review 2023"),
    ]
    result = imported(collection(notes), "my_collection.colpkg")
    assert result.deck.title == "my collection"
    assert result.summary.title_reason == "the file's name"
    assert result.summary.notes == (
        "The title is the file's name: its 2 decks share no parent deck.",
    )
    assert [c.topic for c in result.deck.cards] == [
        "Spanish",
        "Spanish",
        "Old Decks › Board Review 2023",
    ]


def test_a_collection_where_no_note_has_two_fields_is_refused_in_one_line() -> None:
    notes = [Typed(ONE_FIELD, [f"word {i}"], "Words") for i in range(100)]
    with pytest.raises(DeckImportError) as raised:
        imported(collection(notes))
    assert raised.value.lines() == [
        "none of its 100 notes has two fields, so none makes a card with a front and a back."
    ]


def test_a_bare_collection_file_is_a_collection() -> None:
    result = import_deck(collection_of(collection(BME)), "collection.anki2", limits=SERVER_LIMITS)
    assert result.deck.title == "BME"
    assert len(result.deck.cards) == 5
    assert [g.line() for g in result.summary.pictures_left_out] == [
        "picture left out: a bare collection holds none: 2 (note 3 (wave.gif), "
        "note 7 (my%20heart.png))"
    ]


def test_pictures_are_checked_by_their_bytes_and_size(tmp_path: Path) -> None:
    notes = [
        Typed(FRONT_BACK, ['<img src="fake.png">', "not a picture"], "Pics"),
        Typed(FRONT_BACK, ['<img src="big.png">', "too big"], "Pics"),
        Typed(FRONT_BACK, ['Caption <img src="drawing.svg">', "a drawing"], "Pics"),
    ]
    big = PNG + bytes(8 * 1024 * 1024)
    package = collection(
        notes, {"fake.png": b"MZ\x90\x00" * 10, "big.png": big, "drawing.svg": b"<svg/>"}
    )
    result = imported(package, media_dir=tmp_path)
    assert [c.front for c in result.deck.cards] == ["Caption"]
    assert [g.line() for g in result.summary.pictures_left_out] == [
        "picture is not a PNG, JPEG, GIF or WebP picture: 2 (note 1 (fake.png), "
        "note 3 (drawing.svg))",
        "picture is over 8 MiB: 1 (note 2 (big.png))",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_media_path_outside_the_folder_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    package = with_media(collection(BME), json.dumps({"0": "../../evil.png"}).encode(), {"0": PNG})
    with pytest.raises(DeckImportError) as raised:
        imported(package, media_dir=tmp_path)
    assert str(raised.value) == (
        "`bme.apkg` was not imported: its media list names `../../evil.png`, a path outside "
        "the deck's folder; Anki never writes one, so the package is refused."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_zip_bomb_among_the_pictures_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", _entries(collection(BME))["collection.anki2"])
        archive.writestr("media", json.dumps({"0": "my heart.png"}))
        # 64 MiB of a PNG header and zeros: deflate packs it a thousand times.
        with archive.open("0", "w", force_zip64=True) as target:
            target.write(PNG)
            for _ in range(64):
                target.write(bytes(1024 * 1024))
    assert len(out.getvalue()) < 200_000
    with pytest.raises(DeckImportError) as raised:
        imported(out.getvalue(), media_dir=tmp_path)
    assert str(raised.value) == (
        "`bme.apkg` was not imported: its picture `my heart.png` unpacks like a zip bomb (far "
        "more than it takes in the package); no real picture does, so the package is refused."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_stored_picture_over_the_cap_is_left_out_not_taken_for_a_bomb(
    tmp_path: Path,
) -> None:
    notes = [Typed(FRONT_BACK, ['<img src="huge.png">', "huge"], "Pics")]
    package = collection(notes, {"huge.png": PNG + bytes(9 * 1024 * 1024)})
    package = rezip(_entries(package), compression=zipfile.ZIP_STORED)
    with pytest.raises(DeckImportError) as raised:
        imported(package, media_dir=tmp_path)
    assert "its front is only a picture, which was left out" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def _entries(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_damaged_media_list_is_refused() -> None:
    package = with_media(collection(BME), b"\x28\xb5\x2f\xfd garbage", {})
    with pytest.raises(DeckImportError) as raised:
        imported(package)
    assert "its media list is damaged" in str(raised.value)


def test_the_cli_writes_pictures_beside_the_deck_and_check_validates_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    decks_dir = tmp_path / "decks"
    monkeypatch.setenv("DECKS_DIR", str(decks_dir))
    source = tmp_path / "bme.apkg"
    source.write_bytes(collection(BME, {"my heart.png": PNG, "wave.gif": GIF}))
    assert main(["decks", "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "Pictures: 2 imported, 0 left out" in out
    assert 'Title: "BME" (the parent deck its 3 decks share)' in out
    deck = load_deck_file(decks_dir / "bme.yaml")
    assert deck.picture(deck.cards[6].front_image) == decks_dir / "bme.media" / "my-heart.png"
    assert sorted(p.name for p in decks_dir.iterdir()) == ["bme.media", "bme.yaml"]
    assert main(["decks", "check", str(decks_dir)]) == 0
    (decks_dir / "bme.media" / "wave.gif").write_bytes(b"<html>")
    assert main(["decks", "check", str(decks_dir)]) == 1
    assert "picture bme.media/wave.gif: not a PNG, JPEG, GIF or WebP file" in (
        capsys.readouterr().out
    )


def test_markdown_image_links_beside_the_file_become_pictures(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    (notes / "img" / "heart.png").write_bytes(PNG)
    (notes / "img" / "notes.txt").write_text("not a picture")
    (tmp_path / "secret.png").write_bytes(PNG)
    source = notes / "anatomy.md"
    source.write_text(
        "# Anatomy\n\n| Front | Back |\n|---|---|\n"
        "| ![heart](img/heart.png) | the heart |\n"
        "| Which file is this? ![[img/notes.txt]] | a text file |\n"
        "| ![up](../secret.png) | escaped |\n"
        "| Logo ![logo](https://example.com/logo.png) | on the web |\n"
    )
    media = tmp_path / "media"
    media.mkdir()
    result = import_deck(source, source.name, limits=CLI_LIMITS, media_dir=media)
    assert [(c.front, c.front_image, c.back) for c in result.deck.cards] == [
        ("(picture)", "heart.png", "the heart"),
        ("Which file is this?", None, "a text file"),
        ("Logo", None, "on the web"),
    ]
    assert [str(s) for s in result.skipped] == [
        "line 7: its front is only a picture, which was left out"
    ]
    assert [g.line() for g in result.summary.pictures_left_out] == [
        "picture is not a PNG, JPEG, GIF or WebP picture: 1 (line 6 (img/notes.txt))",
        "picture is outside the Markdown file's folder: 1 (line 7 (../secret.png))",
        "picture is on the web; only pictures beside the file are kept: 1 "
        "(line 8 (https://example.com/logo.png))",
    ]
    assert [p.name for p in media.iterdir()] == ["heart.png"]
    # Uploaded in Discord, the file has no folder: its pictures are left out, said so.
    uploaded = import_deck(source.read_bytes(), source.name, limits=SERVER_LIMITS)
    assert uploaded.summary.pictures == 0 and uploaded.summary.left_out_count == 4


def test_a_forced_import_replaces_the_media_folder_or_leaves_it_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    decks_dir = tmp_path / "decks"
    monkeypatch.setenv("DECKS_DIR", str(decks_dir))
    source = tmp_path / "bme.apkg"
    source.write_bytes(collection(BME, {"my heart.png": PNG, "wave.gif": GIF}))
    assert main(["decks", "import", str(source)]) == 0
    media = decks_dir / "bme.media"
    # The deck file cannot be replaced (a folder is in its way): the pictures stay as they were.
    (decks_dir / "bme.yaml").unlink()
    (decks_dir / "bme.yaml").mkdir()
    source.write_bytes(collection(BME, {"my heart.png": GIF, "wave.gif": GIF}))
    assert main(["decks", "import", str(source), "--force"]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert (media / "my-heart.png").read_bytes() == PNG
    assert sorted(p.name for p in decks_dir.iterdir()) == ["bme.media", "bme.yaml"]
    (decks_dir / "bme.yaml").rmdir()
    # A forced import whose cards show no picture takes the old folder away.
    source.write_bytes(collection(BME[:2]))
    assert main(["decks", "import", str(source), "--force", "--id", "bme"]) == 0
    assert sorted(p.name for p in decks_dir.iterdir()) == ["bme.yaml"]


def test_a_package_of_too_many_files_is_refused_by_its_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cap is 250,000 entries; a package of a few shows the check with a smaller cap.
    monkeypatch.setattr("bot.importers.anki._MAX_ENTRIES", 2)
    with pytest.raises(DeckImportError) as raised:
        imported(collection(BME, {"my heart.png": PNG, "wave.gif": GIF}))
    assert str(raised.value) == (
        "`bme.apkg` was not imported: it holds 4 files; an Anki package of a deck holds "
        "far fewer than 2."
    )


def test_cloze_deletions_are_found_in_whichever_field_holds_them() -> None:
    notes = [
        Typed(TYPE_IN, ["Anatomy", "The {{c1::heart}} pumps {{c2::blood}}", ""], "Cloze"),
    ]
    result = imported(collection(notes))
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("The [...] pumps blood", "heart"),
        ("The heart pumps [...]", "blood"),
    ]


def test_note_types_are_told_by_their_names_and_fields() -> None:
    from bot.importers.anki_notes import NoteType, tag_topic, topic_tags

    native = NoteType("Image Occlusion", ("Occlusion", "Image", "Header", "Back Extra", "Comments"))
    assert native.occlusion
    assert NoteType("Basic", ("Front", "Back")).sides() == (0, 1)
    assert NoteType("Basic (type in the answer)", ("Notes", "Front", "Back")).sides() == (1, 2)
    assert NoteType("Cloze-like", ("Text", "Back Extra")).sides() == (0, 1)
    assert NoteType("Vocab", ("Word", "Audio", "Meaning")).sides() == (0, 2)
    assert NoteType("Custom", ("Kanji", "Stroke order")).sides() == (0, 1)
    assert NoteType("One", ("Text",)).sides() is None
    tags = [("bio::cells", "leech"), ("bio::cells",), ("once",), ("-", "wichtig"), ("-",)]
    usable = topic_tags(tags)
    assert usable == {"bio::cells": 2}
    assert tag_topic(("once", "bio::cells"), usable) == "bio › cells"
