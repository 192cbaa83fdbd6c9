"""Multiple-choice questions and card draws."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.answers import Letter
from bot.domain.decks import PICTURE_ONLY, Card, Deck, default_card_id, load_deck_file
from bot.domain.errors import DomainError
from bot.domain.questions import (
    MultipleChoiceQuestion,
    NotEnoughOptionsError,
    build_multiple_choice,
    draw_cards,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = REPO_ROOT / "decks" / "aws-mla-c01-deployment.yaml"
SEEDS = [0, 1, 2, 7, 42, "abc", "session-123", 10**12]


def _card(
    front: str, back: str, topic: str | None = None, distractors: tuple[str, ...] = ()
) -> Card:
    return Card(default_card_id(front), front, back, topic, distractors=distractors)


def _deck(*cards: Card, topics: tuple[str, ...] = ()) -> Deck:
    return Deck("test", "Test", "A test deck.", None, topics, tuple(cards))


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


# A topic with exactly four cards next to a bigger one, so preference is visible.
STORAGE = [
    _card("What is S3?", "Object storage", "Storage"),
    _card("What is EBS?", "Block storage", "Storage"),
    _card("What is EFS?", "Shared file storage", "Storage"),
    _card("What is Glacier?", "Archive storage", "Storage"),
]
COMPUTE = [_card(f"Compute question {n}", f"Compute answer {n}", "Compute") for n in range(1, 9)]
MIXED = _deck(*STORAGE, *COMPUTE, topics=("Storage", "Compute"))


def _check_question(deck: Deck, card: Card, question: MultipleChoiceQuestion) -> None:
    assert len(question.options) == 4
    assert len({_norm(option) for option in question.options}) == 4
    assert question.options.count(card.back) == 1
    assert question.options[question.correct_index] == card.back
    assert question.correct_letter == "ABCD"[question.correct_index]
    assert question.correct_option == card.back
    assert question.prompt == card.front
    assert question.card_id == card.id


def test_every_card_of_the_shipped_deck_makes_a_valid_question() -> None:
    deck = load_deck_file(SHIPPED)
    for card in deck.cards:
        for seed in SEEDS:
            _check_question(deck, card, build_multiple_choice(deck, card, seed=seed))


def test_same_topic_answers_are_preferred() -> None:
    card = STORAGE[0]
    others = {c.back for c in STORAGE[1:]}
    for seed in SEEDS:
        question = build_multiple_choice(MIXED, card, seed=seed)
        _check_question(MIXED, card, question)
        assert set(question.options) - {card.back} == others


def test_rest_of_deck_fills_in_when_the_topic_is_small() -> None:
    small_topic = [_card("What is S3?", "Object storage", "Storage"), *COMPUTE]
    deck = _deck(*small_topic, topics=("Storage", "Compute"))
    question = build_multiple_choice(deck, small_topic[0], seed=1)
    _check_question(deck, small_topic[0], question)


def test_author_distractors_come_first() -> None:
    card = _card(
        "What is S3?",
        "Object storage",
        "Storage",
        distractors=("A relational database", "A message queue"),
    )
    deck = _deck(card, *STORAGE[1:], *COMPUTE, topics=("Storage", "Compute"))
    for seed in SEEDS:
        question = build_multiple_choice(deck, card, seed=seed)
        _check_question(deck, card, question)
        wrong = set(question.options) - {card.back}
        assert {"A relational database", "A message queue"} <= wrong
        # The third wrong answer still comes from the same topic.
        assert (wrong - set(card.distractors)) <= {c.back for c in STORAGE[1:]}


def test_three_author_distractors_fill_the_question() -> None:
    distractors = ("A database", "A queue", "A CDN")
    card = _card("What is S3?", "Object storage", "Storage", distractors=distractors)
    deck = _deck(card, *STORAGE[1:], topics=("Storage",))
    question = build_multiple_choice(deck, card, seed=3)
    assert set(question.options) == {card.back, *distractors}


def test_answers_that_differ_only_in_case_or_spacing_are_one_option() -> None:
    cards = [
        _card("Q1", "Object storage"),
        _card("Q2", "object  STORAGE"),
        _card("Q3", "Block storage"),
        _card("Q4", "block storage "),
        _card("Q5", "File storage"),
        _card("Q6", "Archive storage"),
    ]
    deck = _deck(*cards)
    for seed in SEEDS:
        question = build_multiple_choice(deck, cards[0], seed=seed)
        _check_question(deck, cards[0], question)
    # Only three different answers although there are four cards.
    with pytest.raises(NotEnoughOptionsError):
        build_multiple_choice(_deck(*cards[:4], cards[4]), cards[4], seed=1)


def test_an_answer_the_card_accepts_is_never_offered_as_a_wrong_one() -> None:
    richtig = Card(default_card_id("richtig"), "richtig", "correct", accept=("right",))
    others = [_card("korrekt", "Right"), _card("falsch", "wrong"), _card("gut", "good")]
    deck = _deck(richtig, *others, _card("schlecht", "bad"))
    for seed in SEEDS:
        question = build_multiple_choice(deck, richtig, seed=seed)
        _check_question(deck, richtig, question)
        assert "Right" not in question.options
    with pytest.raises(NotEnoughOptionsError) as caught:
        build_multiple_choice(_deck(richtig, *others), richtig, seed=1)
    assert caught.value.available == 3


def test_same_seed_gives_the_same_question() -> None:
    deck = load_deck_file(SHIPPED)
    card = deck.cards[5]
    first = build_multiple_choice(deck, card, seed="session-9")
    assert build_multiple_choice(deck, card, seed="session-9") == first


def test_different_seeds_give_different_orders() -> None:
    deck = load_deck_file(SHIPPED)
    card = deck.cards[5]
    questions = {build_multiple_choice(deck, card, seed=seed).options for seed in range(8)}
    assert len(questions) > 1
    positions = {build_multiple_choice(deck, card, seed=seed).correct_index for seed in range(8)}
    assert len(positions) > 1


def test_questions_do_not_depend_on_the_process_hash_seed() -> None:
    # A restarted bot must rebuild the question it showed; hash() changes per process.
    script = (
        "from bot.domain.decks import load_deck_file\n"
        "from bot.domain.questions import build_multiple_choice, draw_cards\n"
        f"deck = load_deck_file({str(SHIPPED)!r})\n"
        "cards = draw_cards(deck, count=5, topic=None, seed='s')\n"
        "print([build_multiple_choice(deck, c, seed='s').options for c in cards])\n"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_a_three_card_deck_cannot_make_multiple_choice() -> None:
    deck = _deck(*STORAGE[:3])
    with pytest.raises(NotEnoughOptionsError) as caught:
        build_multiple_choice(deck, STORAGE[0], seed=1)
    assert isinstance(caught.value, DomainError)
    assert caught.value.available == 3
    assert "multiple choice needs at least 4" in caught.value.message


def test_question_rejects_an_impossible_index() -> None:
    with pytest.raises(ValueError):
        MultipleChoiceQuestion("c", "Q", ("a", "b", "c", "d"), 4)
    question = MultipleChoiceQuestion("c", "Q", ("a", "b", "c", "d"), 2)
    assert tuple(Letter) == ("A", "B", "C", "D")
    assert question.correct_letter == "C"
    assert question.is_correct(2)
    assert not question.is_correct(0)


# --------------------------------------------------------------------------- draws


def test_draw_cards_without_repetition() -> None:
    drawn = draw_cards(MIXED, count=10, topic=None, seed=5)
    assert len(drawn) == 10
    assert len({card.id for card in drawn}) == 10


def test_draw_cards_is_deterministic_per_seed() -> None:
    first = draw_cards(MIXED, count=6, topic=None, seed="x")
    assert draw_cards(MIXED, count=6, topic=None, seed="x") == first
    orders = {tuple(c.id for c in draw_cards(MIXED, count=6, topic=None, seed=s)) for s in SEEDS}
    assert len(orders) > 1


def test_draw_cards_filters_by_topic_and_returns_fewer_when_short() -> None:
    drawn = draw_cards(MIXED, count=10, topic="Storage", seed=1)
    assert sorted(c.id for c in drawn) == sorted(c.id for c in STORAGE)
    assert draw_cards(MIXED, count=2, topic="Storage", seed=1)[0].topic == "Storage"
    assert draw_cards(MIXED, count=3, topic="Networking", seed=1) == []
    assert draw_cards(MIXED, count=0, topic=None, seed=1) == []
    assert len(draw_cards(MIXED, count=100, topic=None, seed=1)) == len(MIXED.cards)


def test_draw_cards_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError):
        draw_cards(MIXED, count=-1, topic=None, seed=1)


# -------------------------------------------------------- rules pinned by mutation testing


def test_a_stored_seed_rebuilds_the_same_question_and_draw_in_every_release() -> None:
    # A quiz stores only its seed; after a restart into an updated bot it must show the same
    # options in the same order and the same next cards, so these values never change.
    question = build_multiple_choice(MIXED, STORAGE[0], seed="session-123")
    assert question.options == (
        "Archive storage",
        "Object storage",
        "Shared file storage",
        "Block storage",
    )
    assert question.correct_index == 1
    drawn = draw_cards(MIXED, count=4, topic=None, seed="session-123")
    assert [card.front for card in drawn] == [
        "Compute question 7",
        "Compute question 3",
        "What is EBS?",
        "Compute question 2",
    ]
    in_topic = draw_cards(MIXED, count=4, topic="Storage", seed="session-123")
    assert [card.front for card in in_topic] == [
        "What is Glacier?",
        "What is EFS?",
        "What is S3?",
        "What is EBS?",
    ]


def test_impossible_indexes_and_counts_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="^correct_index must be 0-3, got 4$"):
        MultipleChoiceQuestion("c", "Q", ("a", "b", "c", "d"), 4)
    with pytest.raises(ValueError, match="^count must not be negative, got -1$"):
        draw_cards(MIXED, count=-1, topic=None, seed=1)


def _options_as_the_rule_reads(deck: Deck, card: Card, seed: str) -> tuple[str, ...] | int:
    """The options the rule gives, walking the whole deck for each question: the card's
    own wrong answers, then its topic's backs, then the rest, each pool shuffled in turn
    with the question's seed, in deck order. An int: how many answers there were."""
    rng = random.Random(int.from_bytes(hashlib.sha256(f"{seed}:{card.id}".encode()).digest()[:16]))
    same: list[str] = []
    rest: list[str] = []
    for other in deck.cards:
        if other.id == card.id or other.picture_answer:
            continue
        (same if card.topic is not None and other.topic == card.topic else rest).append(other.back)
    accepted = {_norm(text) for text in card.accept} - {_norm(card.back)}
    seen = {_norm(card.back), *accepted}
    wrong: list[str] = []
    for pool in (list(card.distractors), same, rest):
        rng.shuffle(pool)
        for text in pool:
            if _norm(text) not in seen and len(wrong) < 3:
                seen.add(_norm(text))
                wrong.append(text)
        if len(wrong) == 3:
            break
    if len(wrong) < 3:
        return len(seen) - len(accepted)
    options = [card.back, *wrong]
    rng.shuffle(options)
    return tuple(options)


