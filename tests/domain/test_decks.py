"""Deck files: the shipped decks, the validation messages authors see, and card identity."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

from bot.domain.decks import (
    MAX_DECK_FILE_BYTES,
    Card,
    Deck,
    DeckError,
    DeckProblem,
    deck_to_yaml,
    default_card_id,
    load_deck_file,
    load_decks,
    parse_deck,
    parse_deck_mapping,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DECKS_DIR = REPO_ROOT / "decks"
SEED_FILE = REPO_ROOT / "tests" / "data" / "seed_flashcards.txt"
SHIPPED_ID = "aws-mla-c01-deployment"

VALID = """\
id: foo
title: Foo
description: A small deck.
topics:
  - Storage
  - Compute
cards:
  - front: What is S3?
    back: Object storage
    topic: Storage
  - front: What is EC2?
    back: Virtual servers
    topic: Compute
"""


def _write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- shipped decks


def _shipped_deck_files() -> list[Path]:
    return sorted(p for p in DECKS_DIR.iterdir() if p.suffix in (".yaml", ".yml"))


def test_there_is_a_shipped_deck() -> None:
    assert SHIPPED_ID + ".yaml" in [p.name for p in _shipped_deck_files()]


@pytest.mark.parametrize("path", _shipped_deck_files(), ids=lambda p: p.name)
def test_every_shipped_deck_loads(path: Path) -> None:
    deck = load_deck_file(path)
    assert deck.id == path.stem
    assert deck.cards
    # Every listed topic should be reachable from a topic filter.
    assert all(count > 0 for count in deck.topic_counts().values())


def test_shipped_directory_loads_without_errors() -> None:
    result = load_decks(DECKS_DIR)
    assert result.errors == []
    assert SHIPPED_ID in result.decks


def _read_seed() -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """The seed's table rows, its About paragraphs and its topic list."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    rows = []
    for line in lines:
        if line.startswith("|") and line.strip() != "| Front | Back |":
            front, back = (cell.strip() for cell in line.strip().strip("|").split("|"))
            rows.append((front, back))
    about_at = lines.index("About the Flashcards")
    topics_at = lines.index("Topics covered in this flashcard deck:")
    about = [line for line in lines[about_at + 1 : topics_at] if line.strip()]
    topics = [line[2:] for line in lines[topics_at + 1 :] if line.startswith("- ")]
    return rows, about, topics


def test_shipped_deck_matches_the_seed() -> None:
    rows, about, topics = _read_seed()
    assert len(rows) == 39
    assert len(about) == 2
    assert len(topics) == 6

    deck = load_deck_file(DECKS_DIR / f"{SHIPPED_ID}.yaml")
    assert sorted((card.front, card.back) for card in deck.cards) == sorted(rows)
    assert list(deck.topics) == topics
    for paragraph in about:
        assert paragraph in deck.description
    assert all(card.topic in topics for card in deck.cards)


def test_shipped_deck_author_distractors_are_usable() -> None:
    deck = load_deck_file(DECKS_DIR / f"{SHIPPED_ID}.yaml")
    for card in deck.cards:
        assert len(card.distractors) <= 3
        assert len({card.back.casefold(), *(d.casefold() for d in card.distractors)}) == (
            1 + len(card.distractors)
        )


# --------------------------------------------------------------------------- invalid decks

