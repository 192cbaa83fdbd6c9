"""A deck of this bot with its pictures in one zip: `<id>.yaml` and the `<id>.media/` folder.

`/decks export` and `python -m bot decks export` write one for a deck that shows pictures;
importing it gives back the same cards and pictures. Nothing in an uploaded zip is
trusted: every entry must be the deck file or a plain picture name in its media folder
(any other path refuses the zip), the deck is read as strictly as a deck file, and each
picture is copied in chunks up to 8 MiB, checked by its bytes, one at a time.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import IO, Final

from bot.domain.decks import (
    DECK_ID_PATTERN,
    MAX_DECK_FILE_BYTES,
    MAX_DECK_PICTURE_BYTES,
    MAX_PICTURE_BYTES,
    MAX_TITLE,
    MEDIA_DIR_SUFFIX,
    PICTURE_NAME_PATTERN,
    PICTURE_ONLY,
    Card,
    Deck,
    DeckError,
    deck_to_mapping,
    deck_to_yaml,
    parse_deck,
    parse_deck_mapping,
    picture_kind,
)
from bot.domain.words import plural
from bot.importers.assemble import ImportResult
from bot.importers.model import (
    MB,
    DeckImportError,
    ImportLimits,
    ImportProblem,
    Skipped,
    megabytes,
    shown_name,
)
from bot.importers.summary import summarize

FORMAT: Final = "deck file with its pictures"
_CHUNK: Final = 256 * 1024
_MAX_ENTRIES: Final = 20_000
_DECK_SUFFIXES: Final = (".yaml", ".yml")


def archive_name(deck: Deck) -> str:
    return f"{deck.id}.zip"


class DeckArchiveWriter:
    """Writes a deck's zip into `out`: the deck file first, then each picture as it comes."""

    def __init__(self, out: IO[bytes], deck: Deck) -> None:
        self._deck = deck
        self._zip = zipfile.ZipFile(out, "w")
        self._zip.writestr(
            f"{deck.id}.yaml", deck_to_yaml(deck).encode("utf-8"), zipfile.ZIP_DEFLATED
        )

    def add(self, name: str, data: bytes) -> None:
        # Pictures are compressed already: stored as they are.
        self._zip.writestr(f"{self._deck.id}{MEDIA_DIR_SUFFIX}/{name}", data, zipfile.ZIP_STORED)

    def close(self) -> None:
        self._zip.close()


def deck_pictures(deck: Deck) -> list[str]:
    """The names of the pictures a deck's cards show, each once, in card order."""
    names = (n for card in deck.cards for n in (card.front_image, card.back_image) if n)
    return list(dict.fromkeys(names))


def import_deck_archive(
    source: bytes | Path,
    filename: str,
    *,
    limits: ImportLimits,
    deck_id: str | None = None,
    title: str | None = None,
    media_dir: Path | None = None,
) -> ImportResult:
    """The deck of an exported zip, its pictures copied into `media_dir`.

    Raises DeckImportError, and copies nothing worth keeping, when the zip is not one.
    """

    def fail(message: str) -> DeckImportError:
        return DeckImportError.single(filename, message)

    opened: IO[bytes] | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    if not zipfile.is_zipfile(opened):
        raise fail("it is not a zip archive.")
    try:
        with zipfile.ZipFile(opened) as archive:
            return _read(archive, filename, limits, deck_id, title, media_dir, fail)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise fail(f"the zip archive is damaged ({error}).") from None
    except NotImplementedError as error:
        raise fail(f"it uses an unsupported zip feature ({error}).") from None
    except RuntimeError as error:  # encrypted entries
        raise fail(f"it cannot be opened ({error}).") from None


_Fail = Callable[[str], DeckImportError]


