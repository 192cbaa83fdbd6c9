"""Topics from tags and deck names: the tag a meaningful group of cards shares, the
subdeck under the decks' common parent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

# Tags that say how a card is studied, not what it is about.
META_TAGS: Final = frozenset(
    {"-", "leech", "marked", "wichtig", "important", "todo", "to-do", "review", "difficult",
     "hard", "easy", "favorite", "favourite", "star", "starred", "duplicate", "suspended"}
)  # fmt: skip
DEFAULT_DECK: Final = "default"


def tag_name(tag: str) -> str:
    """A tag as a topic: Anki tags hold no spaces, so authors write them with underscores."""
    return " ".join(tag.replace("_", " ").split())


def is_meta(tag: str) -> bool:
    return tag.strip().casefold() in META_TAGS or not tag_name(tag)


def choose_topics(tag_lists: Sequence[Sequence[str]]) -> list[str | None]:
    """Each card's topic among its tags: the one shared by most cards, never a meta tag,
    never a tag on one card only, and a tag on every card only when no other is left."""
    counts: Counter[str] = Counter()
    for tags in tag_lists:
        counts.update({tag.casefold() for tag in tags if not is_meta(tag)})
    total = len(tag_lists)
    topics: list[str | None] = []
    for tags in tag_lists:
        best: tuple[bool, int] | None = None
        chosen: str | None = None
        for tag in tags:
            count = counts[tag.casefold()]
            if is_meta(tag) or count < 2:
                continue
            key = (count < total, count)
            if best is None or key > best:
                best, chosen = key, tag_name(tag)
        topics.append(chosen)
    return topics


def common_parent(decks: Sequence[str]) -> str | None:
    """The deck path every one of `decks` lies in ("Spanish" for "Spanish::Verbs" and
    "Spanish::Nouns"); None when they share none, or only Anki's "Default"."""
    paths = [[part.strip() for part in deck.split("::")] for deck in decks if deck.strip()]
    if not paths:
        return None
    shared: list[str] = []
    for parts in zip(*paths, strict=False):
        if len({part.casefold() for part in parts}) != 1:
            break
        shared.append(parts[0])
    parent = "::".join(shared)
    return parent if parent and parent.casefold() != DEFAULT_DECK else None


def subdeck_topic(deck: str, parent: str | None) -> str | None:
    """What a deck adds to the common parent: its topic ("Verbs" in "Spanish::Verbs")."""
    parts = [part.strip() for part in deck.split("::")]
    skip = len(parent.split("::")) if parent else 0
    rest = [part for part in parts[skip:] if part]
    return "::".join(rest) or None
