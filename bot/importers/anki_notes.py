"""What an Anki collection's notes mean: note types and their fields by name, cloze
deletions, Image Occlusion, the deck each note is in, and which tags make topics.

Read from an open, bounded connection (see `anki`); nothing here touches files.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from bot.domain.words import plural
from bot.importers.model import (
    DeckImportError,
    ImportLimits,
    ImportProblem,
    RawCard,
    RawDeck,
    Skipped,
    megabytes,
)
from bot.importers.text import html_to_text

_FIELD_SEPARATOR: Final = b"\x1f"
# Fields named like a card's question or answer, the likelier first. A note type whose
# names say nothing gives its first field as the front and the next as the back.
_FRONT_NAMES: Final = (
    "front", "question", "text", "word", "term", "expression", "vocabulary", "prompt",
    "kanji", "vorderseite", "recto", "frente", "anverso",
)  # fmt: skip
_BACK_NAMES: Final = (
    "back", "answer", "meaning", "definition", "translation", "back extra", "reading",
    "rückseite", "verso", "reverso", "dorso",
)  # fmt: skip
_CLOZE: Final = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_OCCLUSION_ID: Final = re.compile(r"[0-9a-f]{32}-ao-\d+")
_OCCLUSION_FIELDS: Final = frozenset({"occlusion", "occlusions", "question mask", "answer mask"})
# Tags that say something about a card's state or the author's to-do list, not its topic.
META_TAGS: Final = frozenset(
    {"leech", "marked", "-", "duplicate", "todo", "fixme", "important", "wichtig", "review",
     "suspended", "flagged", "star", "starred"}
)  # fmt: skip
# Subdeck names shown as a topic join their levels with this.
TOPIC_LEVELS: Final = " › "
_MAX_DECKS_JSON: Final = 4 * 1024 * 1024
_MAX_MODELS: Final = 10_000
OCCLUSION_REASON: Final = (
    "an Image Occlusion note: its question is a mask over a picture, which a text card cannot show"
)


@dataclass(frozen=True)
class NoteType:
    name: str
    fields: tuple[str, ...]
    cloze: bool = False

    @property
    def occlusion(self) -> bool:
        names = {name.casefold() for name in self.fields}
        return "image occlusion" in self.name.casefold() or bool(names & _OCCLUSION_FIELDS)

    def sides(self) -> tuple[int, int] | None:
        """The front's and back's field numbers, chosen by the fields' names."""
        if len(self.fields) < 2:
            return None
        names = [name.strip().casefold() for name in self.fields]
        front = _first_named(names, _FRONT_NAMES, exclude=None)
        if front is None:
            front = 0
        back = _first_named(names, _BACK_NAMES, exclude=front)
        if back is None:
            back = next(i for i in range(len(names)) if i != front)
        return front, back

    def reverse_field(self) -> int | None:
        """The "Add Reverse" field of an optional reversed note type: a note gets its
        reverse card only when it is filled."""
        names = [name.strip().casefold() for name in self.fields]
        return next((i for i, name in enumerate(names) if name == "add reverse"), None)

    @property
    def reversed(self) -> bool:
        """Whether its notes give a back-to-front card too: "Basic (and reversed card)",
        always; "Basic (optional reversed card)", when "Add Reverse" is filled."""
        return "reverse" in self.name.casefold() or self.reverse_field() is not None

    def extra(self) -> int | None:
        """A cloze note's "Back Extra": shown after the answer."""
        names = [name.strip().casefold() for name in self.fields]
        return next((i for i, name in enumerate(names) if name in ("back extra", "extra")), None)


def _first_named(names: list[str], wanted: Sequence[str], exclude: int | None) -> int | None:
    for want in wanted:
        for index, name in enumerate(names):
            if name == want and index != exclude:
                return index
    return None


_UNKNOWN: Final = NoteType("", ())


