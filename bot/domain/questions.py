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
    same_topic: list[str] = []
    elsewhere: list[str] = []
    for other in deck.cards:
        if other.id == card.id:
            continue
        if card.topic is not None and other.topic == card.topic:
            same_topic.append(other.back)
        else:
            elsewhere.append(other.back)

    wrong: list[str] = []
    # Options are told apart the way a reader would: case and spacing do not count. An
    # answer the card accepts as right is never offered as a wrong one.
    accepted = {answer_key(text) for text in card.accept} - {answer_key(card.back)}
    seen = {answer_key(card.back), *accepted}
    for pool in (list(card.distractors), same_topic, elsewhere):
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


def draw_cards(deck: Deck, *, count: int, topic: str | None = None, seed: int | str) -> list[Card]:
    """Up to `count` different cards in a seed-determined order, optionally from one topic.

    Returns fewer cards when the deck or the topic has fewer.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    pool = list(deck.cards) if topic is None else list(deck.cards_in_topic(topic))
    rng = _rng(f"{seed}:{deck.id}:{topic or ''}")
    return rng.sample(pool, min(count, len(pool)))
