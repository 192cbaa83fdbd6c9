"""Pictures of an imported deck: found in a side's HTML, checked by their bytes, and
streamed one at a time into a staging folder that becomes the deck's media folder.

Nothing about a picture is trusted: its name in the package's media list must be a plain
file name, its bytes are copied in chunks up to a per-picture cap (so a zip bomb stops at
8 MiB, however large it claims or turns out to be), and its format is told by its first
bytes, never by its name. Only one chunk of one picture is in memory at a time.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Final, Protocol, cast
from urllib.parse import unquote

import zstandard

from bot.domain.decks import (
    MAX_DECK_PICTURE_BYTES,
    MAX_PICTURE_BYTES,
    MEDIA_DIR_SUFFIX,
    picture_kind,
)
from bot.importers.model import (
    MB,
    DeckImportError,
    RawCard,
    RawDeck,
    Skipped,
    megabytes,
)

__all__ = [
    "MEDIA_DIR_SUFFIX",
    "MediaArchive",
    "PictureReport",
    "first_picture",
    "picture_kind",
]

_CHUNK: Final = 256 * 1024
_ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
_MAX_ZSTD_WINDOW: Final = 16 * MB
# The media list of a package: a name per file, at most this big and this many.
_MAX_MEDIA_LIST_BYTES: Final = 16 * MB
_MAX_MEDIA_ENTRIES: Final = 200_000
_IMG: Final = re.compile(r"<img\b[^>]*>", re.IGNORECASE | re.DOTALL)
_SRC: Final = re.compile(
    r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE | re.DOTALL
)
_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")
_ZIP_METHODS: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


@dataclass
class PictureReport:
    """What became of the pictures the cards show: how many kept, and which left out."""

    kept: int = 0
    kept_bytes: int = 0
    left_out: list[Skipped] = field(default_factory=list)

    def into(self, raw: RawDeck) -> RawDeck:
        """Hand the counts over to the deck read, for the import summary."""
        raw.pictures = self.kept
        raw.pictures_left_out = list(self.left_out)
        return raw


def first_picture(html_text: str) -> tuple[str, str | None]:
    """A side's HTML without its first `<img>`, and that picture's file name (None if none)."""
    for match in _IMG.finditer(html_text):
        src = _SRC.search(match.group(0))
        if src is None:
            continue
        name = html.unescape(next(g for g in src.groups() if g is not None)).strip()
        if not name or name.startswith(("http://", "https://", "data:")):
            continue
        return html_text[: match.start()] + html_text[match.end() :], name
    return html_text, None


def unsafe_name(name: str) -> bool:
    """Whether a media list name could reach outside the deck's folder."""
    return (
        not name
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name in (".", "..")
        or (len(name) > 1 and name[1] == ":")
    )


def stored_name(name: str, kind: str, taken: set[str]) -> str:
    """A plain, unique file name for a picture, with the suffix of what it really is."""
    stem = _NOT_NAME.sub("-", name.rsplit(".", 1)[0]).strip("-.")[:60] or "picture"
    candidate = f"{stem}.{kind}"
    number = 2
    while candidate.casefold() in taken:
        candidate = f"{stem}-{number}.{kind}"
        number += 1
    taken.add(candidate.casefold())
    return candidate


class _TooBig(Exception):
    pass


def _chunks(source: _Readable, limit: int) -> Iterator[bytes]:
    read = 0
    while chunk := source.read(_CHUNK):
        read += len(chunk)
        if read > limit:
            raise _TooBig
        yield chunk


