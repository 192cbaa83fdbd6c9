"""Flashcard decks: the YAML file format, its validation and the frozen model.

A deck file is read with PyYAML's safe loader only. Every problem found in a
file is collected and reported together, so an author can fix a deck in one go.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import yaml

from bot.domain.words import plural

# Checked before parsing: a deck is hand-written text, anything bigger is a mistake
# (or an attempt to make the bot chew on a huge document at start-up).
MAX_DECK_FILE_BYTES: Final = 5 * 1024 * 1024
MAX_TITLE: Final = 200
MAX_DESCRIPTION: Final = 4000
MAX_SOURCE: Final = 500
# Topics end up as Discord choice labels, which allow at most 100 characters.
MAX_TOPIC: Final = 100
MAX_CARD_TEXT: Final = 1000
MAX_ACCEPT: Final = 200
# Past this many problems a file is clearly not a deck; listing more helps nobody.
MAX_PROBLEMS: Final = 100
FRONT_PREVIEW: Final = 40

DECK_ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
CARD_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

DECK_FIELDS: Final = ("id", "title", "description", "source", "topics", "weights", "cards")
CARD_FIELDS: Final = (
    "id",
    "front",
    "back",
    "topic",
    "accept",
    "explanation",
    "distractors",
    "front_image",
    "back_image",
)
DECK_SUFFIXES: Final = (".yaml", ".yml")

# Names authors reach for that difflib cannot connect to the real field.
_FIELD_ALIASES: Final = {
    "question": "front",
    "prompt": "front",
    "answer": "back",
    "name": "title",
    "tags": "topic",
}

# The C loader is much faster on big decks; both are the safe variant, which only
# builds plain data (no arbitrary Python objects from tags).
_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Pictures: a deck `foo.yaml` keeps them in the folder `foo.media/` beside it, and a card
# names one per side (`front_image`, `back_image`) by its file name there.
MEDIA_DIR_SUFFIX: Final = ".media"
MAX_PICTURE_BYTES: Final = 8 * 1024 * 1024
MAX_DECK_PICTURE_BYTES: Final = 128 * 1024 * 1024
PICTURE_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(png|jpe?g|gif|webp)")
# The text of a side that is only a picture, when the deck file gives none.
PICTURE_ONLY: Final = "(picture)"

_WHITESPACE = re.compile(r"\s+")
# Half of a UTF-16 pair on its own: it cannot be written as UTF-8, so it is no text.
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Card:
    """One flashcard. `id` stays the same while the front does, so progress survives edits."""

    id: str
    front: str
    back: str
    topic: str | None = None
    accept: tuple[str, ...] = ()
    explanation: str | None = None
    distractors: tuple[str, ...] = ()
    front_image: str | None = None
    back_image: str | None = None

    @property
    def picture_answer(self) -> bool:
        """The answer is a picture alone: it can be shown, not chosen or typed."""
        return self.back_image is not None and self.back == PICTURE_ONLY


@dataclass(frozen=True)
class Deck:
    """A validated deck. `path` is the file it came from, if any."""

    id: str
    title: str
    description: str
    source: str | None
    topics: tuple[str, ...]
    cards: tuple[Card, ...]
    path: str | None = None
    # Optional exam weight of each topic (topic, weight), e.g. an exam guide's domain
    # shares; empty when the deck gives none (topics then weigh their card counts).
    weights: tuple[tuple[str, float], ...] = ()

    @cached_property
    def _cards_by_id(self) -> dict[str, Card]:
        return {card.id: card for card in self.cards}

    @cached_property
    def answer_keys(self) -> frozenset[str]:
        """The different answers the deck's cards can offer as options (`answer_key` of each
        back that is not a picture). Kept with the deck: every /quiz, round and daily post
        checks it."""
        return frozenset(answer_key(back) for _card_id, _topic, back in self.option_backs)

    @cached_property
    def option_backs(self) -> tuple[tuple[str, str | None, str], ...]:
        """(card id, topic, back) of each card whose back can be an option (not a
        picture), in deck order."""
        return tuple(
            (card.id, card.topic, card.back) for card in self.cards if not card.picture_answer
        )

    @cached_property
    def option_backs_by_topic(self) -> Mapping[str | None, tuple[tuple[str, str], ...]]:
        """(card id, back) of `option_backs` per topic, in deck order: a question's wrong
        answers come from its own topic first."""
        found: dict[str | None, list[tuple[str, str]]] = {}
        for card_id, topic, back in self.option_backs:
            found.setdefault(topic, []).append((card_id, back))
        return {topic: tuple(backs) for topic, backs in found.items()}

    def card(self, card_id: str) -> Card | None:
        """The card with this id, or None when the deck no longer has it."""
        return self._cards_by_id.get(card_id)

    def cards_in_topic(self, topic: str) -> tuple[Card, ...]:
        return tuple(card for card in self.cards if card.topic == topic)

    def topic_counts(self) -> dict[str, int]:
        """Cards per topic, in the order the deck lists its topics (zero included)."""
        counts = dict.fromkeys(self.topics, 0)
        for card in self.cards:
            if card.topic in counts:
                counts[card.topic] += 1
        return counts

    @property
    def media_dir(self) -> Path | None:
        """The folder of the deck's pictures, beside its file (None for a deck without one)."""
        if self.path is None:
            return None
        path = Path(self.path)
        return path.with_name(path.stem + MEDIA_DIR_SUFFIX)

    def picture(self, name: str | None) -> Path | None:
        """The file of a picture the deck's cards name, if the deck keeps pictures."""
        folder = self.media_dir
        if name is None or folder is None:
            return None
        return folder / name