def _read(
    archive: zipfile.ZipFile,
    filename: str,
    limits: ImportLimits,
    deck_id: str | None,
    title: str | None,
    media_dir: Path | None,
    fail: _Fail,
) -> ImportResult:
    entries = archive.infolist()
    if len(entries) > _MAX_ENTRIES:
        raise fail(f"it holds {len(entries):,} files, more than a deck's {_MAX_ENTRIES:,}.")
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_unpacked_bytes:
        raise fail(
            f"it would unpack to {megabytes(total)}, more than the "
            f"{megabytes(limits.max_unpacked_bytes)} allowed."
        )
    decks = [
        e
        for e in entries
        if "/" not in e.filename and PurePosixPath(e.filename).suffix.casefold() in _DECK_SUFFIXES
    ]
    if len(decks) != 1:
        raise fail(
            "it holds no deck file (a `.yaml` at the top of the zip)."
            if not decks
            else "it holds several deck files; a deck's zip holds one."
        )
    deck_entry = decks[0]
    folder = PurePosixPath(deck_entry.filename).stem + MEDIA_DIR_SUFFIX
    media: dict[str, zipfile.ZipInfo] = {}
    ignored = 0
    for entry in entries:
        name = entry.filename
        if entry is deck_entry or name == f"{folder}/":
            continue
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or "\x00" in name or ".." in parts or ":" in name:
            shown = name.replace("`", "'")[:80]
            raise fail(
                f"it holds `{shown}`, a path outside the deck's folder; an exported deck "
                "never does, so the zip is refused."
            )
        if len(parts) == 2 and parts[0] == folder and PICTURE_NAME_PATTERN.fullmatch(parts[1]):
            media[parts[1]] = entry
        elif not entry.is_dir():
            ignored += 1
    deck = _deck(archive, deck_entry, filename, limits, deck_id, title, fail)
    notes: list[str] = []
    if ignored:
        notes.append(
            f"{plural(ignored, 'other file was', 'other files were')} left out: only the deck "
            f"file and pictures in its `{folder}` folder are read."
        )
    left_out: list[Skipped] = []
    kept: set[str] = set()
    kept_bytes = 0
    for name in deck_pictures(deck):
        where = f"picture {name}"
        picture = media.get(name)
        reason: str | None = None
        if picture is None:
            reason = "is not in the zip"
        elif media_dir is None:
            reason = "left out: there is no folder to keep it in"
        elif kept_bytes >= MAX_DECK_PICTURE_BYTES:
            reason = f"is over the deck's {megabytes(MAX_DECK_PICTURE_BYTES)} of pictures"
        else:
            size, reason = _copy(archive, picture, media_dir / name, limits, fail)
            if reason is None and kept_bytes + size > MAX_DECK_PICTURE_BYTES:
                (media_dir / name).unlink(missing_ok=True)
                reason = f"is over the deck's {megabytes(MAX_DECK_PICTURE_BYTES)} of pictures"
            elif reason is None:
                kept_bytes += size
                kept.add(name)
        if reason is not None:
            left_out.append(Skipped(where, f"picture {reason}", name))
    cards, skipped = _without_missing(deck, kept)
    if not cards:
        raise fail("none of its cards is left once the pictures left out are taken away.")
    deck = _validated(replace(deck, cards=tuple(cards)), filename)
    summary = summarize(
        filename=shown_name(filename),
        format=FORMAT,
        deck_id=deck.id,
        title=deck.title,
        title_reason="given with the import" if title else "named in the deck file",
        cards=len(deck.cards),
        skipped=skipped,
        topics=deck.topic_counts().items(),
        without_topic=sum(1 for card in deck.cards if card.topic is None),
        pictures=len(kept),
        pictures_left_out=left_out,
        notes=notes,
    )
    return ImportResult(deck, tuple(skipped), FORMAT, summary)


