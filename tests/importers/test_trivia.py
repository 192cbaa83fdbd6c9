"""Red-DiscordBot trivia lists, and the small decks they make, imported and practised."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.domain.answers import Mode
from bot.domain.decks import load_deck_file
from bot.importers import SERVER_LIMITS, DeckImportError, ImportResult, import_deck
from bot.practice import run_practice

# As Red's own lists are written: an AUTHOR key, then each question and its answers,
# numbers and yes/no among them, which must stay as written.
RED_LIST = """AUTHOR: Twentysix
What year did the Apollo 11 land on the moon?:
- 1969
Who wrote Hamlet?:
- William Shakespeare
- Shakespeare
- Bill Shakespeare
Is the sun a star?:
- Yes
- yes indeed
How many legs does a spider have?:
- 8
- eight
What is the chemical symbol for gold?:
- Au
Empty question?: []
"""


def imported(text: str, filename: str = "general.yaml") -> ImportResult:
    return import_deck(text.encode("utf-8"), filename, limits=SERVER_LIMITS)


def test_a_red_trivia_list_takes_the_first_answer_as_the_back_and_accepts_the_rest() -> None:
    result = imported(RED_LIST)
    assert result.format == "Red trivia list"
    assert [(c.front, c.back, c.accept) for c in result.deck.cards] == [
        ("What year did the Apollo 11 land on the moon?", "1969", ()),
        ("Who wrote Hamlet?", "William Shakespeare", ("Shakespeare", "Bill Shakespeare")),
        ("Is the sun a star?", "Yes", ("yes indeed",)),
        ("How many legs does a spider have?", "8", ("eight",)),
        ("What is the chemical symbol for gold?", "Au", ()),
    ]
    assert result.deck.title == "general"
    assert [str(s) for s in result.skipped] == ["question 7: no answer"]
    assert result.summary.notes == (
        "The list's author is Twentysix.",
        "A trivia list is answered by typing: play it with `mode: typed`. Multiple choice "
        "takes its wrong options from the other questions' answers.",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, 2]\nb: *x\n", "it uses YAML aliases (`*name`); a trivia list needs none."),
        ("- just\n- a list\n", "it is not a trivia list: a trivia list maps each question"),
        ("q: [a\n", "it is not valid YAML"),
        ("q: [[[[a]]]]\n", "it nests lists deeper than a trivia list ever does."),
        (
            "id: x\ntitle: X\ncards: []\n",
            "it is already a deck file of this bot, not a Red trivia list",
        ),
    ],
)
def test_yaml_that_is_no_trivia_list_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(DeckImportError) as raised:
        imported(text, "bad.yml")
    assert message in str(raised.value)


async def test_a_one_question_list_imports_and_practice_says_which_modes_it_can_play(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DECKS_DIR", str(tmp_path / "decks"))
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    source = tmp_path / "one.yaml"
    source.write_text("Capital of Peru?:\n- Lima\n- Ciudad de los Reyes\n")
    assert main(["decks", "import", str(source)]) == 0
    deck = load_deck_file(tmp_path / "decks" / "one.yaml")
    assert deck.cards[0].accept == ("Ciudad de los Reyes",)
    settings = load_settings()
    out = io.StringIO()
    code = await run_practice(
        settings,
        deck_id="one",
        mode=Mode.MULTIPLE_CHOICE,
        count=5,
        topic=None,
        seed="s",
        stdin=io.StringIO(""),
        out=out,
    )
    assert (code, out.getvalue()) == (
        2,
        "Deck `one` has only 1 different answer: multiple choice needs 4 different answers "
        "per question. Try --mode flashcard.\n",
    )
    out = io.StringIO()
    code = await run_practice(
        settings,
        deck_id="one",
        mode=Mode.FLASHCARD,
        count=5,
        topic=None,
        seed="s",
        stdin=io.StringIO("\n3\n"),
        out=out,
    )
    assert code == 0
    assert "Q1/1  Capital of Peru?" in out.getvalue()
    assert out.getvalue().endswith("Done: 1/1 right (100%).\n")