def picture_kind(head: bytes) -> str | None:
    """The picture format of a file by its first bytes: png, jpg, gif, webp, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


# --------------------------------------------------------------------------- errors


def _preview(front: str) -> str:
    text = _WHITESPACE.sub(" ", front).strip()
    if len(text) <= FRONT_PREVIEW:
        return text
    return text[: FRONT_PREVIEW - 1].rstrip() + "…"


@dataclass(frozen=True)
class DeckProblem:
    """One thing wrong with a deck file.

    `card_index` is the card's position counted from 1, as the message shows it.
    """

    file: str
    card_index: int | None
    card_front: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.card_index is not None:
            card = f"card {self.card_index}"
            if self.card_front:
                card += f' ("{_preview(self.card_front)}")'
            parts.append(card)
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)


class DeckError(Exception):
    """A deck could not be loaded; `problems` lists everything found, in file order."""

    def __init__(self, problems: Iterable[DeckProblem], *, omitted: int = 0) -> None:
        self.problems = list(problems)
        self.omitted = omitted
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.omitted and self.problems:
            more = plural(self.omitted, "more problem")
            lines.append(f"{self.problems[-1].file}: {more} not shown")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()


@dataclass
class DeckLoadResult:
    """Decks that loaded, by id, and one error per file that did not."""

    decks: dict[str, Deck] = field(default_factory=dict)
    errors: list[DeckError] = field(default_factory=list)


# Reports one problem: (field or None, message).
_Add = Callable[[str | None, str], None]


class _Report:
    """Collects problems for one file, tagging them with the card being checked."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[DeckProblem] = []
        self.omitted = 0

    def add(
        self,
        field_name: str | None,
        message: str,
        *,
        card_index: int | None = None,
        card_front: str | None = None,
    ) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.omitted += 1
            return
        self.problems.append(
            DeckProblem(self.filename, card_index, card_front, field_name, message)
        )

    def for_card(self, index: int, front: str | None) -> _Add:
        def add(field_name: str | None, message: str) -> None:
            self.add(field_name, message, card_index=index, card_front=front)

        return add

    def error(self) -> DeckError:
        return DeckError(self.problems, omitted=self.omitted)


