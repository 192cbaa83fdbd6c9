"""Anki packages (.apkg, .colpkg): the collection's notes read straight from its SQLite file.

A package is a zip holding the collection as `collection.anki21b` (zstd-compressed, Anki
2.1.50+), `collection.anki21` or `collection.anki2`; newer packages also carry a stub
`collection.anki2` asking to upgrade, so the newest name wins. Nothing in the package is
trusted: sizes are checked before and while unpacking, and the database is opened read-only
with a bounded amount of work.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

import zstandard

from bot.importers.model import (
    MB,
    DeckImportError,
    ImportLimits,
    ImportProblem,
    RawCard,
    RawDeck,
    Skipped,
    megabytes,
)
from bot.importers.text import html_to_text

COLLECTION_NAMES: Final = ("collection.anki21b", "collection.anki21", "collection.anki2")
_CHUNK: Final = 256 * 1024
# SQLite calls the progress handler every this many virtual machine instructions...
_PROGRESS_EVERY: Final = 10_000
# ...and a read is abandoned after this many calls: far more than any real deck needs.
_PROGRESS_BUDGET: Final = 50_000
_CLOZE: Final = re.compile(r"\{\{c\d+::")
# Tags Anki itself sets; they say nothing about a card's topic.
_ANKI_TAGS: Final = frozenset({"leech", "marked"})
_FIELD_SEPARATOR: Final = b"\x1f"


class _TooBig(Exception):
    pass


def read_anki(data: bytes, filename: str, limits: ImportLimits) -> RawDeck:
    """The notes of an Anki package: first field the front, second the back, tags as topics."""

    def fail(message: str) -> DeckImportError:
        return DeckImportError.single(filename, message)

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise fail("it is not a zip archive, so not an Anki package.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, tempfile.TemporaryDirectory() as tmp:
            entries = archive.infolist()
            total = sum(entry.file_size for entry in entries)
            if total > limits.max_unpacked_bytes:
                raise fail(
                    f"it would unpack to {megabytes(total)}, more than the "
                    f"{megabytes(limits.max_unpacked_bytes)} allowed."
                )
            by_name = {entry.filename: entry for entry in entries}
            name = next((n for n in COLLECTION_NAMES if n in by_name), None)
            if name is None:
                raise fail(
                    "it holds no Anki collection (collection.anki21b, collection.anki21 or "
                    "collection.anki2). Export the deck from Anki as an .apkg."
                )
            entry = by_name[name]
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > MB and ratio > limits.max_ratio:
                raise fail(
                    f"its collection is compressed {ratio:,.0f} to 1; no real Anki "
                    "collection is, so it is refused as a zip bomb."
                )
            path = Path(tmp) / "collection.sqlite3"
            with archive.open(entry) as source, path.open("wb") as target:
                if name.endswith("b"):
                    _unzstd(source, target, limits.max_unpacked_bytes)
                else:
                    _copy(source, target, limits.max_unpacked_bytes)
            return _read_collection(path, filename)
    except _TooBig:
        raise fail(
            f"its collection unpacks to more than {megabytes(limits.max_unpacked_bytes)}."
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise fail(f"the zip archive is damaged ({error}).") from None
    except zstandard.ZstdError as error:
        raise fail(f"its compressed collection is damaged ({error}).") from None
    except NotImplementedError as error:  # a compression method zipfile does not know
        raise fail(f"it uses an unsupported zip feature ({error}).") from None
    except RuntimeError as error:  # encrypted entries
        raise fail(f"it cannot be opened ({error}).") from None


def _copy(source: IO[bytes], target: IO[bytes], limit: int) -> None:
    """Copy at most `limit` bytes: the sizes a zip declares are not trusted."""
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if written > limit:
            raise _TooBig
        target.write(chunk)


def _unzstd(source: IO[bytes], target: IO[bytes], limit: int) -> None:
    reader = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True)
    with reader:
        _copy(reader, target, limit)


def _unicase(left: str, right: str) -> int:
    """Anki's own collation for names; declared by its schema, so it must exist to read it."""
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def _budget() -> Callable[[], int]:
    calls = 0

    def progress() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > _PROGRESS_BUDGET else 0  # non-zero aborts the statement

    return progress


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _read_collection(path: Path, filename: str) -> RawDeck:
    # immutable: no locks, no journal or WAL files; query_only: no statement may write.
    uri = f"{path.as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise DeckImportError.single(
            filename, f"its collection cannot be opened ({error})."
        ) from None
    try:
        conn.text_factory = bytes  # decoded per note, so bad text is reported with its note
        conn.create_collation("unicase", _unicase)
        conn.set_progress_handler(_budget(), _PROGRESS_EVERY)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
        return _read_notes(conn, filename)
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise DeckImportError.single(
                filename, "reading its collection took too long; it is not a usual deck."
            ) from None
        raise _not_a_collection(filename, error) from None
    except sqlite3.DatabaseError as error:
        raise _not_a_collection(filename, error) from None
    finally:
        conn.close()


