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


# --------------------------------------------------------------------------- note types

REVERSED = genanki.Model(
    1_607_392_321,
    "Basic (and reversed card)",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"},
        {"name": "Card 2", "qfmt": "{{Back}}", "afmt": "{{Front}}"},
    ],
)
OPTIONAL_REVERSED = genanki.Model(
    1_607_392_325,
    "Basic (optional reversed card)",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Add Reverse"}],
    templates=[
        {"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"},
        {"name": "Card 2", "qfmt": "{{#Add Reverse}}{{Back}}{{/Add Reverse}}", "afmt": "{{Front}}"},
    ],
)
# Anki's "Basic": one card a note, front to back.
FRONT_BACK = genanki.Model(
    1_607_392_326,
    "Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
)
TYPE_IN = genanki.Model(
    1_607_392_322,
    "Basic (type in the answer)",
    # A note type whose answer is not its second field: names must decide.
    fields=[{"name": "Notes"}, {"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}} {{type:Back}}", "afmt": "{{Back}}"}],
)
OCCLUSION = genanki.Model(
    1_607_392_323,
    "Image Occlusion Enhanced",
    fields=[
        {"name": "ID (hidden)"},
        {"name": "Header"},
        {"name": "Image"},
        {"name": "Question Mask"},
        {"name": "Footer"},
        {"name": "Answer Mask"},
    ],
    templates=[{"name": "IO Card", "qfmt": "{{Image}}{{Question Mask}}", "afmt": "{{Image}}"}],
)
ONE_FIELD = genanki.Model(
    1_607_392_324,
    "Vocabulary list",
    fields=[{"name": "Word"}],
    templates=[{"name": "Card 1", "qfmt": "{{Word}}", "afmt": "{{Word}}"}],
)
CLOZE_WITH_EXTRA = CLOZE

# A 1x1 PNG, GIF and the start of a JPEG: real magic bytes, made here.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75"
    b"\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@dataclass
class Typed:
    """A note of any model, in a deck by its full name."""

    model: genanki.Model
    fields: Sequence[str]
    deck: str
    tags: Sequence[str] = ()


def collection(notes: Sequence[Typed], media: dict[str, bytes] | None = None) -> bytes:
    """A package of several decks and note types, with `media` (name -> bytes) as genanki
    writes it: a JSON `media` list and numbered files."""
    decks: dict[str, genanki.Deck] = {}
    for note in notes:
        if note.deck not in decks:
            decks[note.deck] = genanki.Deck(DECK_ID + 10 + len(decks), note.deck)
        decks[note.deck].add_note(
            genanki.Note(model=note.model, fields=list(note.fields), tags=list(note.tags))
        )
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in (media or {}).items():
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(str(path))
        out = io.BytesIO()
        genanki.Package(list(decks.values()), media_files=paths).write_to_file(out)
        return out.getvalue()


def newer_media(package: bytes) -> bytes:
    """The package as Anki 2.1.50+ writes its media: a zstd-compressed protobuf list and
    zstd-compressed numbered files."""
    zstd = zstandard.ZstdCompressor()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = json.loads(archive.read("media"))
        entries = {"collection.anki2": archive.read("collection.anki2")}
        listed = b""
        for index in range(len(names)):
            name = names[str(index)].encode()
            data = archive.read(str(index))
            entry = b"\x0a" + _varint(len(name)) + name + b"\x10" + _varint(len(data))
            listed += b"\x0a" + _varint(len(entry)) + entry
            entries[str(index)] = zstd.compress(data)
    entries["media"] = zstd.compress(listed)
    return rezip(entries)


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def with_media(package: bytes, media_list: bytes, files: dict[str, bytes]) -> bytes:
    """The package's collection with another media list and files, as a hostile author."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        entries = {"collection.anki2": archive.read("collection.anki2")}
    return rezip({**entries, "media": media_list, **files})


def with_notetype_tables(package: bytes) -> bytes:
    """The package's collection with its note types moved from `col.models` JSON into the
    `notetypes` and `fields` tables of Anki 2.1.28+, as newer exports hold them."""
    entries = {}
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collection.sqlite3"
        path.write_bytes(entries["collection.anki2"])
        conn = sqlite3.connect(path)
        models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
        conn.execute(
            "CREATE TABLE notetypes (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, "
            "mtime_secs INTEGER NOT NULL, usn INTEGER NOT NULL, config BLOB NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE fields (ntid INTEGER NOT NULL, ord INTEGER NOT NULL, "
            "name TEXT NOT NULL, config BLOB NOT NULL, PRIMARY KEY (ntid, ord)) WITHOUT ROWID"
        )
        for model_id, model in models.items():
            conn.execute(
                "INSERT INTO notetypes VALUES (?, ?, 0, 0, x'')", (int(model_id), model["name"])
            )
            for field_info in model["flds"]:
                conn.execute(
                    "INSERT INTO fields VALUES (?, ?, ?, x'')",
                    (int(model_id), field_info["ord"], field_info["name"]),
                )
        conn.execute("UPDATE col SET models = '', ver = 18")
        conn.commit()
        conn.close()
        entries["collection.anki2"] = path.read_bytes()
    return rezip(entries)