def _single_problem(filename: str, message: str, field_name: str | None = None) -> DeckError:
    return DeckError([DeckProblem(filename, None, None, field_name, message)])


# --------------------------------------------------------------------------- keys


def answer_key(text: str) -> str:
    """How two answers are compared for sameness: case-folded, whitespace collapsed."""
    return _WHITESPACE.sub(" ", text).strip().casefold()


def front_key(front: str) -> str:
    """A front reduced to its words, so punctuation or case edits keep the card's identity."""
    folded = unicodedata.normalize("NFKC", front).casefold()
    words = "".join(ch for ch in folded if not unicodedata.category(ch).startswith("P"))
    key = _WHITESPACE.sub(" ", words).strip()
    # A front made only of punctuation would otherwise collide with every other such front.
    return key or _WHITESPACE.sub(" ", folded).strip()


def card_key(front: str, front_image: str | None = None) -> str:
    """What makes a card's question itself: its front's words, and its picture if any."""
    key = front_key(front)
    return key if front_image is None else f"{key}\x00{front_image}"


def default_card_id(front: str, front_image: str | None = None) -> str:
    """The id a card gets when the deck does not set one: a short hash of its front
    (and of its front's picture, so "What is this?" can ask about many pictures)."""
    return "c-" + hashlib.sha1(card_key(front, front_image).encode("utf-8")).hexdigest()[:10]


# --------------------------------------------------------------------------- validation


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, bytes):
        return "binary data"
    return type(value).__name__


def _not_text_message(value: object) -> str:
    message = f"must be a string, got {_describe(value)}"
    # YAML reads `yes`, `1.0` or `2024-01-01` as non-text; quoting is the fix.
    if isinstance(value, bool | int | float | datetime.date):
        message += " (put it in quotes to keep it as text)"
    return message


def _check_text(
    value: object, add: _Add, field_name: str, *, limit: int, prefix: str = ""
) -> str | None:
    """The stripped text, or None after reporting why the value is not acceptable."""
    if value is None:
        add(field_name, prefix + "must not be empty")
        return None
    if not isinstance(value, str):
        add(field_name, prefix + _not_text_message(value))
        return None
    surrogate = _LONE_SURROGATE.search(value)
    if surrogate:
        add(
            field_name,
            prefix + f"holds a lone surrogate (U+{ord(surrogate.group()):04X}), half of a "
            "character, which cannot be stored as text",
        )
        return None
    text = value.strip()
    if not text:
        add(field_name, prefix + "must not be empty")
        return None
    if len(text) > limit:
        add(field_name, prefix + f"is too long ({len(text):,} characters, at most {limit:,})")
        return None
    return text


def _field_text(
    data: Mapping[Any, Any], key: str, add: _Add, *, limit: int, required: bool
) -> str | None:
    if key not in data or (data[key] is None and not required):
        if required:
            add(key, "is required")
        return None
    return _check_text(data[key], add, key, limit=limit)


