"""A deck with its pictures as one zip: `python -m bot decks export` writes it, and
`decks import` reads it back to the same deck; a hostile zip is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.decks import deck_to_yaml, load_deck_file
from bot.importers import SERVER_LIMITS, DeckImportError, import_deck
from tests.importers.builders import GIF, PNG, rezip

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
    accept: [LV]
    explanation: The thick wall.
  - front: Show the aortic valve
    back_image: valve.gif
    topic: heart
  - id: apex
    front: Where is the apex?
    back: At the bottom
"""


@pytest.fixture
def decks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    folder = tmp_path / "decks"
    (folder / "anatomy.media").mkdir(parents=True)
    (folder / "anatomy.yaml").write_text(DECK)
    (folder / "anatomy.media" / "heart.png").write_bytes(PNG)
    (folder / "anatomy.media" / "valve.gif").write_bytes(GIF)
    monkeypatch.setenv("DECKS_DIR", str(folder))
    return folder


def test_export_then_import_gives_the_same_cards_and_pictures(
    decks_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["decks", "export", "anatomy"]) == 0
    assert capsys.readouterr().out == "wrote anatomy.zip: 3 cards, 2 pictures\n"
    exported = tmp_path / "anatomy.zip"
    with zipfile.ZipFile(exported) as archive:
        assert sorted(archive.namelist()) == [
            "anatomy.media/heart.png",
            "anatomy.media/valve.gif",
            "anatomy.yaml",
        ]
    # A second export never overwrites the first unasked.
    assert main(["decks", "export", "anatomy"]) == 1
    assert "already exists" in capsys.readouterr().err

    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("DECKS_DIR", str(elsewhere))
    assert main(["decks", "import", str(exported)]) == 0
    out = capsys.readouterr().out
    assert "3 cards imported, none skipped (read as deck file with its pictures)" in out
    assert "Pictures: 2 imported, 0 left out" in out
    original = load_deck_file(decks_dir / "anatomy.yaml")
    copy = load_deck_file(elsewhere / "anatomy.yaml")
    assert copy.cards == original.cards
    assert deck_to_yaml(copy) == deck_to_yaml(original)
    assert (elsewhere / "anatomy.media" / "heart.png").read_bytes() == PNG
    assert (elsewhere / "anatomy.media" / "valve.gif").read_bytes() == GIF


def test_a_deck_without_pictures_exports_as_plain_yaml(
    decks_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (decks_dir / "words.yaml").write_text(
        "id: words\ntitle: Words\ndescription: d\ntopics: []\ncards:\n  - front: a\n    back: b\n"
    )
    assert main(["decks", "export", "words", "--out", str(tmp_path / "w.yaml")]) == 0
    assert (tmp_path / "w.yaml").read_text() == (decks_dir / "words.yaml").read_text()
    assert main(["decks", "export", "nothing"]) == 1
    assert "has no deck 'nothing'" in capsys.readouterr().err


def zipped(entries: dict[str, bytes]) -> bytes:
    return rezip(entries)


def test_pictures_that_are_no_pictures_or_missing_are_left_out_with_their_cards(
    tmp_path: Path,
) -> None:
    data = zipped(
        {
            "anatomy.yaml": DECK.encode(),
            "anatomy.media/heart.png": b"<html>not a picture</html>",
            "notes.txt": b"hello",
        }
    )
    result = import_deck(data, "anatomy.zip", limits=SERVER_LIMITS, media_dir=tmp_path)
    # The heart card keeps its text; the valve card was only its missing picture.
    assert [c.front for c in result.deck.cards] == [
        "Which chamber is marked?",
        "Where is the apex?",
    ]
    assert result.deck.cards[0].front_image is None
    assert [g.line() for g in result.summary.pictures_left_out] == [
        "picture is not a PNG, JPEG, GIF or WebP picture: 1 (picture heart.png (heart.png))",
        "picture is not in the zip: 1 (picture valve.gif (valve.gif))",
    ]
    assert [g.line() for g in result.summary.skipped] == [
        "its back is only a picture, which was left out: 1 (card 2)"
    ]
    assert result.summary.notes == (
        "1 other file was left out: only the deck file and pictures in its `anatomy.media` "
        "folder are read.",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            {"anatomy.yaml": DECK.encode(), "anatomy.media/../../x.png": PNG},
            "it holds `anatomy.media/../../x.png`, a path outside the deck's folder",
        ),
        ({"a.yaml": DECK.encode(), "b.yaml": DECK.encode()}, "it holds several deck files"),
        ({"anatomy.media/heart.png": PNG}, "it holds no deck file"),
        ({"anatomy.yaml": b"id: [unclosed\n"}, "invalid YAML at line 2"),
    ],
)
def test_a_zip_that_is_not_an_exported_deck_is_refused(
    tmp_path: Path, entries: dict[str, bytes], message: str
) -> None:
    with pytest.raises(DeckImportError) as raised:
        import_deck(zipped(entries), "anatomy.zip", limits=SERVER_LIMITS, media_dir=tmp_path)
    assert message in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_picture_unpacking_like_a_zip_bomb_refuses_the_zip(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("anatomy.yaml", DECK)
        with archive.open("anatomy.media/heart.png", "w", force_zip64=True) as picture:
            picture.write(PNG)
            for _ in range(20):
                picture.write(bytes(1024 * 1024))
    with pytest.raises(DeckImportError) as raised:
        import_deck(out.getvalue(), "anatomy.zip", limits=SERVER_LIMITS, media_dir=tmp_path)
    assert "its picture `heart.png` unpacks like a zip bomb" in str(raised.value)
    assert list(tmp_path.iterdir()) == []
