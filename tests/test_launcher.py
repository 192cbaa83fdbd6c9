"""Loading the decks at start-up: no cyclic collection runs while they are built (each
would walk all the cards made before it again), and the collector is left as it was
found."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.launcher import load_catalog
from tests.harness import SHIPPED_DECKS


@contextlib.contextmanager
def collections_started() -> Iterator[list[int]]:
    """The generations of the cyclic collections that start while the test runs."""
    started: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(int(info["generation"]))

    gc.callbacks.append(note)
    try:
        yield started
    finally:
        gc.callbacks.remove(note)


def big_decks(folder: Path) -> Path:
    folder.mkdir()
    for number in range(3):
        cards = "".join(
            f"  - front: Deck {number} question {n}?\n    back: Answer {n}\n" for n in range(2_000)
        )
        (folder / f"big-{number}.yaml").write_text(
            f"id: big-{number}\ntitle: Big {number}\ndescription: d\ntopics: []\ncards:\n{cards}"
        )
    return folder


def test_no_collection_runs_while_the_decks_are_built(tmp_path: Path) -> None:
    settings = Settings(decks_dir=big_decks(tmp_path / "decks"))
    with collections_started() as started:
        catalog = load_catalog(settings)
    assert len(catalog.decks) == 3
    # At most the one that follows them, once the collector is back (there were 172).
    assert len(started) <= 1
    assert gc.isenabled()


def test_the_collector_is_left_as_it_was_found() -> None:
    gc.disable()
    try:
        load_catalog(Settings(decks_dir=SHIPPED_DECKS))
        assert not gc.isenabled()
    finally:
        gc.enable()
