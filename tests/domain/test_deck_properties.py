"""Any input either loads as a deck or raises DeckError with a message; nothing else."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.decks import Deck, DeckError, parse_deck

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
cards = st.lists(
    st.fixed_dictionaries(
        {"front": st.text(max_size=40), "back": st.text(max_size=40)},
        optional={"topic": values, "id": values, "accept": values, "explanation": values},
    ),
    max_size=5,
)
decks = st.fixed_dictionaries(
    {"id": st.sampled_from(["d", "bad id", 3]), "title": values, "description": values},
    optional={"topics": values, "cards": st.one_of(cards, values), "source": values},
)


def _check(text: str) -> None:
    try:
        deck = parse_deck(text, filename="decks/d.yaml", expected_id="d")
    except DeckError as error:
        assert str(error).startswith("decks/d.yaml")
        assert error.problems
    else:
        assert isinstance(deck, Deck) and deck.cards


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads_or_explains(text: str) -> None:
    _check(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(decks)
def test_any_deck_shaped_mapping_loads_or_explains(data: dict[str, object]) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True))
