"""Tiny builders for import tests: Anki packages made with genanki, reshaped like newer
Anki versions write them, and hostile archives. Nothing binary is kept in the repository."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import genanki
import zstandard

# Fixed ids: genanki derives nothing random from them, so packages are reproducible.
BASIC_MODEL_ID = 1_607_392_319
CLOZE_MODEL_ID = 1_607_392_320
DECK_ID = 2_059_400_110

BASIC = genanki.Model(
    BASIC_MODEL_ID,
    "Basic (test)",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Extra"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"}],
)
CLOZE = genanki.Model(
    CLOZE_MODEL_ID,
    "Cloze (test)",
    model_type=genanki.Model.CLOZE,
    fields=[{"name": "Text"}, {"name": "Back Extra"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}"}],
)


@dataclass
class Note:
    front: str
    back: str
    tags: Sequence[str] = ()
    extra: str = ""
    deck: str | None = None  # a subdeck of the package's deck, by full name


@dataclass
class Package:
    deck_name: str
    notes: list[Note] = field(default_factory=list)
    cloze: list[str] = field(default_factory=list)


def apkg(package: Package) -> bytes:
    """An .apkg as genanki writes it: a zip with `collection.anki2` and `media`."""
    decks: dict[str, genanki.Deck] = {}

    def deck(name: str) -> genanki.Deck:
        if name not in decks:
            decks[name] = genanki.Deck(DECK_ID + len(decks), name)
        return decks[name]

    deck(package.deck_name)
    for note in package.notes:
        fields = [note.front, note.back, note.extra]
        target = deck(note.deck or package.deck_name)
        target.add_note(genanki.Note(model=BASIC, fields=fields, tags=list(note.tags)))
    for text in package.cloze:
        deck(package.deck_name).add_note(genanki.Note(model=CLOZE, fields=[text, ""]))
    out = io.BytesIO()
    genanki.Package(list(decks.values())).write_to_file(out)
    return out.getvalue()


def collection_of(package: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.read("collection.anki2")


def rezip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def anki21b(package: bytes, *, newer_schema: bool = False) -> bytes:
    """The package as Anki 2.1.50+ exports it: the collection zstd-compressed as
    `collection.anki21b`, beside a stub `collection.anki2` asking to upgrade.

    `newer_schema` also moves the deck names from `col.decks` JSON into the `decks`
    table of Anki's newer schema, names joined by 0x1f and sorted by Anki's collation.
    """
    collection = collection_of(package)
    if newer_schema:
        collection = _with_decks_table(collection)
    # Anki's stub is a legacy collection whose one note asks to upgrade; it must lose.
    stub = apkg(Package("Stub", [Note("This file requires a newer version of Anki.", "-")]))
    zstd = zstandard.ZstdCompressor()
    return rezip(
        {
            "collection.anki2": collection_of(stub),
            "collection.anki21b": zstd.compress(collection),
            "media": zstd.compress(b""),
            "meta": b"\x08\x03",
        }
    )


def _unicase(left: str, right: str) -> int:
    return (left.lower() > right.lower()) - (left.lower() < right.lower())


def _with_decks_table(collection: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collection.sqlite3"
        path.write_bytes(collection)
        conn = sqlite3.connect(path)
        # Anki registers this collation itself; the reader must cope with its name.
        conn.create_collation("unicase", _unicase)
        decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
        conn.execute(
            "CREATE TABLE decks (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL "
            "COLLATE unicase, mtime_secs INTEGER NOT NULL, usn INTEGER NOT NULL, "
            "common BLOB NOT NULL, kind BLOB NOT NULL)"
        )
        conn.execute("CREATE UNIQUE INDEX idx_decks_name ON decks (name)")
        for deck_id, deck in decks.items():
            conn.execute(
                "INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')",
                (int(deck_id), deck["name"].replace("::", "\x1f")),
            )
        conn.execute("UPDATE col SET decks = '', ver = 18")
        conn.commit()
        conn.execute("PRAGMA journal_mode = WAL")  # Anki keeps its collection in WAL mode
        conn.close()
        return path.read_bytes()


def zip_bomb(unpacked: int, *, name: str = "collection.anki2") -> bytes:
    """A package whose collection is `unpacked` zero bytes: deflate shrinks it ~1000 times."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(name, "w", force_zip64=True) as entry,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(unpacked // len(chunk)):
            entry.write(chunk)
    return out.getvalue()


