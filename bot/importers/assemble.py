"""From cards as found to a validated deck: ids, titles, duplicates and limits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Final

from bot.domain.decks import (
    DECK_ID_PATTERN,
    MAX_CARD_TEXT,
    MAX_SOURCE,
    MAX_TITLE,
    MAX_TOPIC,
    PICTURE_ONLY,
    Deck,
    DeckError,
    card_key,
    parse_deck_mapping,
)
from bot.domain.words import plural
from bot.importers.model import (
    DeckImportError,
    ImportLimits,
    ImportProblem,
    PictureReport,
    RawDeck,
    Skipped,
    shown_name,
)

FALLBACK_ID: Final = "imported-deck"
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
_MAX_ID: Final = 63


@dataclass(frozen=True)
class ImportResult:
    """A deck ready to write or store, and what was left out of it."""

    deck: Deck
    skipped: tuple[Skipped, ...]
    format: str
    # Anki packages: what became of the pictures, and why the title is what it is.
    pictures: PictureReport = field(default_factory=PictureReport)
    title_reason: str | None = None


def slugify(text: str) -> str:
    """A deck id from a title: lowercase ASCII words joined by '-'; "" when none are left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.casefold()).strip("-")
    if len(slug) > _MAX_ID:
        cut = slug[:_MAX_ID]
        # End on a whole word when one ends reasonably late.
        slug = cut.rsplit("-", 1)[0] if cut.rfind("-") >= _MAX_ID // 2 else cut.rstrip("-")
    return slug


def title_from_filename(filename: str) -> str:
    stem = PurePath(filename.replace("\\", "/")).stem
    return " ".join(stem.replace("_", " ").split()) or "Imported deck"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _chosen_title(raw: RawDeck, filename: str, title: str | None) -> str:
    if title is not None:
        title = " ".join(title.split())
        if not title:
            raise DeckImportError.single(filename, "the title must not be empty.")
        if len(title) > MAX_TITLE:
            raise DeckImportError.single(
                filename, f"the title is too long ({len(title)} characters, at most {MAX_TITLE})."
            )
        return title
    return _clip(raw.title or title_from_filename(filename), MAX_TITLE)


def _chosen_id(filename: str, title: str, deck_id: str | None) -> str:
    if deck_id is not None:
        deck_id = deck_id.strip()
        if not DECK_ID_PATTERN.fullmatch(deck_id):
            raise DeckImportError.single(
                filename,
                f"`{deck_id[:80]}` is not a valid deck id: use lowercase letters, digits and "
                "'-', starting with a letter or digit, at most 63 characters.",
            )
        return deck_id
    return slugify(title) or slugify(title_from_filename(filename)) or FALLBACK_ID


def _too_long(side: str, text: str) -> str:
    return f"{side} is too long ({len(text):,} characters, at most {MAX_CARD_TEXT:,})"


def assemble(
    raw: RawDeck,
    *,
    filename: str,
    limits: ImportLimits,
    deck_id: str | None = None,
    title: str | None = None,
) -> ImportResult:
    """Skip empty, over-long and repeated cards, apply the limits, and validate the deck.

    `deck_id` and `title` win over what the file says; without an id the title's slug is
    used. Raises DeckImportError when no deck can be made.
    """
    chosen_title = _chosen_title(raw, filename, title)
    chosen_id = _chosen_id(filename, chosen_title, deck_id)
    skipped = list(raw.skipped)
    seen: dict[str, str] = {}
    topics: dict[str, str] = {}  # case-folded -> first spelling, as topics compare that way
    cards: list[dict[str, str]] = []
    for card in raw.cards:
        front, back = card.front.strip(), card.back.strip()
        # A side that is only a picture keeps the text decks give such sides.
        front = front or (PICTURE_ONLY if card.front_image else "")
        back = back or (PICTURE_ONLY if card.back_image else "")
        if not front and not back:
            skipped.append(Skipped(card.where, "empty row"))
        elif not front:
            skipped.append(Skipped(card.where, "empty front"))
        elif not back:
            skipped.append(Skipped(card.where, "empty back"))
        elif len(front) > MAX_CARD_TEXT:
            skipped.append(Skipped(card.where, _too_long("front", front)))
        elif len(back) > MAX_CARD_TEXT:
            skipped.append(Skipped(card.where, _too_long("back", back)))
        elif card_key(front, card.front_image) in seen:
            first = seen[card_key(front, card.front_image)]
            skipped.append(Skipped(card.where, f"duplicate of {first} ({_clip(front, 40)})"))
        else:
            seen[card_key(front, card.front_image)] = card.where
            entry = {"front": front, "back": back}
            entry.update(_picture_fields(card.front_image, card.back_image, card.explanation))
            if card.topic:
                topic = _clip(card.topic, MAX_TOPIC)
                entry["topic"] = topics.setdefault(topic.casefold(), topic)
            cards.append(entry)
    # Skips come from several passes; the file's order reads best.
    skipped.sort(key=_position)
    if not cards:
        problems = [ImportProblem(None, "no cards found.")]
        problems += [ImportProblem(s.where, f"skipped: {s.reason}") for s in skipped]
        raise DeckImportError(filename, problems)
    if len(cards) > limits.max_cards:
        raise DeckImportError.single(
            filename,
            f"it has {plural(len(cards), 'card')}; a deck holds at most {limits.max_cards:,}. "
            "Split it into several files.",
        )
    name = shown_name(filename)
    mapping = {
        "id": chosen_id,
        "title": chosen_title,
        "description": f"Imported from {name} ({raw.format}): {plural(len(cards), 'card')}.",
        "source": _clip(f"{raw.format} file {name}", MAX_SOURCE),
        "topics": list(topics.values()),
        "cards": cards,
    }
    try:
        deck = parse_deck_mapping(mapping, filename=filename)
    except DeckError as error:  # a rule of the deck format the steps above did not foresee
        raise DeckImportError(
            filename,
            [ImportProblem(None, str(p).removeprefix(f"{filename}: ")) for p in error.problems],
        ) from None
    return ImportResult(deck, tuple(skipped), raw.format, raw.pictures, raw.title_reason)


def _picture_fields(
    front_image: str | None, back_image: str | None, explanation: str | None
) -> dict[str, str]:
    """A card's pictures (and a cloze note's extra text), as the deck file names them."""
    fields: dict[str, str] = {}
    if front_image:
        fields["front_image"] = front_image
    if back_image:
        fields["back_image"] = back_image
    if explanation and len(explanation) <= MAX_CARD_TEXT:
        fields["explanation"] = explanation
    return fields


def _position(skipped: Skipped) -> tuple[str, int]:
    kind, _, number = skipped.where.partition(" ")
    return kind, int(number) if number.isdigit() else 0