def _field_text_list(data: Mapping[Any, Any], key: str, add: _Add, *, limit: int) -> list[str]:
    """The valid items of an optional list of strings; the others are reported."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        add(key, f"must be a list, got {_describe(value)}")
        return []
    items: list[str] = []
    for number, item in enumerate(value, start=1):
        text = _check_text(item, add, key, limit=limit, prefix=f"item {number}: ")
        if text is not None:
            items.append(text)
    return items


def _check_unknown_keys(data: Mapping[Any, Any], known: tuple[str, ...], add: _Add) -> None:
    for key in data:
        if isinstance(key, str) and key in known:
            continue
        name = str(key)
        alias = _FIELD_ALIASES.get(name.casefold())
        if alias in known:
            guess: str | None = alias
        else:
            matches = difflib.get_close_matches(name.casefold(), known, n=1, cutoff=0.6)
            guess = matches[0] if matches else None
        hint = f" (did you mean '{guess}'?)" if guess else ""
        # The key goes in the field slot so the line reads "field 'bak': unknown field ...".
        add(name, f"unknown field{hint}")


def _check_deck_id(data: Mapping[Any, Any], add: _Add, expected_id: str | None) -> str | None:
    deck_id = _field_text(data, "id", add, limit=MAX_CARD_TEXT, required=True)
    if deck_id is None:
        return None
    if not DECK_ID_PATTERN.fullmatch(deck_id):
        add(
            "id",
            f"'{deck_id}' is not a valid deck id (use lowercase letters, digits and '-', "
            "starting with a letter or digit, at most 63 characters)",
        )
        return None
    if expected_id is not None and deck_id != expected_id:
        add("id", f"'{deck_id}' does not match the file name (expected '{expected_id}')")
        return None
    return deck_id


def _check_topics(data: Mapping[Any, Any], add: _Add) -> tuple[list[str], bool]:
    """The deck's topics, and whether the whole list was valid."""
    value = data.get("topics")
    if value is None:
        return [], True
    if not isinstance(value, list):
        add("topics", f"must be a list, got {_describe(value)}")
        return [], False
    topics: list[str] = []
    seen: set[str] = set()
    ok = True
    for number, item in enumerate(value, start=1):
        topic = _check_text(item, add, "topics", limit=MAX_TOPIC, prefix=f"item {number}: ")
        if topic is None:
            ok = False
        # Topics are picked case-insensitively in commands, so case variants would clash.
        elif topic.casefold() in seen:
            add("topics", f"item {number}: '{topic}' is listed twice")
            ok = False
        else:
            seen.add(topic.casefold())
            topics.append(topic)
    return topics, ok


def _check_weights(
    data: Mapping[Any, Any], add: _Add, topics: list[str], topics_ok: bool
) -> tuple[tuple[str, float], ...]:
    """The deck's topic weights: a mapping of its own topics to positive numbers."""
    value = data.get("weights")
    if value is None:
        return ()
    if not isinstance(value, dict):
        add("weights", f"must be a mapping of topic to weight, got {_describe(value)}")
        return ()
    weights: list[tuple[str, float]] = []
    for key, weight in value.items():
        if not isinstance(key, str) or key.strip() not in topics:
            if topics_ok:
                hint = ""
                if isinstance(key, str):
                    matches = difflib.get_close_matches(key, topics, n=1, cutoff=0.6)
                    hint = f" (did you mean '{matches[0]}'?)" if matches else ""
                add("weights", f"'{key}' is not one of the deck's topics{hint}")
            continue
        is_number = isinstance(weight, int | float) and not isinstance(weight, bool)
        if not is_number or not math.isfinite(weight) or weight <= 0:
            shown = _describe(weight) if not is_number else str(weight)
            add("weights", f"'{key}': must be a positive number, got {shown}")
            continue
        weights.append((key.strip(), float(weight)))
    return tuple(weights)