CASES = [
    pytest.param(
        """\
        id: foo
        description: A small deck.
        cards:
          - front: What is S3?
            back: Object storage
        """,
        ["FILE: field 'title': is required"],
        id="missing-field",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - front: What is S3?
            back: yes
          - front: 2024-01-01
            back: 1.0
        """,
        [
            "FILE: card 1 (\"What is S3?\"): field 'back': must be a string, got a boolean"
            " (put it in quotes to keep it as text)",
            "FILE: card 2: field 'front': must be a string, got a date"
            " (put it in quotes to keep it as text)",
            "FILE: card 2: field 'back': must be a string, got a number"
            " (put it in quotes to keep it as text)",
        ],
        id="wrong-type",
    ),
    pytest.param(
        """\
        id: foo
        titel: Foo
        description: A small deck.
        cards:
          - front: What is S3?
            bak: Object storage
          - question: What is EC2?
            back: Virtual servers
        """,
        [
            "FILE: field 'titel': unknown field (did you mean 'title'?)",
            "FILE: field 'title': is required",
            "FILE: card 1 (\"What is S3?\"): field 'bak': unknown field (did you mean 'back'?)",
            "FILE: card 1 (\"What is S3?\"): field 'back': is required",
            "FILE: card 2: field 'question': unknown field (did you mean 'front'?)",
            "FILE: card 2: field 'front': is required",
        ],
        id="unknown-key-with-suggestion",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - front: What is S3?
            back: Object storage
          - front: "  what is   S3 "
            back: Simple storage
        """,
        ["FILE: card 2 (\"what is S3\"): field 'front': duplicates the front of card 1"],
        id="duplicate-front",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - id: compute
            front: What is S3?
            back: Object storage
          - id: compute
            front: What is EC2?
            back: Virtual servers
        """,
        ["FILE: card 2 (\"What is EC2?\"): field 'id': 'compute' is already used by card 1"],
        id="duplicate-id",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: "   "
        cards:
          - front: What is S3?
            back: ""
          - front: What is EC2?
            back:
        """,
        [
            "FILE: field 'description': must not be empty",
            "FILE: card 1 (\"What is S3?\"): field 'back': must not be empty",
            "FILE: card 2 (\"What is EC2?\"): field 'back': must not be empty",
        ],
        id="empty-string",
    ),
    pytest.param(
        f"""\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - front: What is S3?
            back: {"x" * 1001}
        """,
        [
            "FILE: card 1 (\"What is S3?\"): field 'back': is too long"
            " (1,001 characters, at most 1,000)"
        ],
        id="too-long-back",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        topics: [Storage, Compute]
        cards:
          - front: What is S3?
            back: Object storage
            topic: Storag
          - front: What is EC2?
            back: Virtual servers
            topic: Networking
        """,
        [
            "FILE: card 1 (\"What is S3?\"): field 'topic': 'Storag' is not one of the deck's"
            " topics (did you mean 'Storage'?)",
            "FILE: card 2 (\"What is EC2?\"): field 'topic': 'Networking' is not one of the"
            " deck's topics",
        ],
        id="unknown-topic",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        topics: [Storage, storage, ""]
        cards:
          - front: What is S3?
            back: Object storage
        """,
        [
            "FILE: field 'topics': item 2: 'storage' is listed twice",
            "FILE: field 'topics': item 3: must not be empty",
        ],
        id="bad-topics",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - front: What is S3?
            back: Object storage: durable
          - front: What is EC2?
        """,
        # The two PyYAML parsers word the problem differently; the position is what matters.
        [re.compile(r"FILE: invalid YAML at line 6, column 25: mapping values are not allowed .+")],
        id="bad-yaml",
    ),
    pytest.param(
        "id: foo\n\ttitle: Foo\n",
        [re.compile(r"FILE: invalid YAML at line 2, column 1: .+ \(YAML does not allow tabs .+\)")],
        id="tab-indentation",
    ),
    pytest.param(
        "id: foo\ntitle: Fo\x07o\n",
        ["FILE: invalid YAML at line 2, column 10: character #x0007 is not allowed"],
        id="control-character",
    ),
    pytest.param(
        """\
        - id: foo
        - title: Foo
        """,
        ["FILE: top level must be a mapping, got a list"],
        id="not-a-mapping",
    ),
    pytest.param("# nothing here\n", ["FILE: file is empty"], id="empty-file"),
    pytest.param(
        VALID.replace("id: foo", "id: bar"),
        ["FILE: field 'id': 'bar' does not match the file name (expected 'foo')"],
        id="id-mismatch",
    ),
    pytest.param(
        VALID.replace("id: foo", "id: Foo Deck"),
        [
            "FILE: field 'id': 'Foo Deck' is not a valid deck id (use lowercase letters, digits"
            " and '-', starting with a letter or digit, at most 63 characters)"
        ],
        id="id-not-a-slug",
    ),
    pytest.param(
        b"#" * (MAX_DECK_FILE_BYTES + 1),
        [f"FILE: file is too large ({MAX_DECK_FILE_BYTES + 1:,} bytes, at most 5,242,880)"],
        id="too-big-file",
    ),
    pytest.param(
        b"id: foo\ntitle: Foo\ndescription: caf\xe9\n",
        ["FILE: file is not valid UTF-8 (byte 0xe9 on line 3)"],
        id="invalid-utf8",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards: []
        """,
        ["FILE: field 'cards': must contain at least one card"],
        id="no-cards",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - What is S3?
          - front: What is EC2?
            back: Virtual servers
            back: Servers
        """,
        [
            "FILE: card 2 (\"What is EC2?\"): duplicate key 'back' at line 8, column 5",
            "FILE: card 1: must be a mapping with 'front' and 'back', got a string",
        ],
        id="card-shape-and-duplicate-key",
    ),
    pytest.param(
        """\
        id: foo
        title: Foo
        description: A small deck.
        cards:
          - front: Which AWS service stores objects durably across zones?
            back: Amazon S3
            accept: Simple Storage Service
            distractors:
              - amazon  s3
              - Amazon EBS
              - amazon ebs
        """,
        [
            "FILE: card 1 (\"Which AWS service stores objects durabl…\"): field 'accept':"
            " must be a list, got a string",
            "FILE: card 1 (\"Which AWS service stores objects durabl…\"): field 'distractors':"
            " item 1: is the same as the back",
            "FILE: card 1 (\"Which AWS service stores objects durabl…\"): field 'distractors':"
            " item 3: duplicates item 2",
        ],
        id="bad-accept-and-distractors",
    ),
    pytest.param(
        """\
        id: foo
        title: 42
        descripton: A small deck.
        topics: [Storage]
        extra: true
        cards:
          - front: What is S3?
            back: ""
            topic: Compute
          - front: what is s3
            back: Object storage
            explanation: no
        """,
        [
            "FILE: field 'descripton': unknown field (did you mean 'description'?)",
            "FILE: field 'extra': unknown field",
            "FILE: field 'title': must be a string, got a number"
            " (put it in quotes to keep it as text)",
            "FILE: field 'description': is required",
            "FILE: card 1 (\"What is S3?\"): field 'back': must not be empty",
            "FILE: card 1 (\"What is S3?\"): field 'topic': 'Compute' is not one of the deck's"
            " topics",
            "FILE: card 2 (\"what is s3\"): field 'explanation': must be a string, got a boolean"
            " (put it in quotes to keep it as text)",
            "FILE: card 2 (\"what is s3\"): field 'front': duplicates the front of card 1",
        ],
        id="several-errors-all-listed",
    ),
]


@pytest.mark.parametrize(("content", "expected"), CASES)
def test_invalid_deck_messages(
    tmp_path: Path, content: str | bytes, expected: list[str | re.Pattern[str]]
) -> None:
    path = _write(tmp_path, "foo.yaml", content)
    with pytest.raises(DeckError) as caught:
        load_deck_file(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(expected), lines
    for line, want in zip(lines, expected, strict=True):
        if isinstance(want, re.Pattern):
            pattern = re.compile(want.pattern.replace("FILE", re.escape(str(path))))
            assert pattern.fullmatch(line), line
        else:
            assert line == want.replace("FILE", str(path))
    assert len(caught.value.problems) == len(expected)


def test_problem_formats() -> None:
    with_card = DeckProblem("decks/foo.yaml", 3, "What is S3?", "back", "must not be empty")
    assert (
        str(with_card)
        == "decks/foo.yaml: card 3 (\"What is S3?\"): field 'back': must not be empty"
    )
    no_card = DeckProblem("decks/foo.yaml", None, None, "title", "is required")
    assert str(no_card) == "decks/foo.yaml: field 'title': is required"
    no_field = DeckProblem(
        "decks/foo.yaml", None, None, None, "invalid YAML at line 4, column 7: x"
    )
    assert str(no_field) == "decks/foo.yaml: invalid YAML at line 4, column 7: x"
    long_front = DeckProblem("f.yaml", 1, "a" * 60, None, "m")
    assert str(long_front) == f'f.yaml: card 1 ("{"a" * 39}…"): m'
    assert str(DeckError([with_card, no_card])) == f"{with_card}\n{no_card}"


def test_problem_list_is_capped() -> None:
    cards = "\n".join(f"  - front: Card {n}\n    back: ''" for n in range(150))
    text = f"id: foo\ntitle: Foo\ndescription: D\ncards:\n{cards}\n"
    with pytest.raises(DeckError) as caught:
        parse_deck(text, filename="foo.yaml", expected_id="foo")
    lines = str(caught.value).splitlines()
    assert len(lines) == 101
    assert lines[-1] == "foo.yaml: 50 more problems not shown"


def test_parse_deck_mapping_validates_data_built_in_code() -> None:
    data = {
        "id": "imported",
        "title": "Imported",
        "description": "From a CSV file.",
        "cards": [{"front": "Q1", "back": "A1"}, {"front": "Q2", "back": 2}],
    }
    with pytest.raises(DeckError) as caught:
        parse_deck_mapping(data, filename="import.csv", expected_id=None)
    assert str(caught.value) == (
        "import.csv: card 2 (\"Q2\"): field 'back': must be a string, got a number"
        " (put it in quotes to keep it as text)"
    )
    data["cards"] = [{"front": "Q1", "back": "A1"}]
    deck = parse_deck_mapping(data, filename="import.csv", expected_id=None)
    assert deck.cards[0].back == "A1"
    assert deck.topics == ()
    assert deck.source is None


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "foo.yaml", b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load_deck_file(path).id == "foo"


def test_unsafe_yaml_tags_are_rejected() -> None:
    text = VALID + "source: !!python/object/apply:os.system ['echo hi']\n"
    with pytest.raises(DeckError, match="invalid YAML at line 14, column 9: could not determine"):
        parse_deck(text, filename="foo.yaml", expected_id="foo")


# --------------------------------------------------------------------------- directories


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    _write(tmp_path, "alpha.yaml", VALID.replace("id: foo", "id: alpha"))
    broken = _write(tmp_path, "beta.yaml", VALID.replace("id: foo", "id: beta") + "  - [")
    _write(tmp_path, "gamma.yml", VALID.replace("id: foo", "id: gamma"))
    _write(tmp_path, "notes.txt", "not a deck")
    _write(tmp_path, ".hidden.yaml", "broken: [")

    result = load_decks(tmp_path)

    assert sorted(result.decks) == ["alpha", "gamma"]
    assert result.decks["gamma"].path == str(tmp_path / "gamma.yml")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(f"{broken}: invalid YAML at line ")


def test_duplicate_deck_id_across_files_names_both(tmp_path: Path) -> None:
    first = _write(tmp_path, "foo.yaml", VALID)
    second = _write(tmp_path, "foo.yml", VALID)
    result = load_decks(tmp_path)
    assert list(result.decks) == ["foo"]
    assert result.decks["foo"].path == str(first)
    assert [str(e) for e in result.errors] == [
        f"{second}: field 'id': 'foo' is already used by {first}"
    ]


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    result = load_decks(tmp_path / "nope")
    assert result.decks == {}
    assert len(result.errors) == 1
    assert "cannot list the deck directory" in str(result.errors[0])


# --------------------------------------------------------------------------- model


def _parse(text: str) -> Deck:
    return parse_deck(textwrap.dedent(text), filename="foo.yaml", expected_id="foo")


def test_card_ids_survive_back_edits_and_reordering() -> None:
    deck = _parse(VALID)
    edited = _parse(VALID.replace("Object storage", "Object storage for any amount of data"))
    reordered = _parse(
        """\
        id: foo
        title: Foo
        description: A small deck.
        topics: [Storage, Compute]
        cards:
          - front: What is EC2?
            back: Virtual servers
            topic: Compute
          - front: what is S3
            back: Object storage
            topic: Storage
        """
    )
    ids = {card.front: card.id for card in deck.cards}
    assert {card.front: card.id for card in edited.cards} == ids
    assert reordered.cards[1].id == ids["What is S3?"]
    assert reordered.cards[0].id == ids["What is EC2?"]
    assert re.fullmatch(r"c-[0-9a-f]{10}", ids["What is S3?"])
    assert ids["What is S3?"] != ids["What is EC2?"]


def test_card_id_changes_with_the_front() -> None:
    assert default_card_id("What is S3?") == default_card_id("  WHAT is   s3 ")
    assert default_card_id("What is S3?") != default_card_id("What is S4?")
    # Fixed value: a change here would orphan everybody's stored progress.
    assert default_card_id("What is S3?") == "c-8dc82255eb"


def test_explicit_card_id_is_kept() -> None:
    deck = _parse(
        VALID.replace("  - front: What is S3?", "  - id: s3-basics\n    front: What is S3?")
    )
    assert deck.cards[0].id == "s3-basics"
    assert deck.card("s3-basics") is deck.cards[0]
    assert deck.card("missing") is None


def test_topic_helpers() -> None:
    deck = _parse(
        VALID.replace("  - Compute", "  - Compute\n  - Networking")
        + "  - front: What is a VPC?\n    back: A private network\n"
        + "  - front: What is EBS?\n    back: Block storage\n    topic: Storage\n"
    )
    assert deck.topic_counts() == {"Storage": 2, "Compute": 1, "Networking": 0}
    assert list(deck.topic_counts()) == list(deck.topics)
    assert [c.front for c in deck.cards_in_topic("Storage")] == ["What is S3?", "What is EBS?"]
    assert deck.cards_in_topic("Networking") == ()


def test_values_are_stripped_and_multiline_text_kept() -> None:
    deck = _parse(
        """\
        id: foo
        title: "  Foo  "
        description: |
          First paragraph.

          Second paragraph.
        cards:
          - front: What is S3?
            back: >
              Object storage
              on AWS
        """
    )
    assert deck.title == "Foo"
    assert deck.description == "First paragraph.\n\nSecond paragraph."
    assert deck.cards[0].back == "Object storage on AWS"


def test_deck_to_yaml_round_trips() -> None:
    deck = Deck(
        id="roundtrip",
        title="Round: trip",
        description="Line one.\n\nLine two: with a colon.",
        source=None,
        topics=("Storage", "yes"),
        cards=(
            Card(id=default_card_id("What is S3?"), front="What is S3?", back="Object storage"),
            Card(
                id="custom-id",
                front="Is 1.0 a number?",
                back="yes",
                topic="yes",
                accept=("Y", "true"),
                explanation="YAML reads yes as a boolean,\nso it must be quoted.",
                distractors=("no", "- a list?", "#comment"),
            ),
            Card(id=default_card_id("Q: 2024-01-01"), front="Q: 2024-01-01", back="'quoted'"),
        ),
    )
    text = deck_to_yaml(deck)
    assert parse_deck(text, filename="roundtrip.yaml", expected_id="roundtrip") == deck
    # The derived id is left out; an explicit one is written.
    assert text.count("id: ") == 2
    assert "id: custom-id" in text


def test_shipped_deck_round_trips_through_yaml() -> None:
    deck = load_deck_file(DECKS_DIR / f"{SHIPPED_ID}.yaml")
    again = parse_deck(deck_to_yaml(deck), filename="x.yaml", expected_id=SHIPPED_ID)
    assert again == dataclasses.replace(deck, path=None)
