"""From cards as found to a validated deck: ids, titles, duplicates and limits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final

from bot.domain.decks import (
    DECK_ID_PATTERN,
    MAX_ACCEPT,
    MAX_CARD_TEXT,
    MAX_SOURCE,
    MAX_TITLE,
    MAX_TOPIC,
    PICTURE_ONLY,
    Deck,
    DeckError,
    answer_key,
    card_key,
    parse_deck_mapping,
)
from bot.domain.words import plural
from bot.importers.model import (
    DeckImportError,
    ImportLimits,
    ImportProblem,
    RawDeck,
    Skipped,
    shown_name,
)
from bot.importers.summary import EXAMPLES, ImportSummary, summarize

FALLBACK_ID: Final = "imported-deck"
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
_MAX_ID: Final = 63
# Other backs of a repeated front, or a trivia question's alternatives, kept per card.
MAX_ACCEPTED: Final = 20


@dataclass(frozen=True)
class ImportResult:
    """A deck ready to write or store, what was left out of it, and the summary to show."""

    deck: Deck
    skipped: tuple[Skipped, ...]
    format: str
    summary: ImportSummary


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


def _chosen_title(raw: RawDeck, filename: str, title: str | None) -> tuple[str, str]:
    """The title and why it was chosen."""
    if title is not None:
        title = " ".join(title.split())
        if not title:
            raise DeckImportError.single(filename, "the title must not be empty.")
        if len(title) > MAX_TITLE:
            raise DeckImportError.single(
                filename, f"the title is too long ({len(title)} characters, at most {MAX_TITLE})."
            )
        return title, "given with the import"
    if raw.title and raw.title.strip():
        return _clip(raw.title, MAX_TITLE), raw.title_reason or "named in the file"
    return _clip(title_from_filename(filename), MAX_TITLE), "the file's name"


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


def _too_long(side: str) -> str:
    return f"{side} over {MAX_CARD_TEXT:,} characters"


@dataclass
class _Kept:
    entry: dict[str, object]
    where: str
    back_key: str
    accept: list[str]
    accept_keys: set[str]


def _add_accepted(kept: _Kept, text: str) -> bool:
    """Add `text` to the card's accepted answers; False when it is too long to be one."""
    key = answer_key(text)
    if key == kept.back_key or key in kept.accept_keys:
        return True
    if len(text) > MAX_ACCEPT or len(kept.accept) >= MAX_ACCEPTED:
        return False
    kept.accept_keys.add(key)
    kept.accept.append(" ".join(text.split()))
    return True


def assemble(
    raw: RawDeck,
    *,
    filename: str,
    limits: ImportLimits,
    deck_id: str | None = None,
    title: str | None = None,
) -> ImportResult:
    """Skip empty and over-long cards, merge repeated fronts, apply the limits, and validate.

    A front seen before with the same back is skipped; with another back, that back becomes
    an accepted answer of the first card ("richtig": "correct", then "right"). `deck_id`
    and `title` win over what the file says; without an id the title's slug is used.
    Raises DeckImportError when no deck can be made.
    """
    chosen_title, title_reason = _chosen_title(raw, filename, title)
    chosen_id = _chosen_id(filename, chosen_title, deck_id)
    skipped = list(raw.skipped)
    notes = list(raw.notes)
    seen: dict[str, _Kept] = {}
    topics: dict[str, str] = {}  # case-folded -> first spelling, as topics compare that way
    kept_cards: list[_Kept] = []
    merged: list[str] = []
    dropped_accepts = 0
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
            skipped.append(Skipped(card.where, _too_long("front"), f"{len(front):,}"))
        elif len(back) > MAX_CARD_TEXT:
            skipped.append(Skipped(card.where, _too_long("back"), f"{len(back):,}"))
        elif (first := seen.get(card_key(front, card.front_image))) is not None:
            if answer_key(back) == first.back_key or answer_key(back) in first.accept_keys:
                skipped.append(
                    Skipped(card.where, "repeats an earlier card", f"same as {first.where}")
                )
            elif _add_accepted(first, back):
                merged.append(f"{card.where} into {first.where}")
            else:
                skipped.append(
                    Skipped(
                        card.where,
                        "repeats an earlier front, with a back too long to accept as well",
                        f"same front as {first.where}",
                    )
                )
        else:
            entry: dict[str, object] = {"front": front, "back": back}
            entry.update(_picture_fields(card.front_image, card.back_image, card.explanation))
            if card.topic and card.topic.strip():
                topic = _clip(card.topic, MAX_TOPIC)
                entry["topic"] = topics.setdefault(topic.casefold(), topic)
            kept = _Kept(entry, card.where, answer_key(back), [], set())
            for other in card.accept:
                if other.strip() and not _add_accepted(kept, other.strip()):
                    dropped_accepts += 1
            seen[card_key(front, card.front_image)] = kept
            kept_cards.append(kept)
    if merged:
        shown = ", ".join(merged[:EXAMPLES]) + (", …" if len(merged) > EXAMPLES else "")
        notes.append(
            f"{plural(len(merged), 'card repeats', 'cards repeat')} an earlier front with "
            "another back: kept as one card, the other backs accepted as answers "
            f"({shown})."
        )
    if dropped_accepts:
        notes.append(
            f"{plural(dropped_accepts, 'other answer was', 'other answers were')} left out: "
            f"an accepted answer holds at most {MAX_ACCEPT} characters, and a card "
            f"{MAX_ACCEPTED} of them."
        )
    cards: list[dict[str, object]] = []
    for kept in kept_cards:
        if kept.accept:
            kept.entry["accept"] = kept.accept
        cards.append(kept.entry)
    # Skips come from several passes; the file's order reads best.
    skipped.sort(key=_position)
    if not cards:
        problems = [ImportProblem(None, "no cards found.")]
        problems += [
            ImportProblem(s.where, "skipped: " + str(s).removeprefix(f"{s.where}: "))
            for s in skipped
        ]
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
    summary = summarize(
        filename=name,
        format=raw.format,
        deck_id=deck.id,
        title=deck.title,
        title_reason=title_reason,
        cards=len(deck.cards),
        skipped=skipped,
        topics=deck.topic_counts().items(),
        without_topic=sum(1 for card in deck.cards if card.topic is None),
        # The pictures the deck's cards show: one copied for a card skipped after all
        # (a repeat) is not kept with the deck, so it is not counted.
        pictures=len({n for c in deck.cards for n in (c.front_image, c.back_image) if n}),
        pictures_left_out=raw.pictures_left_out,
        notes=notes,
    )
    return ImportResult(deck, tuple(skipped), raw.format, summary)


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
