"""The command line, run as a user would: a subprocess of `python -m bot`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.harness import REPO
from tests.helpers.cli import run_bot_cli


def test_without_a_token_the_bot_explains_what_to_put_in_env(tmp_path: Path) -> None:
    result = run_bot_cli(tmp_path=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "DISCORD_TOKEN=your-token-here" in result.stderr
    assert ".env" in result.stderr and "make practice" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=ftp://nope\n")
    result = run_bot_cli(tmp_path=tmp_path, extra_env={"DATABASE_URL": ""})
    assert result.returncode == 2
    assert "DATABASE_URL 'ftp://nope' is not supported" in result.stderr


def test_migrate_prints_the_version(tmp_path: Path) -> None:
    result = run_bot_cli("migrate", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    migrations = len({path.name[:4] for path in (REPO / "migrations").glob("*.sql*")})
    assert f"schema version {migrations}" in result.stdout
    again = run_bot_cli("migrate", tmp_path=tmp_path)
    assert f"schema version {migrations}" in again.stdout


def test_decks_check_counts_cards_per_topic(tmp_path: Path) -> None:
    result = run_bot_cli("decks", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok  aws-mla-c01-deployment: 39 cards" in result.stdout
    assert "SageMaker endpoints & scaling" in result.stdout


def test_decks_check_counts_one_card_as_one(tmp_path: Path) -> None:
    deck = tmp_path / "one.yaml"
    deck.write_text("id: one\ntitle: One\ndescription: d\ncards:\n  - front: Q\n    back: A\n")
    result = run_bot_cli("decks", "check", str(deck), tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok  one: 1 card  ({deck})" in result.stdout


def test_decks_check_lists_every_error_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "id: broken\ntitle: Broken\ndescription: d\ntopics: []\n"
        "cards:\n  - front: Q1\n    back: ''\n  - front: Q2\n    bak: A2\n"
    )
    result = run_bot_cli("decks", "check", str(bad), str(REPO / "decks"), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "ok  aws-mla-c01-deployment" in result.stdout
    assert "card 1 (\"Q1\"): field 'back'" in result.stdout
    assert "card 2 (\"Q2\"): field 'bak'" in result.stdout


def test_decks_check_reports_bad_topic_weights(tmp_path: Path) -> None:
    bad = tmp_path / "weighted.yaml"
    bad.write_text(
        "id: weighted\ntitle: Weighted\ndescription: d\ntopics: [Alpha, Beta]\n"
        "weights: {Alpha: 0, Gamma: 2, Beta: -1}\n"
        "cards:\n  - front: Q1\n    back: A1\n    topic: Alpha\n"
    )
    result = run_bot_cli("decks", "check", str(bad), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "field 'weights': 'Alpha': must be a positive number, got 0" in result.stdout
    assert "field 'weights': 'Gamma' is not one of the deck's topics" in result.stdout
    assert "field 'weights': 'Beta': must be a positive number, got -1" in result.stdout


def _answers(tmp_path: Path) -> list[tuple[int, str, int, str, int]]:
    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        return conn.execute(
            "SELECT user_id, mode, correct, card_id, question_index FROM answers ORDER BY id"
        ).fetchall()


def test_practice_multiple_choice_records_right_and_wrong(tmp_path: Path) -> None:
    # First run learns the correct letters from the printed feedback for a fixed seed;
    # the second run with the same seed then answers one right and one wrong on purpose.
    probe = run_bot_cli(
        "practice", "--count", "2", "--seed", "s1", tmp_path=tmp_path, stdin="A\nA\n"
    )
    assert probe.returncode == 0, probe.stderr
    letters = [
        line.split("The answer is ")[1][0]
        for line in probe.stdout.splitlines()
        if "The answer is " in line
    ]
    assert len(letters) == 2
    wrong = next(letter for letter in "ABCD" if letter != letters[1])
    result = run_bot_cli(
        "practice",
        "--count",
        "2",
        "--seed",
        "s1",
        tmp_path=tmp_path,
        stdin=f"{letters[0].lower()}\n{wrong}\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Right!" in result.stdout and "Wrong." in result.stdout
    assert "Done: 1/2 right (50%)." in result.stdout
    rows = _answers(tmp_path)[2:]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (0, "multiple-choice", 1, 0),
        (0, "multiple-choice", 0, 1),
    ]


def test_practice_flashcards_store_self_grades(tmp_path: Path) -> None:
    result = run_bot_cli(
        "practice",
        "--mode",
        "flashcard",
        "--count",
        "3",
        tmp_path=tmp_path,
        stdin="\n1\n\n3\n\nx\n4\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Done: 2/3 right" in result.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        grades = conn.execute("SELECT grade, correct, points FROM answers ORDER BY id").fetchall()
    assert grades == [("again", 0, 0), ("good", 1, 0), ("easy", 1, 0)]


def test_practice_stops_cleanly_at_end_of_input(tmp_path: Path) -> None:
    result = run_bot_cli("practice", "--count", "5", tmp_path=tmp_path, stdin="B\n")
    assert result.returncode == 0, result.stderr
    assert len(_answers(tmp_path)) == 1
    assert "Traceback" not in result.stderr


def test_practice_unknown_deck(tmp_path: Path) -> None:
    result = run_bot_cli("practice", "--deck", "nope", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "No deck with id 'nope'" in result.stdout


def _odd_decks(tmp_path: Path) -> Path:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "one.yaml").write_text(
        "id: one\ntitle: One card\ndescription: d\ntopics: []\n"
        "cards:\n  - front: What does S3 stand for?\n    back: Simple Storage Service\n"
    )
    (decks / "same.yaml").write_text(
        "id: same\ntitle: One answer\ndescription: d\ntopics: []\ncards:\n"
        "  - front: Is S3 durable?\n    back: 'Yes'\n"
        "  - front: Is S3 regional?\n    back: 'yes'\n"
    )
    return decks


def test_practice_says_in_one_line_why_a_deck_has_no_multiple_choice(tmp_path: Path) -> None:
    decks = {"DECKS_DIR": str(_odd_decks(tmp_path))}
    assert run_bot_cli("decks", "check", tmp_path=tmp_path, extra_env=decks).returncode == 0
    for deck in ("one", "same"):
        result = run_bot_cli("practice", "--deck", deck, tmp_path=tmp_path, extra_env=decks)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stdout == (
            f"Deck `{deck}` has only 1 different answer: multiple choice needs 4 different "
            "answers per question. Try --mode flashcard.\n"
        )
    played = run_bot_cli(
        "practice",
        "--deck",
        "one",
        "--mode",
        "flashcard",
        tmp_path=tmp_path,
        extra_env=decks,
        stdin="\n3\n",
    )
    assert played.returncode == 0, played.stderr
    assert "Done: 1/1 right" in played.stdout


def test_practice_names_a_cards_picture_and_keeps_picture_answers_out_of_multiple_choice(
    tmp_path: Path,
) -> None:
    from tests.importers.builders import PNG

    decks = tmp_path / "decks"
    (decks / "pics.media").mkdir(parents=True)
    (decks / "pics.media" / "valve.png").write_bytes(PNG)
    (decks / "pics.yaml").write_text(
        "id: pics\ntitle: Pictures\ndescription: d\ntopics: []\ncards:\n"
        "  - front: Show the aortic valve\n    back_image: valve.png\n"
    )
    env = {"DECKS_DIR": str(decks)}
    refused = run_bot_cli("practice", "--deck", "pics", tmp_path=tmp_path, extra_env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stdout == (
        "Deck `pics` has only cards whose answer is a picture, which can be shown but not "
        "chosen or typed: play it as flashcards or reviews.\n"
    )
    played = run_bot_cli(
        "practice", "--deck", "pics", "--mode", "flashcard",
        tmp_path=tmp_path, extra_env=env, stdin="\n3\n",
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    assert f"(picture: {decks / 'pics.media' / 'valve.png'})" in played.stdout
