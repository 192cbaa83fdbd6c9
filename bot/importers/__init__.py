"""Bring your own deck: CSV/TSV (Quizlet's and Anki's text exports too), Anki packages,
Markdown notes and Red-DiscordBot trivia lists.

`import_deck` turns an uploaded or local file into a validated `Deck`, reporting what it
skipped (empty rows, duplicates, over-long cards) and refusing, with line or note numbers,
what it cannot read. The readers never touch Discord or the bot's database.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Final

from bot.importers.anki import read_anki, read_bare_collection
from bot.importers.assemble import ImportResult, assemble, slugify
from bot.importers.deck_zip import import_deck_archive
from bot.importers.delimited import read_delimited
from bot.importers.markdown import read_markdown
from bot.importers.media import LocalPictures, markdown_pictures
from bot.importers.model import (
    CLI_LIMITS,
    SERVER_LIMITS,
    DeckImportError,
    ImportLimits,
    ImportProblem,
    RawDeck,
    Skipped,
    megabytes,
)
from bot.importers.tables import looks_like_markdown_table
from bot.importers.text import decode_text
from bot.importers.trivia import read_trivia

ANKI_SUFFIXES: Final = (".apkg", ".colpkg")
# A collection's SQLite file on its own, as repositories often commit `collection.anki2`.
COLLECTION_SUFFIXES: Final = (".anki2", ".anki21")
TEXT_SUFFIXES: Final = (".csv", ".tsv", ".txt", ".md", ".markdown")
TRIVIA_SUFFIXES: Final = (".yaml", ".yml")  # Red-DiscordBot trivia lists
ARCHIVE_SUFFIXES: Final = (".zip",)  # a deck file and its media folder, as exported
SUPPORTED_SUFFIXES: Final = (
    TEXT_SUFFIXES + ANKI_SUFFIXES + COLLECTION_SUFFIXES + TRIVIA_SUFFIXES + ARCHIVE_SUFFIXES
)
# Files that carry pictures: these may be as big as Discord lets a member upload.
PACKAGE_SUFFIXES: Final = ANKI_SUFFIXES + ARCHIVE_SUFFIXES


def _suffix(filename: str) -> str:
    return PurePath(filename.replace("\\", "/")).suffix.casefold()


def check_upload(filename: str, size: int, limits: ImportLimits) -> None:
    """Refuse a file by its name and size alone, before it is even downloaded."""
    suffix = _suffix(filename)
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        shown = f"named '{suffix}'" if suffix else "without a suffix"
        raise DeckImportError.single(
            filename, f"files {shown} cannot be imported; use one of {kinds}."
        )
    allowed = limits.max_bytes(suffix in PACKAGE_SUFFIXES)
    if size > allowed:
        kind = "a package with pictures" if suffix in PACKAGE_SUFFIXES else "a deck file"
        raise DeckImportError.single(
            filename, f"it is {megabytes(size)}; {kind} may be at most {megabytes(allowed)}."
        )


def read_file(
    data: bytes | Path,
    filename: str,
    limits: ImportLimits,
    *,
    deck: str | None = None,
    media_dir: Path | None = None,
) -> RawDeck:
    """The cards of a file, read by the reader its name's suffix calls for.

    `data` may be the path of the file: an Anki package is then read from disk, never
    held in memory whole. `deck` and `media_dir` concern Anki files only (see read_anki).
    """
    suffix = _suffix(filename)
    # Pictures a Markdown file links to are read from beside it, when it is on disk.
    folder = data.parent if isinstance(data, Path) else None
    if isinstance(data, Path):
        check_upload(filename, data.stat().st_size, limits)
        if suffix in ANKI_SUFFIXES:
            return read_anki(data, filename, limits, deck=deck, media_dir=media_dir)
        data = data.read_bytes()
    check_upload(filename, len(data), limits)
    if not data.strip():
        raise DeckImportError.single(filename, "the file is empty.")
    if suffix in ANKI_SUFFIXES:
        return read_anki(data, filename, limits, deck=deck, media_dir=media_dir)
    if suffix in COLLECTION_SUFFIXES:
        return read_bare_collection(data, filename, limits, deck=deck)
    text = decode_text(data, filename)
    if suffix in TRIVIA_SUFFIXES:
        return read_trivia(text, filename)
    if suffix in (".md", ".markdown"):
        return markdown_pictures(read_markdown(text, filename), LocalPictures(folder, media_dir))
    if suffix == ".tsv":
        return read_delimited(text, filename, delimiter="\t")
    if suffix == ".txt" and looks_like_markdown_table(text):
        return markdown_pictures(read_markdown(text, filename), LocalPictures(folder, media_dir))
    return read_delimited(text, filename)


def import_deck(
    data: bytes | Path,
    filename: str,
    *,
    limits: ImportLimits,
    deck_id: str | None = None,
    title: str | None = None,
    deck: str | None = None,
    media_dir: Path | None = None,
) -> ImportResult:
    """Read a deck file of any supported format into a validated deck.

    Blocking (an Anki package is unpacked to a temporary file): run it in a thread from
    async code. Raises DeckImportError, listing every problem found, when no deck results.
    """
    if _suffix(filename) in ARCHIVE_SUFFIXES:
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        check_upload(filename, size, limits)
        return import_deck_archive(
            data, filename, limits=limits, deck_id=deck_id, title=title, media_dir=media_dir
        )
    raw = read_file(data, filename, limits, deck=deck, media_dir=media_dir)
    return assemble(raw, filename=filename, limits=limits, deck_id=deck_id, title=title)


__all__ = [
    "ANKI_SUFFIXES",
    "ARCHIVE_SUFFIXES",
    "PACKAGE_SUFFIXES",
    "COLLECTION_SUFFIXES",
    "CLI_LIMITS",
    "SERVER_LIMITS",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "TRIVIA_SUFFIXES",
    "DeckImportError",
    "ImportLimits",
    "ImportProblem",
    "ImportResult",
    "Skipped",
    "check_upload",
    "import_deck",
    "read_file",
    "slugify",
]
