"""Anki packages (.apkg, .colpkg): the collection's notes read straight from its SQLite file,
and the pictures its cards show (what the notes mean is `anki_notes`, pictures `media`).

A package is a zip holding the collection as `collection.anki21b` (zstd-compressed, Anki
2.1.50+), `collection.anki21` or `collection.anki2`; newer packages also carry a stub
`collection.anki2` asking to upgrade, so the newest name wins. Nothing in the package is
trusted: sizes are checked before and while unpacking; the schema must be Anki's plain
tables, its size checked before SQLite parses it; and the database is opened read-only
with bounded memory and work, and read up to a number of notes and bytes of text.
"""

from __future__ import annotations

import io
import re
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Final

import zstandard

from bot.domain.decks import MAX_DECK_PICTURE_BYTES
from bot.importers.anki_notes import no_cards_line, read_notes
from bot.importers.media import MediaArchive, PictureReport, first_picture
from bot.importers.model import (
    MB,
    DeckImportError,
    ImportLimits,
    RawCard,
    RawDeck,
    Skipped,
    megabytes,
)
from bot.importers.text import html_to_text

COLLECTION_NAMES: Final = ("collection.anki21b", "collection.anki21", "collection.anki2")
_CHUNK: Final = 256 * 1024
# SQLite calls the progress handler every this many virtual machine instructions, and a
# read is abandoned past a budget of instructions per note the limits allow. Reading 50,000
# notes and their 100,000 cards takes about 2.8 million instructions, 55 a note; the budget
# is seven times that (a fraction of a second), however the collection is built.
_PROGRESS_EVERY: Final = 10_000
_STEPS_PER_NOTE: Final = 400
_MIN_PROGRESS_CALLS: Final = 100
# What one connection may hold: no value over 4 MiB (SQLITE_LIMIT_LENGTH), no statement of
# the schema over 64 KB, no table of over 100 columns (Anki's widest has 18), no ATTACH.
_MAX_VALUE_BYTES: Final = 4 * MB
_SQLITE_LIMITS: Final = (
    (sqlite3.SQLITE_LIMIT_LENGTH, _MAX_VALUE_BYTES),
    (sqlite3.SQLITE_LIMIT_SQL_LENGTH, 64 * 1024),
    (sqlite3.SQLITE_LIMIT_COLUMN, 100),
    (sqlite3.SQLITE_LIMIT_ATTACHED, 0),
    (sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 100),
    (sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, 10),
)
# The page cache, in KiB; temporary tables and sorts spill to a file past it.
_CACHE_KIB: Final = 4096
# Anki's schema has about thirty tables and indexes in about 10 KB, on a page or two.
_MAX_SCHEMA_OBJECTS: Final = 200
_MAX_SCHEMA_BYTES: Final = 1 * MB
_MAX_SCHEMA_PAGES: Final = 1000
_PLAIN_TABLE: Final = re.compile(r"\s*CREATE\s+TABLE\s", re.IGNORECASE)
_PLAIN_INDEX: Final = re.compile(r"\s*CREATE\s+(UNIQUE\s+)?INDEX\s", re.IGNORECASE)
_VIRTUAL_TABLE: Final = re.compile(r"\s*CREATE\s+VIRTUAL\s", re.IGNORECASE)
_READ_TABLES: Final = ("col", "notes", "cards")
# A deck's package holds its collection, a media list and a file per picture.
_MAX_ENTRIES: Final = 250_000
# Anki compresses with zstd's default level, a 2 MiB window; a frame may ask for 16 MiB.
_MAX_ZSTD_WINDOW: Final = 16 * MB
# Anki writes its zips stored or deflated; other methods only cost memory to unpack.
_ZIP_METHODS: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


class _TooBig(Exception):
    pass


