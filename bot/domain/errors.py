"""Errors raised by domain rules whose message can be shown to a member as is."""

from __future__ import annotations

from bot.domain.words import plural


class DomainError(Exception):
    """A rule was broken; `message` is written for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotEnoughOptionsError(DomainError):
    """The deck has too few different answers to fill a multiple-choice question."""

    def __init__(self, deck_id: str, available: int, needed: int = 4) -> None:
        self.deck_id = deck_id
        self.available = available
        self.needed = needed
        super().__init__(
            f"Deck `{deck_id}` has only {plural(available, 'different answer')}; "
            f"multiple choice needs at least {needed}. Try typed answers instead."
        )
