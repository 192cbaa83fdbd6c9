"""The decks a server can use, and finding one by a half-typed name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.decks import Deck
from bot.domain.errors import DomainError
from bot.domain.markdown import code

# Discord shows at most 25 autocomplete choices.
MAX_CHOICES = 25
# Below this WRatio score a deck is not offered as a suggestion for a typo.
SUGGESTION_CUTOFF = 60.0


class UnknownDeckError(DomainError):
    """No deck has the id the member gave."""

    def __init__(self, query: str, suggestions: tuple[str, ...]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean {', '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
        shown = code(query if len(query) <= 100 else query[:99] + "…")
        super().__init__(f"There is no deck called {shown}.{hint} `/decks list` shows them all.")


class UnknownTopicError(DomainError):
    """The deck has no topic of that name."""

    def __init__(self, deck: Deck, topic: str) -> None:
        self.topic = topic
        listed = ", ".join(code(t) for t in deck.topics) or "none"
        shown = code(topic if len(topic) <= 100 else topic[:99] + "…")
        super().__init__(f"Deck `{deck.id}` has no topic {shown}. Its topics: {listed}.")


@dataclass(frozen=True)
class DeckCatalog:
    """An immutable set of loaded decks keyed by id.

    `server_deck_ids` names the decks one server imported; such a catalog is made by
    `with_server_decks` for that server only.
    """

    decks: dict[str, Deck]
    server_deck_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, decks: Iterable[Deck]) -> DeckCatalog:
        return cls({deck.id: deck for deck in decks})

    def __len__(self) -> int:
        return len(self.decks)

    def with_server_decks(self, decks: Iterable[Deck]) -> DeckCatalog:
        """A new catalog with a server's own decks added; one may shadow a shipped deck's id."""
        own = {deck.id: deck for deck in decks}
        if not own:
            return self
        return DeckCatalog({**self.decks, **own}, self.server_deck_ids | frozenset(own))

    def is_server_deck(self, deck_id: str) -> bool:
        return deck_id in self.server_deck_ids

    def all(self) -> list[Deck]:
        """Decks sorted by title, the order lists show them in."""
        return sorted(self.decks.values(), key=lambda d: (d.title.casefold(), d.id))

    def get(self, deck_id: str) -> Deck:
        deck = self.decks.get(deck_id.strip())
        if deck is None:
            raise UnknownDeckError(deck_id, tuple(self.search(deck_id, limit=3, strict=True)))
        return deck

    def default(self) -> Deck | None:
        """The deck to use when a member names none: the only one, if there is one."""
        return next(iter(self.decks.values())) if len(self.decks) == 1 else None

    def studied_last(self, deck_ids_recent_first: Iterable[str]) -> Deck | None:
        """The deck to show when a member names none: the installed deck they studied
        most recently, else the only deck, if there is one."""
        for deck_id in deck_ids_recent_first:
            if deck_id in self.decks:
                return self.decks[deck_id]
        return self.default()

    def search(self, query: str, *, limit: int = MAX_CHOICES, strict: bool = False) -> list[str]:
        """Deck ids matching a half-typed id or title, best first.

        An empty query lists decks by title. `strict` drops weak matches, for
        "did you mean" hints where a poor guess is worse than none.
        """
        query = query.strip().casefold()
        if not query:
            return [deck.id for deck in self.all()][:limit]
        haystack = {deck.id: f"{deck.id} {deck.title}".casefold() for deck in self.decks.values()}
        # Substring hits first: a member typing "mla" expects the deck that contains it.
        direct = sorted(deck_id for deck_id, text in haystack.items() if query in text)
        scored = process.extract(
            query,
            haystack,
            scorer=fuzz.WRatio,
            limit=None,
            score_cutoff=SUGGESTION_CUTOFF if strict else 40.0,
        )
        fuzzy = [key for _, _, key in scored if key not in direct]
        return (direct + fuzzy)[:limit]

    def topic_of(self, deck: Deck, topic: str | None) -> str | None:
        """Check a topic name against the deck, matching case-insensitively."""
        if topic is None or not topic.strip():
            return None
        for known in deck.topics:
            if known.casefold() == topic.strip().casefold():
                return known
        raise UnknownTopicError(deck, topic)
