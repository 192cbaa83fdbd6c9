"""Which decks can be played in which mode, and the one-line reason when not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.decks import Card, Deck, default_card_id
from bot.domain.playable import UnplayableError, check_playable, different_answers
from bot.domain.questions import NotEnoughOptionsError, build_multiple_choice

MODES = ("multiple-choice", "flashcard", "typed", "review", "daily")


def _card(front: str, back: str, topic: str | None = None, *wrong: str) -> Card:
    return Card(default_card_id(front), front, back, topic, distractors=tuple(wrong))


def _deck(*cards: Card, topics: tuple[str, ...] = ()) -> Deck:
    return Deck("d", "D", "A deck.", None, topics, tuple(cards))


def _reason(deck: Deck, mode: str, topic: str | None = None) -> str | None:
    try:
        check_playable(deck, mode, topic=topic)
    except UnplayableError as error:
        assert "\n" not in error.message
        return error.message
    return None


def test_a_one_card_deck_plays_every_mode_but_multiple_choice() -> None:
    deck = _deck(_card("Q", "A"))
    for mode in ("flashcard", "typed", "review"):
        assert _reason(deck, mode) is None
    expected = (
        "Deck `d` has only 1 different answer: multiple choice needs 4 different answers "
        "per question."
    )
    assert _reason(deck, "multiple-choice") == expected
    assert _reason(deck, "daily") == expected


def test_answers_differing_only_in_case_and_spacing_count_once() -> None:
    deck = _deck(_card("Q1", "Yes"), _card("Q2", " yes "), _card("Q3", "YES"), _card("Q4", "No"))
    assert _reason(deck, "multiple-choice") == (
        "Deck `d` has only 2 different answers: multiple choice needs 4 different answers "
        "per question."
    )


def test_distractors_make_up_for_a_small_deck_card_by_card() -> None:
    rich = _card("Q1", "S3", "store", "EBS", "EFS", "FSx")
    deck = _deck(rich, _card("Q2", "EBS", "block"), topics=("store", "block"))
    assert _reason(deck, "multiple-choice", topic="store") is None
    assert _reason(deck, "multiple-choice", topic="block") == (
        "Deck `d` has only 2 different answers: multiple choice needs 4 different answers "
        "per question."
    )
    assert _reason(deck, "multiple-choice") == (
        "Deck `d` has only 2 different answers, and 1 card has too few wrong answers of its "
        "own: multiple choice needs 4 different answers per question."
    )
    error = pytest.raises(UnplayableError, check_playable, deck, "daily")
    assert error.value.too_few_answers
    assert error.value.suggesting("Try typed.").message.endswith("per question. Try typed.")


def test_a_topic_without_cards_cannot_be_played_at_all() -> None:
    deck = _deck(_card("Q", "A", "t"), topics=("t", "empty"))
    for mode in MODES:
        with pytest.raises(UnplayableError) as caught:
            check_playable(deck, mode, topic="empty")
        assert caught.value.message == "Topic `empty` of deck `d` has no cards to ask."
        assert not caught.value.too_few_answers
        assert caught.value.suggesting("Try another mode.") is caught.value


_text = st.sampled_from(["a", "A", "b", " b", "c", "d", "e", "f"])


@given(
    backs=st.lists(_text, min_size=1, max_size=6),
    wrong=st.lists(st.lists(_text, max_size=4), min_size=6, max_size=6),
    accepted=st.lists(st.lists(_text, max_size=2), min_size=6, max_size=6),
)
def test_the_rule_matches_what_question_building_can_do(
    backs: list[str], wrong: list[list[str]], accepted: list[list[str]]
) -> None:
    cards = [
        Card(
            default_card_id(f"Q{n}"),
            f"Q{n}",
            back,
            distractors=tuple(w for w in wrong[n] if w.strip() != back.strip()),
            accept=tuple(accepted[n]),
        )
        for n, back in enumerate(backs)
    ]
    deck = _deck(*cards)
    buildable = True
    for card in deck.cards:
        try:
            build_multiple_choice(deck, card, seed=1)
        except NotEnoughOptionsError as error:
            buildable = False
            assert error.available == different_answers(deck, card)
    assert (_reason(deck, "multiple-choice") is None) == buildable


def test_picture_answers_are_shown_but_never_chosen_typed_or_offered() -> None:
    from dataclasses import replace

    from bot.domain.decks import PICTURE_ONLY
    from bot.domain.questions import draw_cards

    texts = [_card(f"Q{n}", f"A{n}") for n in range(4)]
    pictured = replace(_card("Which valve?", PICTURE_ONLY), back_image="valve.png")
    asked = replace(_card("Which chamber?", "left ventricle"), front_image="heart.png")
    deck = _deck(*texts, pictured, asked)
    for mode in MODES:
        assert _reason(deck, mode) is None
    for seed in range(20):
        question = build_multiple_choice(deck, texts[0], seed=seed)
        assert PICTURE_ONLY not in question.options
        drawn = draw_cards(deck, count=6, seed=seed, text_answers=True)
        assert pictured not in drawn and len(drawn) == 5
    assert len(draw_cards(deck, count=6, seed=1)) == 6
    only = _deck(pictured)
    why = (
        "Deck `d` has only cards whose answer is a picture, which can be shown but not "
        "chosen or typed: play it as flashcards or reviews."
    )
    assert [_reason(only, mode) for mode in MODES] == [why, None, why, None, why]
    # The daily challenge is a text post: a question that needs its picture is not drawn.
    assert _reason(_deck(asked), "daily") == (
        "Deck `d` has only cards that ask with a picture, which a daily post does not show."
    )
    assert _reason(_deck(asked, *texts[:3]), "multiple-choice") is None


def test_checking_a_big_deck_reads_each_answer_a_few_times_not_once_per_card(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every /quiz, round and daily post checks its deck first, in the event loop: a
    # check that compared every card with every other took seconds on a deck of
    # thousands of cards, longer than Discord waits for an answer.
    from bot.domain import playable

    keyed: list[str] = []

    def counting_key(text: str) -> str:
        keyed.append(text)
        return text.casefold()

    monkeypatch.setattr(playable, "answer_key", counting_key)
    cards = [_card(f"Q{n}", f"A{n}", None, f"W{n}") for n in range(2_000)]
    deck = _deck(*cards)
    for mode in ("multiple-choice", "daily"):
        keyed.clear()
        check_playable(deck, mode)
        assert len(keyed) <= 3 * len(cards)
