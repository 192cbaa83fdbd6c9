"""Importing a large Anki collection with pictures: time, and memory flat in the pictures.

`python -m bench imports` builds (once, cached in the temporary folder) Anki packages of
20,000 notes with 200 and with 2,000 pictures, and imports each with the command line
(`python -m bot decks import`) in a fresh process, which reports its time and peak RSS.
The pictures are streamed one at a time into the deck's media folder, so the peak must
not grow with their number: that ratio is the target.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench._common import Report, Table, Target, mib, probe, ratio, secs, times

NAME = "imports"
# A picture of this many bytes: a PNG signature, then bytes that do not compress.
PICTURE_BYTES = 24 * 1024
# Peak memory with ten times the pictures may be at most this much higher.
FLAT_RATIO = 1.10
# The whole import of the full-size collection, pictures included.
MAX_SECONDS = 60.0
_CACHE = Path(tempfile.gettempdir()) / "quizbot-bench-imports"
_PNG = b"\x89PNG\r\n\x1a\n"


def _collection(notes: int, pictures: int) -> bytes:
    """An Anki collection of `notes` notes, the first `pictures` of them asking with a
    picture, written with genanki's schema and filled with SQL."""
    import genanki

    model = genanki.Model(
        1_700_000_001,
        "Basic",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
    )
    deck = genanki.Deck(1_700_000_002, "Bench::Anatomy")
    deck.add_note(genanki.Note(model=model, fields=["seed front", "seed back"], tags=["seed"]))
    out = io.BytesIO()
    genanki.Package(deck).write_to_file(out)
    with zipfile.ZipFile(out) as archive:
        seed = archive.read("collection.anki2")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collection.anki2"
        path.write_bytes(seed)
        conn = sqlite3.connect(path)
        conn.execute(
            "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT ?) "
            "SELECT notes.id + i, 'g' || i, mid, 0, 0, ' part_' || (i % 40) || ' ', "
            "'Structure ' || i || CASE WHEN i <= ? THEN ' <img src=\"p' || i || '.png\">' "
            "ELSE '' END || char(31) || 'Answer ' || i, '', 0, 0, '' FROM notes, n",
            (notes - 1, pictures),
        )
        conn.execute(
            "INSERT INTO cards SELECT notes.id * 2, notes.id, did, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
            "0, 0, 0, 0, 0, '' FROM notes, (SELECT did FROM cards LIMIT 1) "
            "WHERE notes.id NOT IN (SELECT nid FROM cards)"
        )
        conn.commit()
        conn.close()
        return path.read_bytes()


def package(notes: int, pictures: int) -> Path:
    """The package of that size, built once and kept in the temporary folder."""
    path = _CACHE / f"anatomy-{notes}-{pictures}-{PICTURE_BYTES}.apkg"
    if path.exists():
        return path
    _CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", _collection(notes, pictures))
        archive.writestr("media", json.dumps({str(i): f"p{i + 1}.png" for i in range(pictures)}))
        for index in range(pictures):
            body = _PNG + os.urandom(PICTURE_BYTES - len(_PNG))
            archive.writestr(str(index), body, compress_type=zipfile.ZIP_STORED)
    partial.rename(path)
    return path


def _import(source: Path) -> dict[str, Any]:
    """Import in this process (run as a fresh one): seconds, peak RSS, what was written."""
    from bot.cli import import_deck_file

    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        decks = Path(tmp) / "decks"
        began = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                status = import_deck_file(source, decks, deck_id="anatomy", title=None, force=False)
            finally:
                sys.stdout = stdout
        seconds = time.perf_counter() - began
        media = decks / "anatomy.media"
        kept = len(list(media.iterdir())) if media.exists() else 0
        return {
            "status": status,
            "seconds": seconds,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "pictures": kept,
            "yaml_bytes": (decks / "anatomy.yaml").stat().st_size if status == 0 else 0,
        }


def run(quick: bool) -> Report:
    notes, few, many = (2_000, 20, 200) if quick else (20_000, 200, 2_000)
    report = Report(
        name=NAME,
        title="Imports: an Anki collection with pictures",
        command=f"python -m bench imports{' --quick' if quick else ''}",
        sizes={"notes": notes, "pictures": f"{few:,} and {many:,}", "picture bytes": PICTURE_BYTES},
    )
    began = time.perf_counter()
    sources = {count: package(notes, count) for count in (few, many)}
    built = time.perf_counter() - began
    results = {
        count: probe("bench.imports", "import", str(path)) for count, path in sources.items()
    }
    for count, result in results.items():
        assert result["status"] == 0, f"the import of {count} pictures failed"
        assert result["pictures"] == count, f"{result['pictures']} of {count} pictures kept"
    report.tables.append(
        Table(
            f"`python -m bot decks import` of {notes:,} notes, each in a fresh process",
            ["pictures", "package", "time", "peak RSS", "deck YAML", "vs fewer pictures"],
            [
                [
                    f"{count:,}",
                    mib(sources[count].stat().st_size),
                    secs(result["seconds"]),
                    mib(result["peak"]),
                    mib(result["yaml_bytes"]),
                    times(ratio(result["peak"], results[few]["peak"])),
                ]
                for count, result in results.items()
            ],
        )
    )
    flat = ratio(results[many]["peak"], results[few]["peak"])
    report.targets.append(
        Target(
            f"peak memory flat in the pictures: {many:,} pictures within {FLAT_RATIO:.2f}× "
            f"of {few:,}",
            flat <= FLAT_RATIO,
            f"{mib(results[many]['peak'])} vs {mib(results[few]['peak'])}: {times(flat)}",
        )
    )
    report.targets.append(
        Target(
            f"{notes:,} notes with {many:,} pictures imported in under {MAX_SECONDS:.0f} s",
            results[many]["seconds"] < MAX_SECONDS,
            secs(results[many]["seconds"]),
        )
    )
    report.notes.append(
        f"Packages are built once and cached in {_CACHE} (this run: {secs(built)}); "
        "pictures are incompressible PNG-signed bytes, stored as Anki stores them."
    )
    report.data = {"results": {str(k): v for k, v in results.items()}, "flat_ratio": flat}
    return report


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "import":
        print(json.dumps(_import(Path(argv[1]))))
        return 0
    print("usage: python -m bench.imports import PACKAGE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