class MediaArchive:
    """The pictures of an Anki package, copied out one at a time into `target`.

    The media list maps the zip's numbered entries to names: JSON in older packages, a
    zstd-compressed protobuf list in newer ones (whose files are zstd-compressed too).
    """

    def __init__(
        self,
        archive: zipfile.ZipFile,
        filename: str,
        *,
        target: Path | None,
        max_ratio: int,
        max_total: int,
    ) -> None:
        self._archive = archive
        self._filename = filename
        self._target = target
        self._max_ratio = max_ratio
        self._max_total = max_total
        self._entries = {entry.filename: entry for entry in archive.infolist()}
        self._by_name = self._read_list()
        self._taken: set[str] = set()
        self._done: dict[str, str | None] = {}
        self.report = PictureReport()

    def _fail(self, message: str) -> DeckImportError:
        return DeckImportError.single(self._filename, message)

    def _read_list(self) -> dict[str, str]:
        entry = self._entries.get("media")
        if entry is None:
            return {}
        if entry.file_size > _MAX_MEDIA_LIST_BYTES or entry.compress_type not in _ZIP_METHODS:
            raise self._fail("its media list is larger than any Anki writes.")
        with self._archive.open(entry) as source:
            raw = b"".join(_capped(source, _MAX_MEDIA_LIST_BYTES, self._fail))
        if raw.startswith(_ZSTD_MAGIC):
            decompressor = zstandard.ZstdDecompressor(max_window_size=_MAX_ZSTD_WINDOW)
            try:
                with decompressor.stream_reader(raw) as reader:
                    raw = b"".join(_capped(reader, _MAX_MEDIA_LIST_BYTES, self._fail))
            except zstandard.ZstdError as error:
                raise self._fail(f"its media list is damaged ({error}).") from None
            names = _protobuf_media(raw)
        else:
            names = _json_media(raw)
        if names is None:
            raise self._fail("its media list is damaged.")
        if len(names) > _MAX_MEDIA_ENTRIES:
            raise self._fail(f"its media list names over {_MAX_MEDIA_ENTRIES:,} files.")
        by_name: dict[str, str] = {}
        for entry_name, name in names:
            if unsafe_name(name):
                shown = name.replace("`", "'")[:80]
                raise self._fail(
                    f"its media list names `{shown}`, a path outside the deck's folder; "
                    "Anki never writes one, so the package is refused."
                )
            by_name.setdefault(name, entry_name)
        return by_name

    def keep(self, name: str, where: str) -> str | None:
        """The stored file name of the picture `name`, copied now; None when left out."""
        if name in self._done:
            return self._done[name]
        stored, reason = self._copy(name)
        self._done[name] = stored
        if reason is not None:
            shown = name.replace("`", "'")[:60]
            self.report.left_out.append(Skipped(where, f"picture {reason}", shown))
        return stored

    def _copy(self, name: str) -> tuple[str | None, str | None]:
        if self._target is None:
            return None, "left out: this import was given no folder to keep pictures in"
        # Editors write some names percent-encoded in the HTML (`my%20heart.png`).
        if name not in self._by_name:
            name = unquote(name)
        entry_name = self._by_name.get(name)
        entry = self._entries.get(entry_name) if entry_name is not None else None
        if entry is None:
            return None, "is not in the package"
        if entry.compress_type not in _ZIP_METHODS:
            return None, "is compressed in a way Anki never writes"
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > MB and ratio > self._max_ratio:
            raise self._bomb(name)
        if self.report.kept_bytes >= self._max_total:
            return None, f"is over the deck's {megabytes(self._max_total)} of pictures"
        temporary = self._target / f".partial-{len(self._done)}"
        try:
            size, kind = self._stream(entry, temporary)
        except _TooBig:
            temporary.unlink(missing_ok=True)
            return None, f"is over {megabytes(MAX_PICTURE_BYTES)}"
        except zstandard.ZstdError:
            temporary.unlink(missing_ok=True)
            return None, "is damaged"
        if kind is None:
            temporary.unlink(missing_ok=True)
            return None, "is not a PNG, JPEG, GIF or WebP picture"
        if self.report.kept_bytes + size > self._max_total:
            temporary.unlink(missing_ok=True)
            return None, f"is over the deck's {megabytes(self._max_total)} of pictures"
        stored = stored_name(name, kind, self._taken)
        temporary.rename(self._target / stored)
        self.report.kept += 1
        self.report.kept_bytes += size
        return stored, None

    def _bomb(self, name: str) -> DeckImportError:
        shown = name.replace("`", "'")[:60]
        return self._fail(
            f"its picture `{shown}` unpacks like a zip bomb (far more than it takes in the "
            "package); no real picture does, so the package is refused."
        )

    def _stream(self, entry: zipfile.ZipInfo, target: Path) -> tuple[int, str | None]:
        """Copy one entry, unpacking zstd, up to the picture cap: its size and kind."""
        written = 0
        kind: str | None = None
        with self._archive.open(entry) as raw, target.open("xb") as out:
            head = raw.read(4)
            source: _Readable = _Prefixed(head, raw)
            if head == _ZSTD_MAGIC:
                decompressor = zstandard.ZstdDecompressor(max_window_size=_MAX_ZSTD_WINDOW)
                source = decompressor.stream_reader(
                    cast(IO[bytes], source), read_across_frames=True
                )
            try:
                for chunk in _chunks(source, MAX_PICTURE_BYTES):
                    if kind is None:
                        kind = picture_kind(chunk)
                        if kind is None:
                            return 0, None
                    out.write(chunk)
                    written += len(chunk)
            except _TooBig:
                # Pictures hardly compress: one that unpacks this far beyond its packed
                # size is a zip bomb, not a large picture.
                if MAX_PICTURE_BYTES / max(entry.compress_size, 1) > self._max_ratio:
                    raise self._bomb(entry.filename) from None
                raise
        return written, kind


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Prefixed:
    """A stream with bytes already read put back in front."""

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        self._prefix = prefix
        self._rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if not self._prefix:
            return self._rest.read(size)
        prefix, self._prefix = self._prefix, b""
        return prefix + self._rest.read(-1 if size < 0 else max(size - len(prefix), 0))