def _not_a_collection(filename: str, error: Exception) -> DeckImportError:
    return DeckImportError.single(
        filename, f"the collection inside is not a readable Anki database ({error})."
    )


def _deck_names(conn: sqlite3.Connection, tables: set[str]) -> dict[int, str]:
    """Deck names by id: a `decks` table since Anki 2.1.28, JSON in `col.decks` before."""
    if "decks" in tables:
        rows = conn.execute("SELECT id, name FROM decks").fetchall()
        if rows:
            # The newer schema separates a deck path with 0x1f where the UI shows "::".
            return {int(i): _text(name).replace("\x1f", "::") for i, name in rows}
    row = conn.execute("SELECT decks FROM col").fetchone()
    try:
        decks = json.loads((_text(row[0]) if row else "") or "{}")
    except ValueError:
        return {}
    if not isinstance(decks, dict):
        return {}
    names: dict[int, str] = {}
    for key, deck in decks.items():
        if isinstance(deck, dict) and isinstance(deck.get("name"), str) and str(key).isdigit():
            names[int(key)] = deck["name"]
    return names


def _title(conn: sqlite3.Connection, names: dict[int, str]) -> str | None:
    """The deck the notes' cards are in; for several, the parent deck they share."""
    counts: Counter[str] = Counter()
    for deck_id, notes in conn.execute("SELECT did, COUNT(DISTINCT nid) FROM cards GROUP BY did"):
        name = names.get(int(deck_id))
        if name:
            counts[name] += int(notes)
    if not counts:
        return None
    paths = [name.split("::") for name in counts]
    shared: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    title = "::".join(shared) if shared else counts.most_common(1)[0][0]
    # Anki's "Default" deck says nothing; the file name is a better title.
    return None if title.strip().casefold() == "default" else title.strip()


def _topic(tags: str) -> str | None:
    for tag in tags.split():
        if tag.casefold() not in _ANKI_TAGS:
            # Anki tags cannot hold spaces, so authors write them with underscores.
            return tag.replace("_", " ").strip() or None
    return None


def _read_notes(conn: sqlite3.Connection, filename: str) -> RawDeck:
    tables = {_text(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}
    if not {"col", "notes", "cards"} <= tables:
        raise DeckImportError.single(
            filename, "the database inside is not an Anki collection (it has no notes)."
        )
    deck = RawDeck(format="Anki package", title=_title(conn, _deck_names(conn, tables)))
    problems: list[ImportProblem] = []
    rows = conn.execute("SELECT flds, tags FROM notes ORDER BY id")
    for number, (fields_blob, tags_blob) in enumerate(rows, start=1):
        where = f"note {number}"
        raw = fields_blob if isinstance(fields_blob, bytes) else _text(fields_blob).encode()
        try:
            fields = [part.decode("utf-8") for part in raw.split(_FIELD_SEPARATOR)]
        except UnicodeDecodeError:
            problems.append(ImportProblem(where, "its text is not valid UTF-8"))
            continue
        if len(fields) < 2:
            deck.skipped.append(Skipped(where, "it has one field; a card needs a front and a back"))
            continue
        if _CLOZE.search(fields[0]):
            deck.skipped.append(Skipped(where, "cloze deletions are not supported"))
            continue
        front, back = html_to_text(fields[0]), html_to_text(fields[1])
        deck.cards.append(RawCard(front, back, _topic(_text(tags_blob)), where))
    if problems:
        raise DeckImportError(filename, problems)
    return deck