_few_words = st.sampled_from(["A", "a", " B ", "b", "C", "D", "E", "F", "G"])


@settings(max_examples=150, deadline=None)
@given(
    shapes=st.lists(
        st.tuples(
            _few_words,
            st.sampled_from([None, "t1", "t2", "t3"]),
            st.lists(_few_words, max_size=3),
            st.lists(_few_words, max_size=2),
            st.booleans(),
        ),
        min_size=1,
        max_size=14,
    ),
    seed=st.sampled_from(["s", "session-9", "daily:1:2026-03-02"]),
)
def test_questions_of_a_deck_with_topics_in_any_order_follow_the_rule(
    shapes: list[tuple[str, str | None, list[str], list[str], bool]], seed: str
) -> None:
    # The deck keeps its backs by topic so a question does not walk every card; the
    # options must stay those of the rule, card for card and in the same order.
    cards = tuple(
        Card(
            default_card_id(f"Q{n}"),
            f"Q{n}",
            PICTURE_ONLY if picture else back,
            topic,
            distractors=tuple(w for w in wrong if _norm(w) != _norm(back)),
            accept=tuple(accept),
            back_image="p.png" if picture else None,
        )
        for n, (back, topic, wrong, accept, picture) in enumerate(shapes)
    )
    deck = Deck("d", "D", "A deck.", None, ("t1", "t2", "t3"), cards)
    for card in cards:
        if card.picture_answer:
            continue
        want = _options_as_the_rule_reads(deck, card, seed)
        try:
            got: tuple[str, ...] | int = build_multiple_choice(deck, card, seed=seed).options
        except NotEnoughOptionsError as error:
            got = error.available
        assert got == want