def _capped(
    source: _Readable, limit: int, fail: Callable[[str], DeckImportError]
) -> Iterator[bytes]:
    try:
        yield from _chunks(source, limit)
    except _TooBig:
        raise fail("its media list is larger than any Anki writes.") from None


def _json_media(raw: bytes) -> list[tuple[str, str]] | None:
    """`{"0": "heart.png", ...}`: older packages' list, entry name to file name."""
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    return [(str(key), value) for key, value in data.items() if isinstance(value, str)]


def _protobuf_media(raw: bytes) -> list[tuple[str, str]] | None:
    """Anki 2.1.50+'s `MediaEntries`: entry i is the zip entry `i` (or its legacy name)."""
    names: list[tuple[str, str]] = []
    try:
        for number, wire, value in _fields(raw):
            if number != 1 or wire != 2 or not isinstance(value, bytes):
                continue
            name = ""
            legacy: int | None = None
            for inner_number, inner_wire, inner in _fields(value):
                if inner_number == 1 and inner_wire == 2 and isinstance(inner, bytes):
                    name = inner.decode("utf-8")
                elif inner_number == 255 and inner_wire == 0 and isinstance(inner, int):
                    legacy = inner
            entry = str(legacy if legacy is not None else len(names))
            names.append((entry, name))
            if len(names) > _MAX_MEDIA_ENTRIES:
                break
    except (IndexError, ValueError, UnicodeDecodeError):
        return None
    return names


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    at = 0
    while at < len(data):
        key, at = _protobuf_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _protobuf_varint(data, at)
            yield number, wire, value
        elif wire == 2:
            length, at = _protobuf_varint(data, at)
            if at + length > len(data):
                raise ValueError("truncated")
            yield number, wire, data[at : at + length]
            at += length
        elif wire == 5:
            at += 4
        elif wire == 1:
            at += 8
        else:
            raise ValueError("unknown wire type")


def _protobuf_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


# --------------------------------------------------------------------------- Markdown

_MARKDOWN_IMAGE: Final = re.compile(
    r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|!\[\[([^\]|]+)(?:\|[^\]]*)?\]\]"
)