def note_types(conn: sqlite3.Connection) -> dict[int, NoteType]:
    """Note types by id: the `notetypes` and `fields` tables of Anki 2.1.28+, else the
    `col.models` JSON of older collections."""
    tables = {
        _text(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
            "('notetypes', 'fields')"
        )
    }
    types: dict[int, NoteType] = {}
    if tables == {"notetypes", "fields"}:
        names = {
            int(type_id): _text(name)
            for type_id, name in conn.execute(
                "SELECT id, name FROM notetypes LIMIT ?", (_MAX_MODELS,)
            )
        }
        fields: dict[int, list[str]] = {}
        for type_id, name in conn.execute(
            "SELECT ntid, name FROM fields ORDER BY ntid, ord LIMIT ?", (_MAX_MODELS * 10,)
        ):
            fields.setdefault(int(type_id), []).append(_text(name))
        for type_id, name in names.items():
            types[type_id] = NoteType(name, tuple(fields.get(type_id, ())))
        if types:
            return types
    row = conn.execute("SELECT models FROM col LIMIT 1").fetchone()
    raw = row[0] if row and isinstance(row[0], bytes) else b""
    try:
        models = json.loads(_text(raw) or "{}") if len(raw) <= _MAX_DECKS_JSON else {}
    except (ValueError, RecursionError):
        models = {}
    if not isinstance(models, dict):
        return types
    for key, model in list(models.items())[:_MAX_MODELS]:
        if not isinstance(model, dict) or not str(key).lstrip("-").isdigit():
            continue
        flds = model.get("flds")
        ordered = sorted(
            (f for f in flds if isinstance(f, dict)) if isinstance(flds, list) else [],
            key=lambda f: int(f["ord"]) if isinstance(f.get("ord"), int) else 0,
        )
        names_of = tuple(str(f.get("name", "")) for f in ordered)
        types[int(key)] = NoteType(str(model.get("name", "")), names_of, model.get("type") == 1)
    return types


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- cloze


def cloze_cards(text_html: str) -> Iterator[tuple[str, str]]:
    """One (front, back) in HTML for each deletion number, in order of first appearance.

    The front shows that deletion as `[...]` (or `[hint]`) and the others as their text;
    the back is the deleted text (several pieces of one number joined by ", ").
    """
    numbers = list(dict.fromkeys(int(m.group(1)) for m in _CLOZE.finditer(text_html)))
    for number in numbers:
        answers: list[str] = []

        def hide(match: re.Match[str], number: int = number, answers: list[str] = answers) -> str:
            if int(match.group(1)) != number:
                return match.group(2)
            answers.append(match.group(2))
            hint = match.group(3)
            return f"[{hint.strip()}]" if hint and hint.strip() else "[...]"

        front = _CLOZE.sub(hide, text_html)
        yield front, ", ".join(answers)


def has_cloze(text_html: str) -> bool:
    return _CLOZE.search(text_html) is not None


# --------------------------------------------------------------------------- decks


def deck_names(conn: sqlite3.Connection, deck_ids: Sequence[int]) -> dict[int, str]:
    """Names of these decks: a `decks` table since Anki 2.1.28, JSON in `col.decks` before."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'decks'"
    ).fetchone()
    names: dict[int, str] = {}
    if has_table:
        for deck_id in deck_ids:
            row = conn.execute("SELECT name FROM decks WHERE id = ?", (deck_id,)).fetchone()
            if row:
                # The newer schema separates a deck path with 0x1f where the UI shows "::".
                names[deck_id] = _text(row[0]).replace("\x1f", "::")
        if names:
            return names
    row = conn.execute("SELECT decks FROM col LIMIT 1").fetchone()
    raw = row[0] if row and isinstance(row[0], bytes) else b""
    if len(raw) > _MAX_DECKS_JSON:  # names only make titles and topics
        return {}
    try:
        decks = json.loads(_text(raw) or "{}")
    except (ValueError, RecursionError):
        return {}
    if not isinstance(decks, dict):
        return {}
    for deck_id in deck_ids:
        deck = decks.get(str(deck_id))
        if isinstance(deck, dict) and isinstance(deck.get("name"), str):
            names[deck_id] = deck["name"]
    return names


def _path(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in name.split("::"))


def _is_default(name: str) -> bool:
    return name.strip().casefold() in ("default", "")


def common_parent(names: Sequence[str]) -> tuple[str, ...]:
    """The deck path every one of `names` is in (itself when there is one deck)."""
    paths = [_path(name) for name in names if not _is_default(name)]
    if not paths:
        return ()
    shared: list[str] = []
    for parts in zip(*paths, strict=False):
        if len({p.casefold() for p in parts}) != 1:
            break
        shared.append(parts[0])
    return tuple(shared)


def matching_deck(wanted: str, names: Sequence[str]) -> tuple[str, ...] | None:
    """The path of the deck named `wanted` (case and spaces around `::` ignored)."""
    key = tuple(part.casefold() for part in _path(wanted))
    for name in names:
        path = _path(name)
        if tuple(p.casefold() for p in path[: len(key)]) == key:
            return path[: len(key)]
    return None


# --------------------------------------------------------------------------- tags


def topic_tags(tag_lists: Sequence[tuple[str, ...]]) -> dict[str, int]:
    """The tags that may name a topic, with how many notes carry each: shared by at least
    two notes, not by every one of several, and not a meta tag."""
    counts: Counter[str] = Counter(tag for tags in tag_lists for tag in set(tags))
    notes = len(tag_lists)
    return {
        tag: count
        for tag, count in counts.items()
        if count >= 2
        and not (notes > 2 and count == notes)
        and tag.casefold() not in META_TAGS
        and not tag.casefold().startswith(("ankihub", "marked", "leech"))
    }


def tag_topic(tags: tuple[str, ...], usable: dict[str, int]) -> str | None:
    """Among a note's tags, the one shared by the largest group (first written on ties)."""
    best: str | None = None
    for tag in tags:
        if tag in usable and (best is None or usable[tag] > usable[best]):
            best = tag
    if best is None:
        return None
    # Anki tags cannot hold spaces, so authors write them with underscores.
    return best.replace("_", " ").replace("::", TOPIC_LEVELS).strip() or None


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class _Note:
    number: int
    tags: tuple[str, ...]
    deck: tuple[str, ...]