def read_anki(
    source: bytes | Path,
    filename: str,
    limits: ImportLimits,
    *,
    deck: str | None = None,
    media_dir: Path | None = None,
) -> RawDeck:
    """The cards of an Anki package's notes, by note type, with their decks as topics.

    `deck` keeps the notes of that deck (and its subdecks) only. The pictures the cards
    show are copied into `media_dir`, a staging folder the caller moves into place once
    the deck is written; without one, pictures are left out and the summary says so.
    """

    def fail(message: str) -> DeckImportError:
        return DeckImportError.single(filename, message)

    opened: IO[bytes] | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    if not zipfile.is_zipfile(opened):
        raise fail("it is not a zip archive, so not an Anki package.")
    try:
        with zipfile.ZipFile(opened) as archive, tempfile.TemporaryDirectory() as tmp:
            entries = archive.infolist()
            if len(entries) > _MAX_ENTRIES:
                raise fail(
                    f"it holds {len(entries):,} files; an Anki package of a deck holds far "
                    f"fewer than {_MAX_ENTRIES:,}."
                )
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
            if entry.compress_type not in _ZIP_METHODS:
                raise fail(
                    f"its collection is compressed with zip method {entry.compress_type}, "
                    "which Anki never writes. Export the deck from Anki again."
                )
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > MB and ratio > limits.max_ratio:
                raise fail(
                    f"its collection is compressed {ratio:,.0f} to 1; no real Anki "
                    "collection is, so it is refused as a zip bomb."
                )
            path = Path(tmp) / "collection.sqlite3"
            with archive.open(entry) as source_file, path.open("wb") as target:
                if name.endswith("b"):
                    _unzstd(source_file, target, limits.max_unpacked_bytes)
                else:
                    _copy(source_file, target, limits.max_unpacked_bytes)
            raw = _read_collection(path, filename, limits, deck)
            path.unlink()
            media = MediaArchive(
                archive,
                filename,
                target=media_dir,
                max_ratio=limits.max_ratio,
                max_total=MAX_DECK_PICTURE_BYTES,
            )
            return _with_pictures(raw, media)
    except _TooBig:
        raise fail(
            f"its collection unpacks to more than {megabytes(limits.max_unpacked_bytes)}."
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise fail(f"the zip archive is damaged ({error}).") from None
    except zstandard.ZstdError as error:
        if "too much memory" in str(error):
            raise fail(
                "its compressed collection needs more memory to unpack than Anki's ever do."
            ) from None
        raise fail(f"its compressed collection is damaged ({error}).") from None
    except NotImplementedError as error:  # a compression method zipfile does not know
        raise fail(f"it uses an unsupported zip feature ({error}).") from None
    except RuntimeError as error:  # encrypted entries
        raise fail(f"it cannot be opened ({error}).") from None


def read_bare_collection(
    data: bytes, filename: str, limits: ImportLimits, *, deck: str | None = None
) -> RawDeck:
    """A `collection.anki2` on its own, as many repositories commit it: no pictures."""
    if not data.startswith(b"SQLite format 3\x00"):
        raise DeckImportError.single(
            filename, "it is not an SQLite database, so not an Anki collection."
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collection.sqlite3"
        path.write_bytes(data)
        raw = _read_collection(path, filename, limits, deck)
    return _with_pictures(raw, None)


class _Side:
    """A side's HTML without its first picture, and that picture's name in the package."""

    def __init__(self, html: str) -> None:
        self.html_without, self.picture = first_picture(html)


def _with_pictures(raw: RawDeck, media: MediaArchive | None) -> RawDeck:
    """Each card's text, and its pictures kept (copied one by one) or left out."""
    report = media.report if media is not None else PictureReport()
    cards: list[RawCard] = []
    for card in raw.cards:
        sides = (_Side(card.front), _Side(card.back))
        stored: list[str | None] = []
        texts: list[str] = []
        for side in sides:
            kept = None
            if side.picture is not None:
                if media is None:
                    shown = side.picture.replace("`", "'")[:60]
                    report.left_out.append(
                        Skipped(card.where, "picture left out: a bare collection holds none", shown)
                    )
                else:
                    kept = media.keep(side.picture, card.where)
            stored.append(kept)
            texts.append(html_to_text(side.html_without))
        gone = [
            name
            for name, side, text, kept in zip(("front", "back"), sides, texts, stored, strict=True)
            if side.picture is not None and kept is None and not text
        ]
        if gone:
            raw.skipped.append(
                Skipped(card.where, f"its {gone[0]} is only a picture, which was left out")
            )
            continue
        cards.append(
            replace(
                card,
                front=texts[0],
                back=texts[1],
                front_image=stored[0],
                back_image=stored[1],
            )
        )
    raw.cards = cards
    return report.into(raw)


def _copy(source: IO[bytes], target: IO[bytes], limit: int) -> None:
    """Copy at most `limit` bytes: the sizes a zip declares are not trusted."""
    written = 0
    while chunk := source.read(_CHUNK):
        written += len(chunk)
        if written > limit:
            raise _TooBig
        target.write(chunk)


def _unzstd(source: IO[bytes], target: IO[bytes], limit: int) -> None:
    decompressor = zstandard.ZstdDecompressor(max_window_size=_MAX_ZSTD_WINDOW)
    reader = decompressor.stream_reader(source, read_across_frames=True)
    with reader:
        _copy(reader, target, limit)


def _unicase(left: str, right: str) -> int:
    """Anki's own collation for names; declared by its schema, so it must exist to read it."""
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def _budget(limits: ImportLimits) -> Callable[[], int]:
    budget = max(limits.max_notes * _STEPS_PER_NOTE // _PROGRESS_EVERY, _MIN_PROGRESS_CALLS)
    calls = 0

    def progress() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > budget else 0  # non-zero aborts the statement

    return progress


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _bounded(conn: sqlite3.Connection, limits: ImportLimits) -> None:
    """Cap what SQLite may spend on this one connection, before it reads the schema."""
    for limit, value in _SQLITE_LIMITS:
        conn.setlimit(limit, value)
    conn.set_progress_handler(_budget(limits), _PROGRESS_EVERY)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    conn.execute("PRAGMA temp_store = FILE")
    conn.execute("PRAGMA mmap_size = 0")


class _DamagedSchema(Exception):
    pass


def _varint(page: bytes, at: int) -> tuple[int, int]:
    """SQLite's variable-length integer at `at`: its value and where the next field starts."""
    value = 0
    for i in range(8):
        byte = page[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | page[at + 8], at + 9


def _schema_fits(path: Path) -> bool:
    """Whether the schema table lists at most a few hundred objects in at most a megabyte,
    read from the file's own b-tree: SQLite parses every statement of a schema as soon as
    the file is used, so 200,000 views would cost half a gigabyte before any check ran.

    True for a file that is not an SQLite database at all: SQLite says so itself.
    """
    with path.open("rb") as file:
        header = file.read(100)
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            return True
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1):
            raise _DamagedSchema
        pages = [1]
        seen: set[int] = set()
        objects = size = 0
        while pages:
            number = pages.pop()
            if number in seen or number < 1:
                raise _DamagedSchema
            if len(seen) >= _MAX_SCHEMA_PAGES:
                return False
            seen.add(number)
            file.seek((number - 1) * page_size)
            page = file.read(page_size)
            start = 100 if number == 1 else 0
            if len(page) < page_size:
                raise _DamagedSchema
            kind, cells = page[start], int.from_bytes(page[start + 3 : start + 5], "big")
            if kind == 0x05:  # interior: a child page left of each cell, and one on the right
                pages.append(int.from_bytes(page[start + 8 : start + 12], "big"))
                pointers = start + 12
            elif kind == 0x0D:  # leaf: one row a cell, its payload size first
                pointers = start + 8
            else:
                raise _DamagedSchema
            for cell in range(cells):
                at = int.from_bytes(page[pointers + 2 * cell : pointers + 2 * cell + 2], "big")
                if kind == 0x05:
                    pages.append(int.from_bytes(page[at : at + 4], "big"))
                else:
                    objects += 1
                    size += _varint(page, at)[0]
            if objects > _MAX_SCHEMA_OBJECTS or size > _MAX_SCHEMA_BYTES:
                return False
    return True


def _check_schema_size(path: Path, filename: str) -> None:
    try:
        fits = _schema_fits(path)
    except (_DamagedSchema, IndexError):
        raise _not_a_collection(filename, "its schema is damaged") from None
    if not fits:
        raise _not_anki(
            filename,
            f"its schema lists over {_MAX_SCHEMA_OBJECTS} tables and indexes, or over "
            f"{megabytes(_MAX_SCHEMA_BYTES)} of them; Anki's lists about 30",
        )


def _read_collection(path: Path, filename: str, limits: ImportLimits, deck: str | None) -> RawDeck:
    _check_schema_size(path, filename)
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
        _bounded(conn, limits)
        _check_schema(conn, filename)
        raw = read_notes(conn, filename, limits, only_deck=deck)
        if not raw.cards:
            notes = len(raw.skipped)
            raise DeckImportError.single(filename, no_cards_line(raw.skipped, notes))
        return raw
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise DeckImportError.single(
                filename, "reading its collection took too long; it is not a usual deck."
            ) from None
        raise _not_a_collection(filename, error) from None
    except sqlite3.DataError as error:
        if "too big" in str(error):
            raise DeckImportError.single(
                filename,
                f"it holds a value over {megabytes(_MAX_VALUE_BYTES)}; no note of a deck "
                "is that large.",
            ) from None
        raise _not_a_collection(filename, error) from None
    except sqlite3.DatabaseError as error:
        raise _not_a_collection(filename, error) from None
    finally:
        conn.close()


def _not_a_collection(filename: str, error: Exception | str) -> DeckImportError:
    return DeckImportError.single(
        filename, f"the collection inside is not a readable Anki database ({error})."
    )


def _not_anki(filename: str, why: str) -> DeckImportError:
    return DeckImportError.single(
        filename, f"the database inside is not an Anki collection ({why})."
    )


def _check_schema(conn: sqlite3.Connection, filename: str) -> None:
    """Anki's collections are plain tables and indexes; anything else runs code on read.

    A view named `notes` can be a recursive query that never ends, a trigger or a virtual
    table is code too, and a computed column is evaluated for every row read. None is
    ever in a collection Anki writes, so a file with one is refused before it is read.
    """
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master LIMIT ?", (_MAX_SCHEMA_OBJECTS + 1,)
    ).fetchall()
    if len(rows) > _MAX_SCHEMA_OBJECTS:
        raise _not_anki(filename, f"it defines over {_MAX_SCHEMA_OBJECTS} tables and indexes")
    tables: set[str] = set()
    for kind_blob, name_blob, sql_blob in rows:
        kind, name, sql = _text(kind_blob), _text(name_blob), _text(sql_blob)
        # SQLite builds its schema from the statement, not from the type column.
        if kind == "table" and _PLAIN_TABLE.match(sql):
            tables.add(name)
        elif kind == "index" and (not sql or _PLAIN_INDEX.match(sql)):
            continue
        else:
            shown = "virtual table" if _VIRTUAL_TABLE.match(sql) else kind or "object"
            raise _not_anki(filename, f"it defines the {shown} `{name[:40]}`")
    missing = [name for name in _READ_TABLES if name not in tables]
    if missing:
        raise _not_anki(filename, f"it has no {missing[0]} table")
    for table in (*_READ_TABLES, "decks", "notetypes", "fields"):
        if table not in tables:
            continue
        for column in conn.execute(f"PRAGMA table_xinfo({table})"):
            if column[-1]:  # hidden: 2 and 3 are computed columns
                raise _not_anki(
                    filename, f"its {table} table has a computed column `{_text(column[1])}`"
                )