def _deck(
    archive: zipfile.ZipFile,
    entry: zipfile.ZipInfo,
    filename: str,
    limits: ImportLimits,
    deck_id: str | None,
    title: str | None,
    fail: _Fail,
) -> Deck:
    with archive.open(entry) as source:
        raw = source.read(MAX_DECK_FILE_BYTES + 1)
    if len(raw) > MAX_DECK_FILE_BYTES:
        raise fail(f"its deck file is over {megabytes(MAX_DECK_FILE_BYTES)}.")
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise fail("its deck file is not UTF-8 text.") from None
    try:
        deck = parse_deck(text, filename=entry.filename)
    except DeckError as error:
        raise DeckImportError(
            filename,
            [
                ImportProblem(None, str(p).removeprefix(f"{entry.filename}: "))
                for p in error.problems
            ],
        ) from None
    if deck_id is not None:
        deck_id = deck_id.strip()
        if not DECK_ID_PATTERN.fullmatch(deck_id):
            raise fail(
                f"`{deck_id[:80]}` is not a valid deck id: use lowercase letters, digits and "
                "'-', starting with a letter or digit, at most 63 characters."
            )
        deck = replace(deck, id=deck_id)
    if title is not None:
        title = " ".join(title.split())
        if not title or len(title) > MAX_TITLE:
            raise fail(f"the title must be 1 to {MAX_TITLE} characters.")
        deck = replace(deck, title=title)
    if len(deck.cards) > limits.max_cards:
        raise fail(
            f"it has {plural(len(deck.cards), 'card')}; a deck holds at most "
            f"{limits.max_cards:,}. Split it into several files."
        )
    return deck


def _validated(deck: Deck, filename: str) -> Deck:
    try:
        return parse_deck_mapping(deck_to_mapping(deck), filename=filename)
    except DeckError as error:
        raise DeckImportError(
            filename,
            [ImportProblem(None, str(p).removeprefix(f"{filename}: ")) for p in error.problems],
        ) from None


def _without_missing(deck: Deck, kept: set[str]) -> tuple[list[Card], list[Skipped]]:
    """The cards, each without a picture left out; a side that was only one takes its card."""
    cards: list[Card] = []
    skipped: list[Skipped] = []
    for number, card in enumerate(deck.cards, start=1):
        gone = [
            side
            for side, name, text in (
                ("front", card.front_image, card.front),
                ("back", card.back_image, card.back),
            )
            if name is not None and name not in kept and text == PICTURE_ONLY
        ]
        if gone:
            skipped.append(
                Skipped(f"card {number}", f"its {gone[0]} is only a picture, which was left out")
            )
            continue
        cards.append(
            replace(
                card,
                front_image=card.front_image if card.front_image in kept else None,
                back_image=card.back_image if card.back_image in kept else None,
            )
        )
    return cards, skipped


def _copy(
    archive: zipfile.ZipFile,
    entry: zipfile.ZipInfo,
    target: Path,
    limits: ImportLimits,
    fail: _Fail,
) -> tuple[int, str | None]:
    """Copy one picture in chunks: its size, and why it was left out (None when kept)."""
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return 0, "is compressed in a way an export never writes"
    bomb = fail(
        f"its picture `{PurePosixPath(entry.filename).name}` unpacks like a zip bomb (far "
        "more than it takes in the zip); no real picture does, so the zip is refused."
    )
    if entry.file_size > MB and entry.file_size / max(entry.compress_size, 1) > limits.max_ratio:
        raise bomb
    written = 0
    kind: str | None = None
    with archive.open(entry) as source, target.open("xb") as out:
        for chunk in _chunks(source):
            written += len(chunk)
            if written > MAX_PICTURE_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                if MAX_PICTURE_BYTES / max(entry.compress_size, 1) > limits.max_ratio:
                    raise bomb
                return 0, f"is over {megabytes(MAX_PICTURE_BYTES)}"
            if kind is None:
                kind = picture_kind(chunk)
                if kind is None:
                    out.close()
                    target.unlink(missing_ok=True)
                    return 0, "is not a PNG, JPEG, GIF or WebP picture"
            out.write(chunk)
    if written == 0:
        target.unlink(missing_ok=True)
        return 0, "is empty"
    return written, None


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(_CHUNK):
        yield chunk
