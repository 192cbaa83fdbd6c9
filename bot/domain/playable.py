"""Whether a deck, or one topic of it, can be played in a mode, and if not, why.

Every way of asking questions (`/quiz`, `/review`, the daily challenge, the terminal
practice) asks this before building any, so a deck that `decks check` accepts is
either played or refused with one line saying why, never with a traceback.
"""

from __future__ import annotations

from bot.domain.answers import Mode
from bot.domain.decks import Card, Deck, answer_key
from bot.domain.errors import DomainError
from bot.domain.questions import OPTION_COUNT
from bot.domain.words import plural

__all__ = ["UnplayableError", "check_playable", "different_answers", "needs_text_answers"]


class UnplayableError(DomainError):
    """The deck (or topic) cannot be played in that mode; the message says why.

    `too_few_answers` tells that only multiple choice is out: other modes still work.
    """

    def __init__(
        self, message: str, *, deck_id: str, mode: Mode, too_few_answers: bool = False
    ) -> None:
        super().__init__(message)
        self.deck_id = deck_id
        self.mode = mode
        self.too_few_answers = too_few_answers

    def suggesting(self, hint: str) -> UnplayableError:
        """The same reason followed by what to do instead, when another mode works."""
        if not self.too_few_answers:
            return self
        return UnplayableError(
            f"{self.message} {hint}", deck_id=self.deck_id, mode=self.mode, too_few_answers=True
        )


def different_answers(deck: Deck, card: Card) -> int:
    """How many different answers a multiple-choice question of `card` can offer.

    Options come from every back in the deck and the card's own wrong answers, told
    apart as a reader would (case and spacing do not count), except the other answers
    the card accepts as right.
    """
    return _different_answers(deck.answer_keys, card)


def _different_answers(deck_answers: frozenset[str], card: Card) -> int:
    """`different_answers`, given the deck's answers: counted from the card's own few
    texts, so checking every card of a big deck stays linear in its size."""
    if not card.distractors and not card.accept:
        return len(deck_answers)
    own = {answer_key(text) for text in card.distractors} - deck_answers
    accepted = {answer_key(text) for text in card.accept} - {answer_key(card.back)}
    withheld = {key for key in accepted if key in deck_answers or key in own}
    return len(deck_answers) + len(own) - len(withheld)


def needs_text_answers(mode: Mode) -> bool:
    """Whether the mode asks to choose or type the answer, so a picture cannot be one."""
    return Mode(mode).has_options or Mode(mode) is Mode.TYPED


def check_playable(deck: Deck, mode: Mode, *, topic: str | None = None) -> None:
    """Raise UnplayableError when `deck` (or its `topic`) cannot be played in `mode`.

    Any mode needs a card to ask. Multiple choice (and the daily challenge) needs
    four different answers for every card that may be drawn.
    """
    pool = deck.cards if topic is None else deck.cards_in_topic(topic)
    if not pool:
        where = f"Topic `{topic}` of deck `{deck.id}`" if topic else f"Deck `{deck.id}`"
        raise UnplayableError(f"{where} has no cards to ask.", deck_id=deck.id, mode=mode)
    if needs_text_answers(mode):
        # A card whose answer is only a picture is shown (flashcards, reviews), never
        # chosen among options or typed.
        pool = tuple(card for card in pool if not card.picture_answer)
        if Mode(mode) is Mode.DAILY and pool:  # a channel post of text: no question's picture
            pool = tuple(card for card in pool if not card.front_image)
            if not pool:
                where = f"Topic `{topic}` of deck `{deck.id}`" if topic else f"Deck `{deck.id}`"
                raise UnplayableError(
                    f"{where} has only cards that ask with a picture, which a daily post "
                    "does not show.",
                    deck_id=deck.id,
                    mode=mode,
                )
        if not pool:
            where = f"Topic `{topic}` of deck `{deck.id}`" if topic else f"Deck `{deck.id}`"
            raise UnplayableError(
                f"{where} has only cards whose answer is a picture, which can be shown "
                "but not chosen or typed: play it as flashcards or reviews.",
                deck_id=deck.id,
                mode=mode,
            )
    if not Mode(mode).has_options:
        return
    deck_answers = deck.answer_keys
    short = [card for card in pool if _different_answers(deck_answers, card) < OPTION_COUNT]
    if not short:
        return
    answers = plural(len(deck_answers), "different answer")
    if len(short) == len(pool):
        reason = f"Deck `{deck.id}` has only {answers}"
    else:
        one = len(short) == 1
        count = plural(len(short), "card")
        reason = (
            f"Deck `{deck.id}` has only {answers}, and {count}"
            f"{f' of topic `{topic}`' if topic else ''} {'has' if one else 'have'} too few "
            f"wrong answers of {'its' if one else 'their'} own"
        )
    raise UnplayableError(
        f"{reason}: multiple choice needs {OPTION_COUNT} different answers per question.",
        deck_id=deck.id,
        mode=mode,
        too_few_answers=True,
    )
