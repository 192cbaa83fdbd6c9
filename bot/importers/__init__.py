"""Bring your own deck: CSV/TSV (Quizlet's and Anki's text exports too), Anki packages,
Markdown notes and Red-DiscordBot trivia lists.

`import_deck` turns an uploaded or local file into a validated `Deck`, reporting what it
skipped (empty rows, duplicates, over-long cards) and refusing, with line or note numbers,
what it cannot read. The readers never touch Discord or the bot's database.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Final

from bot.importers.anki import read_anki
from bot.importers.assemble import ImportResult, assemble, slugify
from bot.importers.delimited import read_delimited
from bot.importers.markdown import read_markdown
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
TEXT_SUFFIXES: Final = (".csv", ".tsv", ".txt", ".md", ".markdown")
TRIVIA_SUFFIXES: Final = (".yaml", ".yml")  # Red-DiscordBot trivia lists
SUPPORTED_SUFFIXES: Final = TEXT_SUFFIXES + ANKI_SUFFIXES + TRIVIA_SUFFIXES


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
    if size > limits.max_file_bytes:
        raise DeckImportError.single(
            filename,
            f"it is {megabytes(size)}; a deck file may be at most "
            f"{megabytes(limits.max_file_bytes)}.",
        )


def read_file(data: bytes, filename: str, limits: ImportLimits) -> RawDeck:
    """The cards of a file, read by the reader its name's suffix calls for."""
    check_upload(filename, len(data), limits)
    suffix = _suffix(filename)
    if not data.strip():
        raise DeckImportError.single(filename, "the file is empty.")
    if suffix in ANKI_SUFFIXES:
        return read_anki(data, filename, limits)
    text = decode_text(data, filename)
    if suffix in TRIVIA_SUFFIXES:
        return read_trivia(text, filename)
    if suffix in (".md", ".markdown"):
        return read_markdown(text, filename)
    if suffix == ".tsv":
        return read_delimited(text, filename, delimiter="\t")
    if suffix == ".txt" and looks_like_markdown_table(text):
        return read_markdown(text, filename)
    return read_delimited(text, filename)


def import_deck(
    data: bytes,
    filename: str,
    *,
    limits: ImportLimits,
    deck_id: str | None = None,
    title: str | None = None,
) -> ImportResult:
    """Read a deck file of any supported format into a validated deck.

    Blocking (an Anki package is unpacked to a temporary file): run it in a thread from
    async code. Raises DeckImportError, listing every problem found, when no deck results.
    """
    raw = read_file(data, filename, limits)
    return assemble(raw, filename=filename, limits=limits, deck_id=deck_id, title=title)


__all__ = [
    "ANKI_SUFFIXES",
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