def understate_size(package: bytes, declared: int) -> bytes:
    """The package with its first entry's uncompressed size rewritten in both headers, as a
    hostile archive would lie to get past a size check."""
    data = bytearray(package)
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(data)


def altered(collection: bytes, *statements: str) -> bytes:
    """The collection after running `statements` on it, as a hostile author could."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collection.sqlite3"
        path.write_bytes(collection)
        conn = sqlite3.connect(path)
        conn.create_collation("unicase", _unicase)
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.execute("VACUUM")
        conn.close()
        return path.read_bytes()


def identical_notes(count: int) -> bytes:
    """An Anki 2.1.50+ package of `count` copies of one small note: a few MB of collection
    that zstd packs into a small file (2,000,000 notes: 56 MB in 1.6 MB)."""
    note = apkg(Package("Copies", [Note("same front", "same back")]))
    collection = altered(
        collection_of(note),
        "DROP INDEX ix_notes_usn",
        "DROP INDEX ix_notes_csum",
        "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) "
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT {count - 1}) "
        "SELECT notes.id + i, 'g', mid, 0, 0, '', 'a' || char(31) || 'b', 0, 0, 0, '' "
        "FROM notes, n",
    )
    return rezip({"collection.anki21b": zstandard.ZstdCompressor(level=3).compress(collection)})


def wide_window_zstd(data: bytes, window_log: int) -> bytes:
    """`data` as one zstd frame that asks the reader for a 2**window_log byte window."""
    params = zstandard.ZstdCompressionParameters(window_log=window_log, write_content_size=False)
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(
        out, closefd=False
    ) as writer:
        writer.write(data)
    return out.getvalue()


def distinct_notes(count: int, *, note_bytes: int) -> bytes:
    """An Anki 2.1.50+ package of `count` different notes of about `note_bytes` of HTML each,
    two cards a note: as much as an import reads, in a small file."""
    note = apkg(Package("Distinct", [Note("first front", "first back")]))
    padding = max(note_bytes - 60, 1)
    collection = altered(
        collection_of(note),
        "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) "
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT {count - 1}) "
        "SELECT notes.id + i, 'g' || i, mid, 0, 0, ' topic_' || (i % 50) || ' ', "
        f"'<div>front <b>' || i || '</b> ' || printf('%.{padding // 2}c', 'f') || '</div>' "
        f"|| char(31) || 'back ' || i || ' ' || printf('%.{padding // 2}c', 'b'), "
        "'', 0, 0, '' FROM notes, n",
        "INSERT INTO cards SELECT notes.id * 2 + k, notes.id, did, k, 0, 0, 0, 0, 0, 0, 0, 0, "
        "0, 0, 0, 0, 0, '' FROM notes, (SELECT did FROM cards LIMIT 1), "
        "(SELECT 0 AS k UNION ALL SELECT 1)",
    )
    return rezip({"collection.anki21b": zstandard.ZstdCompressor(level=3).compress(collection)})


def many_views(count: int) -> bytes:
    """An Anki 2.1.50+ package whose schema lists `count` views besides Anki's tables,
    written straight into the schema table (200,000: 36 MB of schema in a small file)."""
    view = (
        "'CREATE VIEW v' || i || '(a, b, c, d) AS SELECT 1, 2, 3, 4 FROM notes, notes, "
        "notes, notes WHERE 1 = 1 AND 2 = 2 AND 3 = 3 AND 4 = 4 AND 5 = 5 AND 6 = 6'"
    )
    collection = altered(
        collection_of(apkg(Package("Views", [Note("q", "a")]))),
        "PRAGMA writable_schema = ON",
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT {count}) "
        f"SELECT 'view', 'v' || i, 'v' || i, 0, {view} FROM n",
    )
    return rezip({"collection.anki21b": zstandard.ZstdCompressor(level=3).compress(collection)})
