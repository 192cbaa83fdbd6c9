"""Reversed note types give the cards Anki gives: back to front as well."""

from __future__ import annotations

from pathlib import Path

from bot.importers import CLI_LIMITS, ImportResult, import_deck
from tests.importers.builders import (
    FRONT_BACK,
    OPTIONAL_REVERSED,
    PNG,
    REVERSED,
    Typed,
    collection,
)


def imported(data: bytes, media_dir: Path | None = None) -> ImportResult:
    return import_deck(data, "words.apkg", limits=CLI_LIMITS, media_dir=media_dir)


def test_a_reversed_note_gives_both_cards_and_the_summary_counts_them() -> None:
    package = collection(
        [
            Typed(REVERSED, ["der Hund", "the dog"], "German"),
            Typed(REVERSED, ["die Katze", "the cat"], "German"),
            Typed(FRONT_BACK, ["das Haus", "the house"], "German"),
        ]
    )
    result = imported(package)
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("der Hund", "the dog"),
        ("the dog", "der Hund"),
        ("die Katze", "the cat"),
        ("the cat", "die Katze"),
        ("das Haus", "the house"),
    ]
    assert result.summary.notes == (
        "2 reversed cards were made (back to front), as Anki makes them for notes of a "
        "reversed note type.",
    )
    assert result.summary.headline() == "5 cards imported, none skipped (read as Anki package)"


def test_an_optional_reversed_note_gives_its_reverse_only_when_add_reverse_is_filled() -> None:
    package = collection(
        [
            Typed(OPTIONAL_REVERSED, ["le chien", "the dog", "y"], "French"),
            Typed(OPTIONAL_REVERSED, ["le chat", "the cat", ""], "French"),
            Typed(OPTIONAL_REVERSED, ["la maison", "the house", "<br>"], "French"),
        ]
    )
    result = imported(package)
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("le chien", "the dog"),
        ("the dog", "le chien"),
        ("le chat", "the cat"),
        ("la maison", "the house"),
    ]
    assert result.summary.notes == (
        "1 reversed card was made (back to front), as Anki makes them for notes of a "
        "reversed note type.",
    )


def test_a_reversed_card_asks_with_the_backs_picture(tmp_path: Path) -> None:
    package = collection(
        [Typed(REVERSED, ["Left ventricle", '<img src="heart.png">'], "Anatomy")],
        {"heart.png": PNG},
    )
    result = imported(package, media_dir=tmp_path)
    forward, backward = result.deck.cards
    assert (forward.front, forward.back_image, forward.picture_answer) == (
        "Left ventricle",
        "heart.png",
        True,
    )
    assert (backward.front_image, backward.back) == ("heart.png", "Left ventricle")
    # The picture is copied once, however many cards show it.
    assert result.summary.pictures == 1
    assert [p.name for p in tmp_path.iterdir()] == ["heart.png"]