@dataclass
class _CardContext:
    """What checking one card needs to know about the deck and the cards before it."""

    topics: list[str]
    topics_ok: bool
    fronts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _check_card(raw: object, index: int, report: _Report, context: _CardContext) -> Card | None:
    if not isinstance(raw, dict):
        report.add(
            None,
            f"must be a mapping with 'front' and 'back', got {_describe(raw)}",
            card_index=index,
        )
        return None
    raw_front = raw.get("front")
    shown_front = raw_front.strip() if isinstance(raw_front, str) else None
    add = report.for_card(index, shown_front or None)
    problems_before = len(report.problems) + report.omitted

    _check_unknown_keys(raw, CARD_FIELDS, add)
    explicit_id = _field_text(raw, "id", add, limit=MAX_CARD_TEXT, required=False)
    if explicit_id is not None and not CARD_ID_PATTERN.fullmatch(explicit_id):
        add(
            "id",
            f"'{explicit_id}' is not a valid card id (use letters, digits, '-' and '_', "
            "at most 64 characters)",
        )
        explicit_id = None
    front_image = _picture_name(raw, "front_image", add)
    back_image = _picture_name(raw, "back_image", add)
    front = _side_text(raw, "front", add, picture=front_image is not None)
    back = _side_text(raw, "back", add, picture=back_image is not None)
    topic = _field_text(raw, "topic", add, limit=MAX_TOPIC, required=False)
    accept = _field_text_list(raw, "accept", add, limit=MAX_ACCEPT)
    explanation = _field_text(raw, "explanation", add, limit=MAX_CARD_TEXT, required=False)
    distractors = _field_text_list(raw, "distractors", add, limit=MAX_CARD_TEXT)

    if topic is not None and context.topics_ok and topic not in context.topics:
        guess = next((t for t in context.topics if t.casefold() == topic.casefold()), None)
        if guess is None:
            matches = difflib.get_close_matches(topic, context.topics, n=1, cutoff=0.6)
            guess = matches[0] if matches else None
        hint = f" (did you mean '{guess}'?)" if guess else ""
        add("topic", f"'{topic}' is not one of the deck's topics{hint}")

    if back is not None:
        seen_distractors: dict[str, int] = {}
        for number, distractor in enumerate(distractors, start=1):
            key = answer_key(distractor)
            if key == answer_key(back):
                add("distractors", f"item {number}: is the same as the back")
            elif key in seen_distractors:
                add("distractors", f"item {number}: duplicates item {seen_distractors[key]}")
            else:
                seen_distractors[key] = number

    front_duplicated = False
    if front is not None:
        key = card_key(front, front_image)
        if key in context.fronts:
            add("front", f"duplicates the front of card {context.fronts[key]}")
            front_duplicated = True
        else:
            context.fronts[key] = index

    card_id = explicit_id
    if card_id is None and front is not None:
        card_id = default_card_id(front, front_image)
    # A derived id repeats exactly when the front does, which is already reported.
    if card_id is not None and not (front_duplicated and explicit_id is None):
        if card_id in context.ids:
            add("id", f"'{card_id}' is already used by card {context.ids[card_id]}")
        else:
            context.ids[card_id] = index

    if len(report.problems) + report.omitted > problems_before:
        return None
    assert card_id is not None and front is not None and back is not None
    return Card(
        id=card_id,
        front=front,
        back=back,
        topic=topic,
        accept=tuple(accept),
        explanation=explanation,
        distractors=tuple(distractors),
        front_image=front_image,
        back_image=back_image,
    )


def _picture_name(raw: Mapping[Any, Any], key: str, add: _Add) -> str | None:
    name = _field_text(raw, key, add, limit=MAX_CARD_TEXT, required=False)
    if name is not None and not PICTURE_NAME_PATTERN.fullmatch(name):
        add(
            key,
            f"'{_preview(name)}' is not a picture's file name in the deck's "
            f"{MEDIA_DIR_SUFFIX} folder (letters, digits, '.', '-', '_'; ending .png, .jpg, "
            ".jpeg, .gif or .webp)",
        )
        return None
    return name


def _side_text(raw: Mapping[Any, Any], key: str, add: _Add, *, picture: bool) -> str | None:
    """A side's text; a side with a picture may leave it out, to show the picture alone."""
    if picture and raw.get(key) is None:
        return PICTURE_ONLY
    return _field_text(raw, key, add, limit=MAX_CARD_TEXT, required=True)


