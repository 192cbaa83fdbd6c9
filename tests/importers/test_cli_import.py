"""`python -m bot decks import FILE`: a valid YAML deck in DECKS_DIR, and what was skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.decks import load_deck_file
from tests.helpers.cli import run_bot_cli
from tests.importers.builders import (
    Note,
    Package,
    altered,
    apkg,
    collection_of,
    identical_notes,
    rezip,
)

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "data" / "seed_flashcards.txt"


@pytest.fixture
def decks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DECKS_DIR", str(tmp_path / "decks"))
    return tmp_path / "decks"


def test_the_seed_table_becomes_a_deck_the_bot_loads(
    decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decks", "import", str(SEED)]) == 0
    written = decks_dir / "deployment-and-operationalization-flashcards.yaml"
    out = capsys.readouterr().out
    assert out == (
        f"wrote {written}\n"
        "39 cards imported, none skipped (read as Markdown table)\n"
        'Title: "Deployment and Operationalization Flashcards" (the first line of the file)\n'
        "Topics: none\n"
        "Pictures: none\n"
    )
    deck = load_deck_file(written)
    assert len(deck.cards) == 39
    assert main(["decks", "check", str(written)]) == 0


def test_an_existing_deck_is_kept_unless_forced(
    decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = decks_dir.parent / "words.csv"
    source.write_text("a,1\nb,2\n")
    assert main(["decks", "import", str(source)]) == 0
    source.write_text("a,1\nb,2\nc,3\n")
    assert main(["decks", "import", str(source)]) == 1
    err = capsys.readouterr().err
    assert f"error: {decks_dir / 'words.yaml'} already exists; pass --force" in err
    assert len(load_deck_file(decks_dir / "words.yaml").cards) == 2
    assert main(["decks", "import", str(source), "--force"]) == 0
    assert len(load_deck_file(decks_dir / "words.yaml").cards) == 3


def test_id_and_title_win_and_skips_are_printed(
    decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = decks_dir.parent / "export.tsv"
    source.write_text("S3\tstorage\nEC2\t\ns3\tagain\nIAM\tidentity\ns3\tstorage\n")
    code = main(["decks", "import", str(source), "--id", "aws-core", "--title", "AWS core"])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"wrote {decks_dir / 'aws-core.yaml'}",
        "2 cards imported, 2 skipped (read as TSV)",
        'Title: "AWS core" (given with the import)',
        "Topics: none",
        "Skipped: 2, by reason:",
        "  empty back: 1 (line 2)",
        "  repeats an earlier card: 1 (line 5 (same as line 1))",
        "Pictures: none",
        "Note: 1 card repeats an earlier front with another back: kept as one card, the other "
        "backs accepted as answers (line 3 into line 1).",
    ]
    deck = load_deck_file(decks_dir / "aws-core.yaml")
    assert (deck.id, deck.title) == ("aws-core", "AWS core")
    assert deck.cards[0].accept == ("again",)


def test_an_anki_package_keeps_its_tags_as_topics(decks_dir: Path) -> None:
    source = decks_dir.parent / "capitals.apkg"
    notes = [Note("France", "Paris", ["europe"]), Note("Peru", "<i>Lima</i>", ["americas"])]
    source.write_bytes(apkg(Package("World capitals", notes)))
    assert main(["decks", "import", str(source)]) == 0
    deck = load_deck_file(decks_dir / "world-capitals.yaml")
    assert deck.topics == ("europe", "americas")
    assert [(c.front, c.back, c.topic) for c in deck.cards] == [
        ("France", "Paris", "europe"),
        ("Peru", "Lima", "americas"),
    ]


def test_a_broken_file_writes_nothing_and_says_why(
    decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = decks_dir.parent / "broken.tsv"
    source.write_text("a\tb\nno separator here\n")
    assert main(["decks", "import", str(source)]) == 1
    assert capsys.readouterr().err == (
        f"error: {source}: line 2: no tab between front and back (a card whose text spans "
        "lines needs it in double quotes)\n"
    )
    assert not decks_dir.exists()
    assert main(["decks", "import", str(decks_dir.parent / "missing.csv")]) == 1
    assert "cannot read the file" in capsys.readouterr().err


def test_as_a_process(tmp_path: Path) -> None:
    source = tmp_path / "q.csv"
    source.write_text('term,definition\nS3,"Object storage,\nvery durable"\n')
    result = run_bot_cli(
        "decks", "import", str(source), tmp_path=tmp_path, extra_env={"DECKS_DIR": "out"}
    )
    assert result.returncode == 0, result.stderr
    deck = load_deck_file(tmp_path / "out" / "q.yaml")
    assert deck.cards[0].back == "Object storage,\nvery durable"


def test_hostile_anki_packages_are_refused_in_one_line_each(
    decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endless = decks_dir.parent / "loop.apkg"
    collection = altered(
        collection_of(apkg(Package("Loop", [Note("q", "a")]))),
        "CREATE TRIGGER t AFTER INSERT ON notes BEGIN DELETE FROM cards; END",
    )
    endless.write_bytes(rezip({"collection.anki2": collection}))
    copies = decks_dir.parent / "copies.apkg"
    copies.write_bytes(identical_notes(200_001))
    assert main(["decks", "import", str(endless)]) == 1
    assert main(["decks", "import", str(copies)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: {endless}: the database inside is not an Anki collection "
        "(it defines the trigger `t`).",
        f"error: {copies}: it holds more than 200,000 notes, more than an import reads. "
        "Export a smaller deck from Anki.",
    ]
    assert not decks_dir.exists() or list(decks_dir.iterdir()) == []
