"""From cards as found to a deck: ids, titles, limits and the messages that list problems."""

from __future__ import annotations

import pytest

from bot.importers import SERVER_LIMITS, DeckImportError, ImportLimits, slugify
from bot.importers.assemble import assemble
from bot.importers.model import ImportProblem, RawCard, RawDeck


def raw(count: int, *, title: str | None = None) -> RawDeck:
    cards = [RawCard(f"front {i}", f"back {i}", None, f"line {i + 1}") for i in range(count)]
    return RawDeck(format="CSV", title=title, cards=cards)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("AWS MLA-C01: Deployment & Operations", "aws-mla-c01-deployment-operations"),
        ("Français — verbes irréguliers", "francais-verbes-irreguliers"),
        ("  --Spanish::Verbs--  ", "spanish-verbs"),
        ("日本語", ""),
        ("word " * 30, "word-" * 11 + "word"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_the_id_falls_back_to_the_file_name_then_a_fixed_one() -> None:
    deck = assemble(raw(1, title="日本語"), filename="kanji_n5.csv", limits=SERVER_LIMITS).deck
    assert (deck.id, deck.title) == ("kanji-n5", "日本語")
    deck = assemble(raw(1, title="日本語"), filename="漢字.csv", limits=SERVER_LIMITS).deck
    assert deck.id == "imported-deck"


def test_the_deck_says_where_it_came_from() -> None:
    deck = assemble(raw(2), filename="dir/My `deck`.csv", limits=SERVER_LIMITS).deck
    assert deck.title == "My `deck`"
    assert deck.description == "Imported from My 'deck'.csv (CSV): 2 cards."
    assert deck.source == "CSV file My 'deck'.csv"
    one = assemble(raw(1), filename="one.csv", limits=SERVER_LIMITS).deck
    assert one.description == "Imported from one.csv (CSV): 1 card."


def test_an_invalid_id_or_title_given_is_refused() -> None:
    with pytest.raises(DeckImportError, match="`Not Valid` is not a valid deck id"):
        assemble(raw(1), filename="a.csv", limits=SERVER_LIMITS, deck_id="Not Valid")
    with pytest.raises(DeckImportError, match="the title is too long"):
        assemble(raw(1), filename="a.csv", limits=SERVER_LIMITS, title="t" * 201)


def test_at_most_the_limits_cards() -> None:
    limits = ImportLimits(max_file_bytes=1000, max_cards=5000, max_unpacked_bytes=1000)
    assert len(assemble(raw(5000), filename="a.csv", limits=limits).deck.cards) == 5000
    with pytest.raises(DeckImportError) as raised:
        assemble(raw(5001), filename="a.csv", limits=limits)
    assert str(raised.value) == (
        "`a.csv` was not imported: it has 5,001 cards; a deck holds at most 5,000. "
        "Split it into several files."
    )


def test_a_long_list_of_problems_fits_one_discord_message() -> None:
    problems = [ImportProblem(f"line {n}", "no tab between front and back") for n in range(500)]
    error = DeckImportError("big.tsv", problems)
    text = str(error)
    assert len(text) <= 2000
    assert text.startswith("`big.tsv` was not imported:\n- line 0: no tab")
    assert text.endswith("more.")
    assert len(error.lines()) == 101 and error.lines()[-1] == "400 more problems not shown"