def check_pictures(deck: Deck) -> list[str]:
    """What is wrong with the pictures a deck file names: missing, too big, or no picture.

    Only the first bytes of each file are read; an empty list when all is well.
    """
    names = [n for card in deck.cards for n in (card.front_image, card.back_image) if n]
    if not names:
        return []
    folder = deck.media_dir
    if folder is None:
        return ["its cards name pictures, but a deck kept outside a file has no media folder"]
    problems: list[str] = []
    total = 0
    for name in dict.fromkeys(names):
        path = folder / name
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
                size = os.fstat(handle.fileno()).st_size
        except OSError as error:
            problems.append(f"picture {folder.name}/{name}: {error.strerror or error}")
            continue
        if picture_kind(head) is None:
            problems.append(f"picture {folder.name}/{name}: not a PNG, JPEG, GIF or WebP file")
        elif size > MAX_PICTURE_BYTES:
            problems.append(f"picture {folder.name}/{name}: {size:,} bytes, over 8 MiB")
        total += size
    if total > MAX_DECK_PICTURE_BYTES:
        problems.append(f"its pictures take {total:,} bytes, over the 128 MiB a deck may have")
    return problems


def _check_deck(data: object, report: _Report, expected_id: str | None) -> Deck | None:
    if data is None:
        report.add(None, "file is empty")
        return None
    if not isinstance(data, dict):
        report.add(None, f"top level must be a mapping, got {_describe(data)}")
        return None
    add = report.add
    _check_unknown_keys(data, DECK_FIELDS, add)
    deck_id = _check_deck_id(data, add, expected_id)
    title = _field_text(data, "title", add, limit=MAX_TITLE, required=True)
    description = _field_text(data, "description", add, limit=MAX_DESCRIPTION, required=True)
    source = _field_text(data, "source", add, limit=MAX_SOURCE, required=False)
    topics, topics_ok = _check_topics(data, add)
    weights = _check_weights(data, add, topics, topics_ok)

    cards: list[Card] = []
    raw_cards = data.get("cards")
    if "cards" not in data:
        add("cards", "is required")
    elif raw_cards is None or raw_cards == []:
        add("cards", "must contain at least one card")
    elif not isinstance(raw_cards, list):
        add("cards", f"must be a list of cards, got {_describe(raw_cards)}")
    else:
        context = _CardContext(topics, topics_ok)
        for index, raw in enumerate(raw_cards, start=1):
            card = _check_card(raw, index, report, context)
            if card is not None:
                cards.append(card)

    if report.problems:
        return None
    assert deck_id is not None and title is not None and description is not None
    return Deck(
        id=deck_id,
        title=title,
        description=description,
        source=source,
        topics=tuple(topics),
        cards=tuple(cards),
        weights=weights,
    )


# --------------------------------------------------------------------------- YAML


def _mark_text(line: int, column: int) -> str:
    return f"line {line + 1}, column {column + 1}"


def _check_duplicate_keys(root: yaml.Node, report: _Report) -> None:
    """Report keys repeated in one mapping, which PyYAML would silently resolve to the last."""
    visited: set[int] = set()

    def walk(node: yaml.Node, card_index: int | None, card_front: str | None) -> None:
        # Aliases share nodes; visiting each once keeps "billion laughs" documents cheap.
        pending: list[yaml.Node] = [node]
        while pending:
            current = pending.pop()
            if id(current) in visited:
                continue
            visited.add(id(current))
            if isinstance(current, yaml.SequenceNode):
                pending.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                seen: set[tuple[str, str]] = set()
                for key_node, value_node in current.value:
                    pending.append(value_node)
                    if not isinstance(key_node, yaml.ScalarNode):
                        continue
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        mark = key_node.start_mark
                        report.add(
                            None,
                            f"duplicate key '{key_node.value}' at "
                            f"{_mark_text(mark.line, mark.column)}",
                            card_index=card_index,
                            card_front=card_front,
                        )
                    seen.add(key)

    # Walk cards one by one first so a repeated key is reported against its card.
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            is_cards = isinstance(key_node, yaml.ScalarNode) and key_node.value == "cards"
            if is_cards and isinstance(value_node, yaml.SequenceNode):
                visited.add(id(value_node))
                for index, item in enumerate(value_node.value, start=1):
                    walk(item, index, _node_front(item))
    walk(root, None, None)


