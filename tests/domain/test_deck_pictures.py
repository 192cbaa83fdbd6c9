"""Pictures in the deck format: names, picture-only sides, identity and the media folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.decks import (
    PICTURE_ONLY,
    DeckError,
    deck_to_yaml,
    default_card_id,
    load_deck_file,
    parse_deck,
)
from tests.importers.builders import PNG

HEAD = "id: pics\ntitle: Pictures\ndescription: d\ncards:\n"


def test_a_side_may_be_only_a_picture_and_writes_back_the_same() -> None:
    text = HEAD + (
        "  - front: Which chamber?\n    front_image: heart.png\n    back: Left ventricle\n"
        "  - front: Which chamber?\n    front_image: heart-2.jpg\n    back: Right atrium\n"
        "  - front: Show the valve\n    back_image: valve.webp\n"
    )
    deck = parse_deck(text, filename="pics.yaml")
    first, second, third = deck.cards
    # The same words ask about different pictures: different cards, different ids.
    assert first.id == default_card_id("Which chamber?", "heart.png") != second.id
    assert (third.back, third.back_image, third.picture_answer) == (
        PICTURE_ONLY,
        "valve.webp",
        True,
    )
    assert not first.picture_answer
    assert deck_to_yaml(deck) == text.replace("cards:", "topics: []\ncards:")


@pytest.mark.parametrize(
    "name", ["../escape.png", "a/b.png", "picture.svg", "heart.PNG.exe", ".hidden.png"]
)
def test_a_picture_name_must_be_a_plain_picture_file_name(name: str) -> None:
    with pytest.raises(DeckError) as raised:
        parse_deck(HEAD + f"  - front: Q\n    front_image: '{name}'\n    back: A\n", filename="p")
    assert "field 'front_image'" in str(raised.value)
    assert "is not a picture's file name in the deck's .media folder" in str(raised.value)


def test_a_side_without_text_needs_its_picture() -> None:
    with pytest.raises(DeckError) as raised:
        parse_deck(HEAD + "  - back: A\n", filename="p")
    assert "field 'front': is required" in str(raised.value)


def test_loading_checks_the_pictures_in_the_media_folder(tmp_path: Path) -> None:
    deck_file = tmp_path / "pics.yaml"
    deck_file.write_text(
        HEAD + "  - front: Q\n    front_image: heart.png\n    back: A\n"
        "  - front: R\n    back_image: gone.gif\n    back: B\n"
    )
    media = tmp_path / "pics.media"
    media.mkdir()
    (media / "heart.png").write_bytes(PNG)
    with pytest.raises(DeckError) as raised:
        load_deck_file(deck_file)
    assert "picture pics.media/gone.gif: No such file or directory" in str(raised.value)
    (media / "gone.gif").write_bytes(PNG + bytes(8 * 1024 * 1024))
    with pytest.raises(DeckError) as raised:
        load_deck_file(deck_file)
    assert "picture pics.media/gone.gif: 8,388,677 bytes, over 8 MiB" in str(raised.value)
    (media / "gone.gif").write_bytes(PNG)  # its bytes say PNG: that is what counts
    deck = load_deck_file(deck_file)
    assert deck.picture("heart.png") == media / "heart.png"