def _too_many_notes(filename: str, limits: ImportLimits) -> DeckImportError:
    return DeckImportError.single(
        filename,
        f"it holds more than {limits.max_notes:,} notes, more than an import reads. "
        "Export a smaller deck from Anki.",
    )


def _note_decks(
    conn: sqlite3.Connection, limits: ImportLimits
) -> tuple[dict[int, int], dict[int, str]]:
    """Each note's deck (that of its first card) and the decks' names."""
    first: dict[int, tuple[int, int]] = {}
    for note_id, deck_id, ordinal in conn.execute(
        "SELECT nid, did, ord FROM cards LIMIT ?", (limits.max_notes * 4,)
    ):
        note_id, deck_id, ordinal = int(note_id), int(deck_id), int(ordinal or 0)
        known = first.get(note_id)
        if known is None or ordinal < known[1]:
            first[note_id] = (deck_id, ordinal)
    by_note = {note_id: deck_id for note_id, (deck_id, _) in first.items()}
    ids = sorted(set(by_note.values()))[: limits.max_notes]
    return by_note, deck_names(conn, ids)


def read_notes(
    conn: sqlite3.Connection,
    filename: str,
    limits: ImportLimits,
    *,
    only_deck: str | None = None,
) -> RawDeck:
    """Every card the collection's notes give, their topics, and the deck's title."""
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notes LIMIT ?)", (limits.max_notes + 1,)
    ).fetchone()
    if count > limits.max_notes:
        raise _too_many_notes(filename, limits)
    types = note_types(conn)
    note_deck, names = _note_decks(conn, limits)
    used_names = sorted({names[d] for d in note_deck.values() if d in names})
    selected: tuple[str, ...] | None = None
    if only_deck is not None:
        selected = matching_deck(only_deck, used_names)
        if selected is None:
            shown = ", ".join(f"`{n}`" for n in used_names[:10]) or "none"
            more = f" and {len(used_names) - 10} more" if len(used_names) > 10 else ""
            raise DeckImportError.single(
                filename,
                f"it has no deck named `{only_deck[:80]}`; its decks are {shown}{more}.",
            )
    # First the notes' decks and tags (small), which decide the title and the topics...
    notes: dict[int, _Note] = {}
    rows = conn.execute(
        "SELECT id, tags FROM notes ORDER BY rowid LIMIT ?", (limits.max_notes + 1,)
    )
    for number, (note_id, tags_blob) in enumerate(rows, start=1):
        if number > limits.max_notes:
            raise _too_many_notes(filename, limits)
        deck_name = names.get(note_deck.get(int(note_id), -1), "")
        path = _path(deck_name) if deck_name else ()
        if selected is not None:
            key = tuple(p.casefold() for p in selected)
            if tuple(p.casefold() for p in path[: len(key)]) != key:
                continue
        notes[int(note_id)] = _Note(number, tuple(_text(tags_blob).split()), path)
    title, why = _title(list(notes.values()), selected)
    raw = RawDeck(format="Anki package", title=title, title_reason=why if title else None)
    if title is None and paths_named(notes.values()):
        raw.notes.append(f"The title is the file's name: {why.split(', so')[0]}.")
    reader = _NoteReader(
        raw,
        types,
        _path(title) if title else (),
        topic_tags([note.tags for note in notes.values()]),
    )
    # ...then their fields, one note at a time, each turned into its cards at once.
    read = 0
    rows = conn.execute(
        "SELECT id, mid, flds FROM notes ORDER BY rowid LIMIT ?", (limits.max_notes + 1,)
    )
    for note_id, type_id, fields_blob in rows:
        note = notes.get(int(note_id))
        if note is None:
            continue
        blob = fields_blob if isinstance(fields_blob, bytes) else _text(fields_blob).encode()
        read += len(blob)
        if read > limits.max_note_bytes:
            raise DeckImportError.single(
                filename,
                f"its notes hold more than {megabytes(limits.max_note_bytes)} of text, more "
                "than an import reads. Export a smaller deck from Anki.",
            )
        reader.add(note, int(type_id or 0), blob)
    if reader.problems:
        raise DeckImportError(filename, reader.problems)
    if reader.reversed:
        reader.deck.notes.append(
            f"{plural(reader.reversed, 'reversed card was', 'reversed cards were')} made "
            "(back to front), as Anki makes them for notes of a reversed note type."
        )
    return reader.deck