def _node_front(node: yaml.Node) -> str | None:
    """The card's front as the loader will see it: the last one wins when repeated."""
    front: str | None = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value == "front"
                and isinstance(value_node, yaml.ScalarNode)
            ):
                front = str(value_node.value).strip() or None
    return front


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _yaml_problem(filename: str, error: yaml.YAMLError, text: str) -> DeckError:
    """One problem line for a YAML error, with the position counted from 1."""
    if isinstance(error, yaml.reader.ReaderError):
        # Raised for characters YAML forbids, such as NUL. The C reader counts its offset
        # in bytes, so locate the character in the text instead.
        code = error.character if isinstance(error.character, int) else ord(error.character)
        offset = max(text.find(chr(code)), 0)
        line = text.count("\n", 0, offset)
        column = offset - (text.rfind("\n", 0, offset) + 1)
        return _single_problem(
            filename,
            f"invalid YAML at {_mark_text(line, column)}: character #x{code:04x} is not allowed",
        )
    if not isinstance(error, yaml.MarkedYAMLError):
        return _single_problem(filename, f"invalid YAML: {_one_line(str(error))}")
    mark = error.problem_mark or error.context_mark
    what = _one_line(error.problem or error.context or "cannot be parsed")
    if mark is None:
        return _single_problem(filename, f"invalid YAML: {what}")
    lines = text.split("\n")
    if mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        what += " (YAML does not allow tabs for indentation; use spaces)"
    return _single_problem(
        filename, f"invalid YAML at {_mark_text(mark.line, mark.column)}: {what}"
    )


def _too_large(filename: str, size: int) -> DeckError:
    return _single_problem(
        filename, f"file is too large ({size:,} bytes, at most {MAX_DECK_FILE_BYTES:,})"
    )


# --------------------------------------------------------------------------- public API


def parse_deck_mapping(data: object, *, filename: str, expected_id: str | None = None) -> Deck:
    """Validate already-parsed deck data (for instance built by an importer of another format).

    Raises DeckError listing every problem found.
    """
    report = _Report(filename)
    deck = _check_deck(data, report, expected_id)
    if deck is None:
        raise report.error()
    return deck


def parse_deck(text: str, *, filename: str, expected_id: str | None = None) -> Deck:
    """Parse and validate the YAML text of a deck; `filename` only labels the problems."""
    return _parse_deck(text, filename=filename, expected_id=expected_id)


def _parse_deck(text: str, *, filename: str, expected_id: str | None) -> Deck:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DECK_FILE_BYTES:
        raise _too_large(filename, size)
    report = _Report(filename)
    # Same work as yaml.load with the safe loader, with a look at the node tree in between
    # so repeated keys can be reported instead of silently dropped.
    loader = None
    try:
        loader = _LOADER(text)
        node = loader.get_single_node()
        if node is not None:
            _check_duplicate_keys(node, report)
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as error:
        raise _yaml_problem(filename, error, text) from None
    except UnicodeEncodeError:
        raise _single_problem(filename, "text is not valid Unicode (lone surrogate)") from None
    except RecursionError:
        raise _single_problem(filename, "invalid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    deck = _check_deck(data, report, expected_id)
    if deck is None or report.problems:
        raise report.error()
    return deck


def load_deck_file(path: str | os.PathLike[str]) -> Deck:
    """Read one deck file; its id must equal the file name without the extension."""
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as handle:
            raw = handle.read(MAX_DECK_FILE_BYTES + 1)
            if len(raw) > MAX_DECK_FILE_BYTES:
                raise _too_large(filename, os.fstat(handle.fileno()).st_size)
    except OSError as error:
        raise _single_problem(
            filename, f"cannot read the file: {error.strerror or error}"
        ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise _single_problem(
            filename,
            f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x} on line {line})",
        ) from None
    deck = replace(
        parse_deck(text, filename=filename, expected_id=Path(filename).stem), path=filename
    )
    pictures = check_pictures(deck)
    if pictures:
        raise DeckError(DeckProblem(filename, None, None, None, p) for p in pictures[:MAX_PROBLEMS])
    return deck


