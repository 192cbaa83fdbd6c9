"""How numbers of things are written."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotEnoughOptionsError
from bot.domain.words import plural


@pytest.mark.parametrize(
    ("count", "word", "many", "written"),
    [
        (0, "card", None, "0 cards"),
        (1, "card", None, "1 card"),
        (2, "card", None, "2 cards"),
        (1200, "card", None, "1,200 cards"),
        (1, "card matches", "cards match", "1 card matches"),
        (3, "card matches", "cards match", "3 cards match"),
        (1, "different answer", None, "1 different answer"),
    ],
)
def test_plural(count: int, word: str, many: str | None, written: str) -> None:
    assert plural(count, word, many) == written


def test_a_deck_with_one_answer_is_not_said_to_have_answers() -> None:
    message = str(NotEnoughOptionsError("tiny", 1))
    assert message.startswith("Deck `tiny` has only 1 different answer; multiple choice needs")