class LocalPictures:
    """Pictures a Markdown file links to, copied from beside it into `target`.

    Only files inside the Markdown file's own folder are read: a link may not climb out
    of it (`../`, an absolute path or a symbolic link out), and web links are left out.
    """

    def __init__(self, folder: Path | None, target: Path | None) -> None:
        self._folder = folder.resolve() if folder is not None else None
        self._target = target
        self._taken: set[str] = set()
        self._done: dict[str, str | None] = {}
        self.report = PictureReport()

    def keep(self, link: str, where: str) -> str | None:
        if link in self._done:
            return self._done[link]
        stored, reason = self._copy(link)
        self._done[link] = stored
        if reason is not None:
            shown = link.replace("`", "'")[:60]
            self.report.left_out.append(Skipped(where, f"picture {reason}", shown))
        return stored

    def _copy(self, link: str) -> tuple[str | None, str | None]:
        if self._folder is None:
            return None, (
                "is beside the file, and an upload brings only the file (a deck `.zip` brings "
                "its pictures)"
            )
        if self._target is None:
            return None, "left out: this import was given no folder to keep pictures in"
        if "://" in link or link.startswith("data:"):
            return None, "is on the web; only pictures beside the file are kept"
        path = (self._folder / unquote(html.unescape(link))).resolve()
        if not path.is_relative_to(self._folder):
            return None, "is outside the Markdown file's folder"
        if self.report.kept_bytes >= MAX_DECK_PICTURE_BYTES:
            return None, f"is over the deck's {megabytes(MAX_DECK_PICTURE_BYTES)} of pictures"
        temporary = self._target / f".partial-{len(self._done)}"
        try:
            with path.open("rb") as source, temporary.open("xb") as out:
                kind: str | None = None
                size = 0
                for chunk in _chunks(source, MAX_PICTURE_BYTES):
                    kind = kind or picture_kind(chunk)
                    if kind is None:
                        break
                    out.write(chunk)
                    size += len(chunk)
        except _TooBig:
            temporary.unlink(missing_ok=True)
            return None, f"is over {megabytes(MAX_PICTURE_BYTES)}"
        except OSError:
            temporary.unlink(missing_ok=True)
            return None, "cannot be read beside the file"
        if kind is None or self.report.kept_bytes + size > MAX_DECK_PICTURE_BYTES:
            temporary.unlink(missing_ok=True)
            if kind is None:
                return None, "is not a PNG, JPEG, GIF or WebP picture"
            return None, f"is over the deck's {megabytes(MAX_DECK_PICTURE_BYTES)} of pictures"
        stored = stored_name(path.name, kind, self._taken)
        temporary.rename(self._target / stored)
        self.report.kept += 1
        self.report.kept_bytes += size
        return stored, None


def markdown_pictures(raw: RawDeck, pictures: LocalPictures) -> RawDeck:
    """Each side's first Markdown image link (`![alt](file)`, `![[file]]`) becomes its
    picture, kept or left out; a side that was only a picture left out loses its card."""
    cards: list[RawCard] = []
    for card in raw.cards:
        texts: list[str] = []
        stored: list[str | None] = []
        gone: str | None = None
        for side, text in (("front", card.front), ("back", card.back)):
            match = _MARKDOWN_IMAGE.search(text)
            if match is None:
                texts.append(text)
                stored.append(None)
                continue
            rest = (text[: match.start()] + text[match.end() :]).strip()
            kept = pictures.keep((match.group(1) or match.group(2)).strip(), card.where)
            if kept is None and not rest:
                gone = gone or side
            texts.append(rest)
            stored.append(kept)
        if gone is not None:
            raw.skipped.append(
                Skipped(card.where, f"its {gone} is only a picture, which was left out")
            )
            continue
        cards.append(
            replace(
                card, front=texts[0], back=texts[1], front_image=stored[0], back_image=stored[1]
            )
        )
    raw.cards = cards
    return pictures.report.into(raw)