def load_decks(directory: str | os.PathLike[str]) -> DeckLoadResult:
    """Load every `*.yaml`/`*.yml` file in a directory, in name order.

    A broken file is reported in `errors` and does not keep the others from loading.
    """
    result = DeckLoadResult()
    root = Path(directory)
    try:
        paths = sorted(
            (
                entry
                for entry in root.iterdir()
                if entry.suffix.lower() in DECK_SUFFIXES
                and not entry.name.startswith(".")
                and entry.is_file()
            ),
            key=lambda entry: entry.name,
        )
    except OSError as error:
        message = f"cannot list the deck directory: {error.strerror or error}"
        result.errors.append(_single_problem(os.fspath(directory), message))
        return result
    for path in paths:
        try:
            deck = load_deck_file(path)
        except DeckError as error:
            result.errors.append(error)
            continue
        earlier = result.decks.get(deck.id)
        if earlier is not None:
            message = f"'{deck.id}' is already used by {earlier.path}"
            result.errors.append(_single_problem(os.fspath(path), message, "id"))
            continue
        result.decks[deck.id] = deck
    return result


# --------------------------------------------------------------------------- writing


class _DeckDumper(yaml.SafeDumper):
    """Block style with indented lists, the way deck files are written by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(mark in text for mark in _OTHER_LINE_BREAKS):
        # YAML reads NEL, LS and PS as line breaks, which a block or a single-quoted
        # scalar turns into "\n" or a space; double quotes write them as escapes.
        style = '"'
    elif "\n" in text:
        style = "|"  # multi-line text reads best as a literal block, exactly as typed
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_OTHER_LINE_BREAKS: Final = ("\x85", "\u2028", "\u2029")
_DeckDumper.add_representer(str, _represent_text)


def _plain_number(value: float) -> float | int:
    """A weight as it was most likely written: 20 rather than 20.0."""
    return int(value) if value.is_integer() else value


def deck_to_mapping(deck: Deck) -> dict[str, object]:
    """The deck as the mapping a deck file holds; card ids only where not derived."""
    data: dict[str, object] = {
        "id": deck.id,
        "title": deck.title,
        "description": deck.description,
    }
    if deck.source is not None:
        data["source"] = deck.source
    data["topics"] = list(deck.topics)
    if deck.weights:
        data["weights"] = {topic: _plain_number(weight) for topic, weight in deck.weights}
    cards: list[dict[str, object]] = []
    for card in deck.cards:
        entry: dict[str, object] = {}
        if card.id != default_card_id(card.front, card.front_image):
            entry["id"] = card.id
        if card.front_image is None or card.front != PICTURE_ONLY:
            entry["front"] = card.front
        if card.front_image is not None:
            entry["front_image"] = card.front_image
        if card.back_image is None or card.back != PICTURE_ONLY:
            entry["back"] = card.back
        if card.back_image is not None:
            entry["back_image"] = card.back_image
        if card.topic is not None:
            entry["topic"] = card.topic
        if card.accept:
            entry["accept"] = list(card.accept)
        if card.explanation is not None:
            entry["explanation"] = card.explanation
        if card.distractors:
            entry["distractors"] = list(card.distractors)
        cards.append(entry)
    data["cards"] = cards
    return data


def deck_to_yaml(deck: Deck) -> str:
    """The deck as YAML text that parse_deck reads back to an equal deck."""
    data = deck_to_mapping(deck)
    text: str = yaml.dump(
        data,
        Dumper=_DeckDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )
    return text
