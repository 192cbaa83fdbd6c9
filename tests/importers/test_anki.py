"""Anki packages built with genanki, the newer zstd layout, and hostile archives."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from zipfile import ZIP_LZMA

import pytest
import zstandard

from bot.importers import SERVER_LIMITS, DeckImportError, ImportLimits, ImportResult, import_deck
from bot.importers.model import MB
from tests.importers.builders import (
    Note,
    Package,
    altered,
    anki21b,
    apkg,
    collection_of,
    distinct_notes,
    identical_notes,
    many_views,
    rezip,
    understate_size,
    wide_window_zstd,
    zip_bomb,
)

SPANISH = Package(
    "Spanish::Verbs",
    [
        Note("<b>hablar</b>&nbsp;[sound:hablar.mp3]", "to speak<br>to talk", ["regular_ar"]),
        Note("<div>comer</div>", "<div>to eat</div><div>(regular)</div>", ["regular_er", "leech"]),
        Note("ser", 'to be <img src="ser.png">', ["irregular"]),
        Note("ir", "", ["irregular"]),
        Note("HABLAR", "duplicate, by its words", ["regular_ar"]),
        Note("estar &amp; ser", "to be (state &lt; essence)", ["marked", "irregular"]),
    ],
    cloze=["{{c1::Tengo}} hambre"],
)


def imported(
    data: bytes,
    filename: str = "spanish.apkg",
    limits: ImportLimits = SERVER_LIMITS,
    **options: str,
) -> ImportResult:
    return import_deck(data, filename, limits=limits, **options)  # type: ignore[arg-type]


def refused(data: bytes, filename: str = "bad.apkg", limits: ImportLimits = SERVER_LIMITS) -> str:
    with pytest.raises(DeckImportError) as raised:
        imported(data, filename, limits)
    return str(raised.value)


def test_an_apkg_gives_cards_its_deck_name_and_shared_tags_as_topics() -> None:
    result = imported(apkg(SPANISH))
    deck = result.deck
    assert result.format == "Anki package"
    assert deck.title == "Spanish::Verbs" and deck.id == "spanish-verbs"
    assert result.summary.title_reason == "the name of its only deck"
    # `regular_er` is on one note and `marked`, `leech` are Anki's own: never topics.
    assert [(c.front, c.back, c.topic) for c in deck.cards] == [
        ("hablar", "to speak\nto talk", "regular ar"),
        ("comer", "to eat\n(regular)", None),
        ("ser", "to be", "irregular"),
        ("estar & ser", "to be (state < essence)", "irregular"),
        ("[...] hambre", "Tengo", None),
    ]
    assert deck.topics == ("regular ar", "irregular")
    assert deck.cards[0].accept == ("duplicate, by its words",)  # note 5's other back
    assert [str(s) for s in result.skipped] == ["note 4: empty back"]
    # Without a folder to copy pictures into, the one in note 3 is left out, and said so.
    assert [g.line() for g in result.summary.pictures_left_out] == [
        "picture left out: this import was given no folder to keep pictures in: 1 "
        "(note 3 (ser.png))"
    ]


def test_id_and_title_given_win_over_the_package() -> None:
    deck = imported(apkg(SPANISH), deck_id="verbos", title="Verbos españoles").deck
    assert (deck.id, deck.title) == ("verbos", "Verbos españoles")


def test_a_colpkg_and_subdecks_take_the_parent_deck_as_title() -> None:
    package = Package(
        "Geo",
        [Note("France", "Paris", deck="Geo::Europe"), Note("Peru", "Lima", deck="Geo::Americas")],
    )
    result = imported(apkg(package), "my collection.colpkg")
    assert result.deck.title == "Geo"
    assert sorted(c.back for c in result.deck.cards) == ["Lima", "Paris"]


def test_the_default_deck_name_gives_way_to_the_file_name() -> None:
    result = imported(apkg(Package("Default", [Note("q", "a")])), "Biology_101.apkg")
    assert (result.deck.title, result.deck.id) == ("Biology 101", "biology-101")


@pytest.mark.parametrize("newer_schema", [False, True])
def test_the_zstd_compressed_anki21b_collection_wins_over_the_stub(newer_schema: bool) -> None:
    package = anki21b(apkg(SPANISH), newer_schema=newer_schema)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert {"collection.anki2", "collection.anki21b"} <= set(archive.namelist())
    result = imported(package)
    assert result.deck.title == "Spanish::Verbs"
    assert [c.front for c in result.deck.cards] == [
        "hablar",
        "comer",
        "ser",
        "estar & ser",
        "[...] hambre",
    ]


def test_a_plain_anki21_collection_is_read_too() -> None:
    package = rezip({"collection.anki21": collection_of(apkg(SPANISH)), "media": b"{}"})
    assert len(imported(package).deck.cards) == 5


# --------------------------------------------------------------------------- hostile


def test_a_file_that_is_not_a_zip_is_refused() -> None:
    assert refused(b"SQLite format 3\x00 but not zipped") == (
        "`bad.apkg` was not imported: it is not a zip archive, so not an Anki package."
    )


def test_a_zip_without_a_collection_is_refused() -> None:
    assert "it holds no Anki collection" in refused(rezip({"notes.txt": b"hello"}))


def test_a_zip_bomb_over_the_limit_is_refused_before_unpacking() -> None:
    bomb = zip_bomb(65 * 1024 * 1024)
    assert len(bomb) < 100_000
    assert refused(bomb) == (
        "`bad.apkg` was not imported: it would unpack to 65 MiB, more than the 64 MiB allowed."
    )


def test_a_zip_bomb_under_the_size_limit_is_refused_by_its_ratio() -> None:
    assert "compressed 1,0" in refused(zip_bomb(8 * 1024 * 1024))
    assert "refused as a zip bomb" in refused(zip_bomb(8 * 1024 * 1024))


def test_a_zip_that_understates_its_size_is_refused_as_damaged() -> None:
    lying = understate_size(rezip({"collection.anki2": bytes(3 * 1024 * 1024)}), 1000)
    assert refused(lying) == (
        "`bad.apkg` was not imported: the zip archive is damaged "
        "(Bad CRC-32 for file 'collection.anki2')."
    )


def test_a_broken_sqlite_file_is_refused() -> None:
    assert refused(rezip({"collection.anki2": b"not a database at all " * 100})) == (
        "`bad.apkg` was not imported: the collection inside is not a readable Anki database "
        "(file is not a database)."
    )


def test_a_truncated_collection_is_refused() -> None:
    collection = collection_of(apkg(SPANISH))
    message = refused(rezip({"collection.anki2": collection[: len(collection) // 3]}))
    assert "the collection inside is not a readable Anki database" in message


def test_a_database_that_is_not_an_anki_collection_is_refused() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "other.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE things (x)")
        conn.close()
        data = path.read_bytes()
    assert "the database inside is not an Anki collection" in refused(
        rezip({"collection.anki2": data})
    )


def test_a_note_with_invalid_utf8_is_refused_with_its_number() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collection.sqlite3"
        path.write_bytes(collection_of(apkg(SPANISH)))
        with sqlite3.connect(path) as conn:
            note_id = conn.execute("SELECT id FROM notes ORDER BY id LIMIT 1 OFFSET 2").fetchone()
            conn.execute(
                "UPDATE notes SET flds = CAST(x'73e9721f746f206265' AS TEXT) WHERE id = ?",
                note_id,
            )
        conn.close()
        data = path.read_bytes()
    assert refused(rezip({"collection.anki2": data})) == (
        "`bad.apkg` was not imported:\n- note 3: its text is not valid UTF-8"
    )


def test_a_damaged_zstd_stream_is_refused() -> None:
    package = rezip({"collection.anki21b": b"\x28\xb5\x2f\xfd" + b"garbage" * 10})
    assert "its compressed collection is damaged" in refused(package)


# --------------------------------------------------------------------------- resources


def spanish_with(*statements: str) -> bytes:
    return rezip({"collection.anki2": altered(collection_of(apkg(SPANISH)), *statements)})


RECURSIVE_NOTES = (
    "CREATE VIEW notes AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
    "SELECT i AS id, 'a' || char(31) || 'b' AS flds, '' AS tags FROM r WHERE i < 0"
)


def test_notes_as_a_recursive_view_are_refused_before_they_are_read() -> None:
    package = spanish_with("DROP TABLE notes", RECURSIVE_NOTES)
    assert len(package) < 3000
    assert refused(package) == (
        "`bad.apkg` was not imported: the database inside is not an Anki collection "
        "(it defines the view `notes`)."
    )


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        (
            "CREATE TRIGGER t AFTER INSERT ON notes BEGIN DELETE FROM cards; END",
            "it defines the trigger `t`",
        ),
        ("CREATE VIEW v AS SELECT 1", "it defines the view `v`"),
        ("CREATE VIRTUAL TABLE search USING fts5(text)", "it defines the virtual table `search`"),
        (
            "ALTER TABLE notes ADD COLUMN big TEXT AS (printf('%.*c', 1000000, 'x'))",
            "its notes table has a computed column `big`",
        ),
    ],
)
def test_code_in_the_schema_is_refused(statement: str, why: str) -> None:
    assert refused(spanish_with(statement)) == (
        f"`bad.apkg` was not imported: the database inside is not an Anki collection ({why})."
    )


def test_a_schema_of_hundreds_of_objects_is_refused_before_sqlite_reads_it() -> None:
    assert refused(many_views(150)).endswith("(it defines the view `v1`).")
    assert refused(many_views(200)) == (
        "`bad.apkg` was not imported: the database inside is not an Anki collection (its "
        "schema lists over 200 tables and indexes, or over 1 MiB of them; Anki's lists "
        "about 30)."
    )


def test_a_damaged_schema_table_is_refused() -> None:
    collection = bytearray(collection_of(apkg(SPANISH)))
    collection[100] = 0x42  # the schema table's first page is neither leaf nor interior
    assert refused(rezip({"collection.anki2": bytes(collection)})) == (
        "`bad.apkg` was not imported: the collection inside is not a readable Anki database "
        "(its schema is damaged)."
    )


def test_a_collection_without_a_notes_table_is_refused() -> None:
    assert refused(spanish_with("DROP TABLE notes")).endswith("(it has no notes table).")


def test_reading_stops_at_the_notes_cap() -> None:
    limits = ImportLimits(max_file_bytes=2_000_000, max_cards=10, max_unpacked_bytes=2**26)
    capped = ImportLimits(**{**limits.__dict__, "max_notes": 6})
    assert len(imported(apkg(SPANISH), limits=limits).deck.cards) == 5
    assert refused(apkg(SPANISH), limits=capped) == (
        "`bad.apkg` was not imported: it holds more than 6 notes, more than an import reads. "
        "Export a smaller deck from Anki."
    )


def test_a_package_of_many_copies_of_one_note_is_refused_at_the_cap() -> None:
    package = identical_notes(SERVER_LIMITS.max_notes + 1)
    assert len(package) < 100_000
    assert refused(package) == (
        "`bad.apkg` was not imported: it holds more than 50,000 notes, more than an import "
        "reads. Export a smaller deck from Anki."
    )


def test_the_html_read_from_fronts_and_backs_is_capped() -> None:
    limits = ImportLimits(
        max_file_bytes=2 * MB, max_cards=5000, max_unpacked_bytes=64 * MB, max_note_bytes=MB
    )
    assert len(imported(distinct_notes(2_000, note_bytes=400), limits=limits).deck.cards) == 2_000
    assert refused(distinct_notes(3_000, note_bytes=400), limits=limits) == (
        "`bad.apkg` was not imported: its notes hold more than 1 MiB of text, more "
        "than an import reads. Export a smaller deck from Anki."
    )


def test_a_value_over_the_sqlite_length_limit_is_refused() -> None:
    collection = altered(
        collection_of(apkg(SPANISH)),
        "UPDATE notes SET flds = zeroblob(5 * 1024 * 1024) "
        "WHERE rowid = (SELECT rowid FROM notes ORDER BY rowid LIMIT 1 OFFSET 1)",
    )
    package = rezip({"collection.anki21b": zstandard.ZstdCompressor().compress(collection)})
    assert len(package) < 10_000
    assert refused(package) == (
        "`bad.apkg` was not imported: it holds a value over 4 MiB; no note of a deck is that large."
    )


def test_a_collection_compressed_with_lzma_is_refused() -> None:
    package = rezip({"collection.anki2": collection_of(apkg(SPANISH))}, compression=ZIP_LZMA)
    assert refused(package) == (
        "`bad.apkg` was not imported: its collection is compressed with zip method 14, which "
        "Anki never writes. Export the deck from Anki again."
    )


def test_a_zstd_frame_asking_for_a_huge_window_is_refused() -> None:
    collection = wide_window_zstd(collection_of(apkg(SPANISH)), window_log=27)
    assert refused(rezip({"collection.anki21b": collection})) == (
        "`bad.apkg` was not imported: its compressed collection needs more memory to unpack "
        "than Anki's ever do."
    )
    anki_like = wide_window_zstd(collection_of(apkg(SPANISH)), window_log=21)
    assert len(imported(rezip({"collection.anki21b": anki_like})).deck.cards) == 5
