"""The importers leave a deck's `weights` out: no file format they read says how an exam
weighs its topics, so an imported deck is weighed by its card counts until its owner
writes weights in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.decks import deck_to_yaml
from bot.importers import CLI_LIMITS, import_deck
from tests.importers.builders import GIF, PNG, collection, collection_of
from tests.importers.test_anki_collections import BME
from tests.importers.test_markdown_notes import OBSIDIAN
from tests.importers.test_text_exports import ANKI_NOTES
from tests.importers.test_text_formats import QUIZLET_TSV
from tests.importers.test_trivia import RED_LIST

TOPIC_CSV = (
    "Term,Definition,Topic\r\n"
    "S3,Object storage,Storage\r\n"
    "EC2,Virtual servers,Compute\r\n"
    "EBS,Block storage,Storage\r\n"
)
MARKDOWN_TABLE = (
    "# Verbs\n\n| Front | Back |\n|---|---|\n| hablar | to speak |\n| comer | to eat |\n"
)
# Anki's and Quizlet's plain-text exports, a CSV with a topic column, Markdown tables and
# notes, and Red trivia lists: one file of each text format the importers read.
TEXT_FILES = [
    (ANKI_NOTES, "spanish.txt"),
    (QUIZLET_TSV, "gre.tsv"),
    (TOPIC_CSV, "aws.csv"),
    (MARKDOWN_TABLE, "verbs.md"),
    (OBSIDIAN, "cells.markdown"),
    (RED_LIST, "general.yaml"),
]


@pytest.mark.parametrize(("text", "filename"), TEXT_FILES)
def test_a_text_file_imports_without_weights(text: str, filename: str) -> None:
    deck = import_deck(text.encode(), filename, limits=CLI_LIMITS).deck
    assert deck.cards
    assert deck.weights == ()
    assert "weights" not in deck_to_yaml(deck)


def test_anki_packages_and_collections_import_without_weights(tmp_path: Path) -> None:
    package = collection(BME, {"my heart.png": PNG, "wave.gif": GIF})
    # Its subdecks are topics (the bare collection loses Anatomy, its pictures): no weights.
    apkg = import_deck(package, "bme.apkg", limits=CLI_LIMITS, media_dir=tmp_path).deck
    bare = import_deck(collection_of(package), "collection.anki2", limits=CLI_LIMITS).deck
    for deck in (apkg, bare):
        assert len(deck.topics) >= 2
        assert deck.weights == ()
        assert "weights" not in deck_to_yaml(deck)
