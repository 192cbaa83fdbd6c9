"""A deck written as a deck file (`/decks export`, `decks import`) reads back exactly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.decks import Deck, DeckError, deck_to_yaml, parse_deck, parse_deck_mapping
from bot.storage.server_decks import deck_from_json, deck_to_json

# Characters YAML or a reader of it treats specially, each alone and amid text.
TRICKY = [
    "\x85",  # NEL, a line break to YAML
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\ufeff",  # byte order mark
    "\t",
    "\r",
    "\r\n",
    "\x00",
    "\x7f",
    "\xa0",
    "\u200b",
    "\U0001f600",
    '"',
    "'",
    "\\",
    ": ",
    " #",
    "\n",
]


def deck_of(text: str) -> Deck:
    """A deck with `text` in every field a deck file holds."""
    data = {
        "id": "tricky",
        "title": f"title {text} end",
        "description": f"description {text} end",
        "source": f"source {text} end",
        "topics": [f"topic {text} end"],
        "cards": [
            {
                "front": f"front {text} end",
                "back": f"back {text} end",
                "topic": f"topic {text} end",
                "accept": [f"accept {text} end"],
                "explanation": f"explanation {text} end",
                "distractors": [f"distractor {text} end"],
            },
            {"front": f"{text}lead", "back": f"trail{text}"},
            {"front": f"multi\nline {text}\nfront", "back": f"line\n{text}\n{text}\nbreaks"},
        ],
    }
    return parse_deck_mapping(data, filename="tricky.yaml", expected_id="tricky")


def assert_round_trips(deck: Deck) -> None:
    text = deck_to_yaml(deck)
    assert parse_deck(text, filename="tricky.yaml", expected_id="tricky") == deck
    assert deck_from_json(deck_to_json(deck), label="tricky") == deck


@pytest.mark.parametrize("tricky", TRICKY, ids=[f"U+{ord(t[0]):04X}" for t in TRICKY])
def test_every_field_reads_back_exactly(tricky: str) -> None:
    deck = deck_of(tricky)
    assert deck.cards[0].front == f"front {tricky} end"
    assert_round_trips(deck)


def test_nel_stays_nel_and_line_separators_stay_themselves() -> None:
    deck = deck_of("a\x85b\u2028c\u2029d")
    back = parse_deck(deck_to_yaml(deck), filename="tricky.yaml", expected_id="tricky")
    assert back.cards[0].back == "back a\x85b\u2028c\u2029d end"
    assert back.cards[2].front == "multi\nline a\x85b\u2028c\u2029d\nfront"


# Any character but a lone surrogate: what a deck may hold.
texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda text: bool(text.strip())
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(texts)
def test_any_text_reads_back_exactly(text: str) -> None:
    assert_round_trips(deck_of(text))


@pytest.mark.parametrize("field", ["title", "front", "back", "topics"])
def test_a_lone_surrogate_is_refused_with_a_clear_message(field: str) -> None:
    data: dict[str, object] = {"id": "s", "title": "Title", "description": "d", "topics": []}
    card = {"front": "q", "back": "a"}
    if field == "topics":
        data["topics"] = ["ok", "bad \ud83d"]
    elif field == "title":
        data["title"] = "bad \ud83d"
    else:
        card[field] = "bad \ud83d"
    data["cards"] = [card]
    with pytest.raises(DeckError) as raised:
        parse_deck_mapping(data, filename="s.yaml")
    prefix = "item 2: " if field == "topics" else ""
    assert str(raised.value).endswith(
        f"field '{field}': {prefix}holds a lone surrogate (U+D83D), half of a character, "
        "which cannot be stored as text"
    )