def paths_named(notes: Iterable[_Note]) -> bool:
    return any(note.deck for note in notes)


def _title(notes: list[_Note], selected: tuple[str, ...] | None) -> tuple[str | None, str]:
    """The title and why; no title (the file's name is taken) when the decks share none."""
    if selected is not None:
        return "::".join(selected), "the deck chosen"
    paths = {note.deck for note in notes if note.deck}
    parent = common_parent(["::".join(p) for p in paths])
    if not parent:
        return None, f"its {len(paths)} decks share no parent deck, so the file names it"
    named = [p for p in paths if not _is_default("::".join(p))]
    if len(named) == 1:
        return "::".join(parent), "the name of its only deck"
    return "::".join(parent), f"the parent deck its {len(named)} decks share"


@dataclass
class _NoteReader:
    """Turns each note into its cards (or a skip), by its note type."""

    deck: RawDeck
    types: dict[int, NoteType]
    parent: tuple[str, ...]
    usable: dict[str, int]
    problems: list[ImportProblem] = field(default_factory=list)
    reversed: int = 0  # back-to-front cards made, as Anki makes them

    def add(self, note: _Note, type_id: int, raw: bytes) -> None:
        deck = self.deck
        where = f"note {note.number}"
        note_type = self.types.get(type_id, _UNKNOWN)
        try:
            fields = [part.decode("utf-8") for part in raw.split(_FIELD_SEPARATOR)]
        except UnicodeDecodeError:
            self.problems.append(ImportProblem(where, "its text is not valid UTF-8"))
            return
        if not note_type.fields:  # a note type the collection does not describe
            note_type = NoteType("", tuple(f"field {i}" for i in range(len(fields))))
        parent = self.parent
        sub = note.deck[len(parent) :] if note.deck[: len(parent)] == parent else note.deck
        topic = TOPIC_LEVELS.join(sub) if sub and not _is_default("::".join(sub)) else None
        topic = topic or tag_topic(note.tags, self.usable)
        if note_type.occlusion or (fields and _OCCLUSION_ID.fullmatch(fields[0].strip())):
            deck.skipped.append(Skipped(where, OCCLUSION_REASON))
            return
        with_cloze = next((i for i, text in enumerate(fields) if has_cloze(text)), None)
        if note_type.cloze or with_cloze is not None:
            # The deletions' field: the one holding them (Anki names it "Text").
            text_at = with_cloze if with_cloze is not None else 0
            extra_at = note_type.extra()
            extra = ""
            if extra_at is not None and extra_at < len(fields):
                extra = html_to_text(fields[extra_at])
            made = False
            for front, back in cloze_cards(fields[text_at] if fields else ""):
                deck.cards.append(RawCard(front, back, topic, where, explanation=extra or None))
                made = True
            if not made:
                deck.skipped.append(Skipped(where, "a cloze note without a deletion"))
            return
        sides = note_type.sides()
        if sides is None or len(fields) < 2:
            deck.skipped.append(Skipped(where, "it has one field; a card needs a front and a back"))
            return
        front_at, back_at = sides
        if max(front_at, back_at) >= len(fields):
            front_at, back_at = 0, 1
        deck.cards.append(RawCard(fields[front_at], fields[back_at], topic, where))
        if note_type.reversed:
            optional = note_type.reverse_field()
            if optional is None or (optional < len(fields) and html_to_text(fields[optional])):
                deck.cards.append(RawCard(fields[back_at], fields[front_at], topic, where))
                self.reversed += 1


def no_cards_line(skipped: Sequence[Skipped], notes: int) -> str:
    """Why a collection gave no card at all, in one line."""
    reasons = Counter(s.reason for s in skipped)
    parts = [f"{reason} ({count:,})" for reason, count in reasons.most_common(3)]
    if not parts:
        return "it holds no notes."
    head = reasons.most_common(1)[0][0]
    if len(reasons) == 1 and head.startswith("it has one field"):
        return (
            f"none of its {notes:,} notes has two fields, so none makes a card with a front "
            "and a back."
        )
    return f"none of its {notes:,} notes makes a card: " + "; ".join(parts) + "."
