"""What an Anki import costs in memory, measured in a process of its own.

The import runs in a fresh Python whose peak resident size (ru_maxrss, which counts
SQLite's and zstd's memory as well as Python's) is read before and after: the difference
is what the import added at its worst moment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.importers import SERVER_LIMITS
from tests.importers.builders import distinct_notes, identical_notes, many_views

REPO = Path(__file__).resolve().parents[2]
# What an import may add to the bot's peak memory, whatever the package holds.
BOUND_MB = 150

MEASURE = """
import json, resource, sys
from pathlib import Path
from bot.importers import SERVER_LIMITS, DeckImportError, import_deck

data = Path(sys.argv[1]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    outcome = f"imported {len(import_deck(data, 'deck.apkg', limits=SERVER_LIMITS).deck.cards)}"
except DeckImportError as error:
    outcome = str(error)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "added_mb": (after - before) / 1024}))
"""


def measured(tmp_path: Path, package: bytes) -> tuple[str, float]:
    path = tmp_path / "deck.apkg"
    path.write_bytes(package)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result = json.loads(done.stdout)
    return result["outcome"], result["added_mb"]


@pytest.fixture(scope="module")
def two_million_copies() -> bytes:
    package = identical_notes(2_000_000)
    assert len(package) < SERVER_LIMITS.max_file_bytes
    return package


def test_two_million_copies_of_a_note_are_refused_within_the_bound(
    tmp_path: Path, two_million_copies: bytes
) -> None:
    outcome, added = measured(tmp_path, two_million_copies)
    assert added < BOUND_MB
    assert outcome == (
        "`deck.apkg` was not imported: it holds more than 50,000 notes, more than an import "
        "reads. Export a smaller deck from Anki."
    )


def test_as_many_notes_and_as_much_text_as_an_import_reads_stay_within_the_bound(
    tmp_path: Path,
) -> None:
    # 50,000 notes with 8 MiB of fronts and backs: all of it is read before the deck is
    # found to be over 5,000 cards, the most an import may hold in memory at once.
    notes = SERVER_LIMITS.max_notes
    package = distinct_notes(notes, note_bytes=SERVER_LIMITS.max_note_bytes // notes - 10)
    assert len(package) < SERVER_LIMITS.max_file_bytes
    outcome, added = measured(tmp_path, package)
    assert added < BOUND_MB
    assert outcome == (
        "`deck.apkg` was not imported: it has 50,000 cards; a deck holds at most 5,000. "
        "Split it into several files."
    )


def test_a_schema_of_200000_views_is_refused_within_the_bound(tmp_path: Path) -> None:
    package = many_views(200_000)
    assert len(package) < SERVER_LIMITS.max_file_bytes
    outcome, added = measured(tmp_path, package)
    assert added < BOUND_MB
    assert outcome == (
        "`deck.apkg` was not imported: the database inside is not an Anki collection (its "
        "schema lists over 200 tables and indexes, or over 1 MiB of them; Anki's lists "
        "about 30)."
    )
