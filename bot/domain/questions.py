"""Multiple-choice questions and card draws, reproducible from a seed.

Randomness comes from `random.Random` seeded with a SHA-256 of the seed, never from
`hash()`, which changes between processes: a restarted bot must rebuild the very
question it showed before.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from bot.domain.answers import Letter, is_correct
from bot.domain.decks import Card, Deck, answer_key
from bot.domain.errors import NotEnoughOptionsError

__all__ = [
    "MultipleChoiceQuestion",
    "NotEnoughOptionsError",
    "build_multiple_choice",
    "draw_cards",
]

OPTION_COUNT = 4


def _rng(material: str) -> random.Random:
    digest = hashlib.sha256(material.encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


@dataclass(frozen=True)
class MultipleChoiceQuestion:
    """A card's front with four answers, exactly one of them the card's back."""

    card_id: str
    prompt: str
    options: tuple[str, str, str, str]
    correct_index: int

    def __post_init__(self) -> None:
        if not 0 <= self.correct_index < OPTION_COUNT:
            raise ValueError(f"correct_index must be 0-3, got {self.correct_index}")

    @property
    def correct_letter(self) -> Letter:
        return Letter.at(self.correct_index)

    @property
    def correct_option(self) -> str:
        return self.options[self.correct_index]

    def is_correct(self, index: int) -> bool:
        in_range = 0 <= index < OPTION_COUNT
        return in_range and is_correct(Letter.at(index), correct_index=self.correct_index)


def build_multiple_choice(deck: Deck, card: Card, *, seed: int | str) -> MultipleChoiceQuestion:
    """Ask `card` with its back among three wrong answers.

    Wrong answers come first from the card's own distractors, then from backs of
    cards in the same topic (harder to tell apart), then from the rest of the deck.
    Raises NotEnoughOptionsError when fewer than four different answers exist.
    """
    rng = _rng(f"{seed}:{card.id}")

    def own() -> list[str]:
        return list(card.distractors)

    def same_topic() -> list[str]:
        if card.topic is None:
            return []
        backs = deck.option_backs_by_topic.get(card.topic, ())
        return [back for other, back in backs if other != card.id]

    def elsewhere() -> list[str]:
        # The rest of the deck, in deck order; made only when the first pools run short.
        return [
            back
            for other, topic, back in deck.option_backs
            if other != card.id and (card.topic is None or topic != card.topic)
        ]

    wrong: list[str] = []
    # Options are told apart the way a reader would: case and spacing do not count. An
    # answer the card accepts as right is never offered as a wrong one. A picture cannot
    # be an option: options are written out as text.
    accepted = {answer_key(text) for text in card.accept} - {answer_key(card.back)}
    seen = {answer_key(card.back), *accepted}
    for make_pool in (own, same_topic, elsewhere):
        pool = make_pool()
        rng.shuffle(pool)
        for text in pool:
            key = answer_key(text)
            if key in seen:
                continue
            seen.add(key)
            wrong.append(text)
            if len(wrong) == OPTION_COUNT - 1:
                break
        if len(wrong) == OPTION_COUNT - 1:
            break
    if len(wrong) < OPTION_COUNT - 1:
        # Every pool was used up, so `seen` holds all the different answers there are.
        raise NotEnoughOptionsError(
            deck.id, available=len(seen) - len(accepted), needed=OPTION_COUNT
        )

    options = [card.back, *wrong]
    rng.shuffle(options)
    correct_index = options.index(card.back)
    return MultipleChoiceQuestion(
        card_id=card.id,
        prompt=card.front,
        options=(options[0], options[1], options[2], options[3]),
        correct_index=correct_index,
    )


def draw_cards(
    deck: Deck,
    *,
    count: int,
    topic: str | None = None,
    seed: int | str,
    text_answers: bool = False,
) -> list[Card]:
    """Up to `count` different cards in a seed-determined order, optionally from one topic;
    with `text_answers`, only cards whose answer can be chosen or typed (not a picture).

    Returns fewer cards when the deck or the topic has fewer.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    pool = list(deck.cards) if topic is None else list(deck.cards_in_topic(topic))
    if text_answers:
        pool = [card for card in pool if not card.picture_answer]
    rng = _rng(f"{seed}:{deck.id}:{topic or ''}")
    return rng.sample(pool, min(count, len(pool)))
