"""A deck's pictures together may take at most MAX_DECK_PICTURE_BYTES (128 MiB): past it,
each importer leaves the pictures that do not fit out, says so, and keeps the rest.

The limit is lowered to 2 MiB here, so the test needs no 128 MiB of pictures; each
importer reads its own name for it when it copies a picture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.importers import CLI_LIMITS, ImportResult, import_deck
from bot.importers.model import MB
from tests.importers.builders import FRONT_BACK, PNG, Typed, collection, rezip

# Two fit in the lowered 2 MiB, a third does not; a small fourth still does.
BIG = PNG + bytes(1_000_000)
PICTURES = {"p1.png": BIG, "p2.png": BIG, "p3.png": BIG, "p4.png": PNG}
LIMIT = 2 * MB


def apkg(folder: Path) -> ImportResult:
    notes = [
        Typed(FRONT_BACK, [f'Organ {name[1]} <img src="{name}">', f"answer {name[1]}"], "Pics")
        for name in PICTURES
    ]
    return import_deck(
        collection(notes, PICTURES), "pics.apkg", limits=CLI_LIMITS, media_dir=folder
    )


def deck_zip(folder: Path) -> ImportResult:
    cards = "".join(
        f"  - front: Organ {name[1]}\n    front_image: {name}\n    back: answer {name[1]}\n"
        for name in PICTURES
    )
    deck = f"id: pics\ntitle: Pics\ndescription: d\ntopics: []\ncards:\n{cards}"
    entries = {"pics.yaml": deck.encode()} | {
        f"pics.media/{name}": data for name, data in PICTURES.items()
    }
    return import_deck(rezip(entries), "pics.zip", limits=CLI_LIMITS, media_dir=folder)


def markdown(folder: Path) -> ImportResult:
    notes = folder.parent / "notes"
    notes.mkdir()
    for name, data in PICTURES.items():
        (notes / name).write_bytes(data)
    rows = "".join(f"| Organ {name[1]} ![o]({name}) | answer {name[1]} |\n" for name in PICTURES)
    source = notes / "pics.md"
    source.write_text(f"# Pics\n\n| Front | Back |\n|---|---|\n{rows}")
    return import_deck(source, source.name, limits=CLI_LIMITS, media_dir=folder)


@pytest.mark.parametrize(
    ("read", "module"),
    [
        (apkg, "bot.importers.anki"),
        (deck_zip, "bot.importers.deck_zip"),
        (markdown, "bot.importers.media"),
    ],
)
def test_pictures_past_the_decks_total_are_left_out_and_the_rest_kept(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read: Callable[[Path], ImportResult],
    module: str,
) -> None:
    monkeypatch.setattr(f"{module}.MAX_DECK_PICTURE_BYTES", LIMIT)
    folder = tmp_path / "media"
    folder.mkdir()
    result = read(folder)
    # Every card stays: each has text beside its picture.
    assert [(c.front, c.front_image) for c in result.deck.cards] == [
        ("Organ 1", "p1.png"),
        ("Organ 2", "p2.png"),
        ("Organ 3", None),
        ("Organ 4", "p4.png"),
    ]
    assert (result.summary.pictures, result.summary.left_out_count) == (3, 1)
    [line] = [g.line() for g in result.summary.pictures_left_out]
    assert line.startswith("picture is over the deck's 2 MiB of pictures: 1 (")
    assert line.endswith("(p3.png))")
    assert sorted(p.name for p in folder.iterdir()) == ["p1.png", "p2.png", "p4.png"]
    assert (folder / "p4.png").read_bytes() == PNG
