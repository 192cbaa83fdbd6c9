"""Turning uploaded bytes into text, and rich text into plain card text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

from bot.importers.model import DeckImportError

ZIP_MAGIC: Final = b"PK\x03\x04"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 text (a BOM is dropped; UTF-16 with a BOM, as spreadsheets save it, is accepted)."""
    if data.startswith(ZIP_MAGIC):
        raise DeckImportError.single(
            filename,
            "it is a zip archive, not text. Anki packages must be named .apkg or .colpkg.",
        )
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DeckImportError.single(
                filename, "it starts like UTF-16 text but is not valid UTF-16."
            ) from None
    else:
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise DeckImportError.single(
                filename,
                f"it is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}). "
                "Save it as UTF-8 and try again.",
            ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DeckImportError.single(
            filename, f"it contains a NUL character (line {line}), so it is not a text file."
        )
    return text


def split_lines(text: str) -> list[str]:
    """Lines without their endings, whichever convention the file used."""
    return re.split(r"\r\n|\r|\n", text)


# --------------------------------------------------------------------------- HTML

# Tags that start a new line of text where they open and where they close.
_BLOCKS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol",
        "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
# Tags whose content is never shown as text.
_HIDDEN: Final = frozenset({"head", "script", "style", "template", "title"})
_SOUND: Final = re.compile(r"\[sound:[^\]]*\]")
_HTML_SPACE: Final = re.compile(r"[ \t\n\r\f\v]+")
_LINE_SPACE: Final = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES: Final = re.compile(r"\n{3,}")


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._line_start = True  # nothing but spaces since the last line break

    def _add(self, text: str) -> None:
        self.parts.append(text)
        if text.endswith("\n"):
            self._line_start = True
        elif text.strip():
            self._line_start = False

    def _new_line(self) -> None:
        # A block starts a line; one right after another adds no empty line (Anki writes
        # each line as a <div>). Only <br> makes empty lines.
        if not self._line_start:
            self._add("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif self._hidden:
            return
        elif tag == "br":
            self._add("\n")
        elif tag == "img":
            self._add("[image]")
        elif tag in ("td", "th"):
            self._add(" ")
        elif tag in _BLOCKS:
            self._pre += tag == "pre"
            self._new_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and <img/>: the tag alone, never an opened element.
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif not self._hidden and tag in _BLOCKS:
            self._pre = max(0, self._pre - (tag == "pre"))
            self._new_line()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # Outside <pre>, source line breaks are spaces in HTML; only tags break lines.
        self._add(data if self._pre else _HTML_SPACE.sub(" ", data))


def html_to_text(html: str) -> str:
    """An Anki field as plain text: tags stripped, line breaks kept, entities decoded.

    Sounds are dropped and images become "[image]", since a quiz shows text only.
    """
    parser = _TextOf()
    parser.feed(_SOUND.sub("", html))
    parser.close()
    lines = (_LINE_SPACE.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
