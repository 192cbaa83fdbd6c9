"""Turning uploaded bytes into text, and rich text into plain card text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

from bot.importers.model import DeckImportError

ZIP_MAGIC: Final = b"PK\x03\x04"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
# Characters no text file of cards holds; binary junk that happens to be UTF-8 does.
_CONTROL: Final = re.compile("[\x01-\x08\x0e-\x1f\x7f]")


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
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise DeckImportError.single(
            filename,
            f"it contains the control character 0x{ord(control.group()):02x} (line {line}), "
            "so it is not a text file.",
        )
    return text


def split_lines(text: str) -> list[str]:
    """Lines without their endings, whichever convention the file used."""
    return re.split(r"\r\n|\r|\n", text)


# --------------------------------------------------------------------------- HTML

# What a picture becomes in card text: a quiz shows text only.
IMAGE_TEXT: Final = "[image]"
# Tags that start a new line of text where they open and where they close.
_BLOCKS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "p", "section",
    }
)  # fmt: skip
# Tags whose content is never shown as text.
_HIDDEN: Final = frozenset({"head", "script", "style", "template", "title"})
_SOUND: Final = re.compile(r"\[sound:[^\]]*\]")
_HTML_SPACE: Final = re.compile(r"[ \t\n\r\f\v]+")
_LINE_SPACE: Final = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES: Final = re.compile(r"\n{3,}")
# Private-use characters stand for what whitespace clean-up must not touch: a code block
# or table (by number) on a line of its own, and one level of list indentation.
_BLOCK_OPEN, _BLOCK_CLOSE, _INDENT = "\ue000", "\ue001", "\ue002"
_BLOCK_REF: Final = re.compile(f"{_BLOCK_OPEN}(\\d+){_BLOCK_CLOSE}")
_PRIVATE: Final = re.compile("[\ue000-\ue002]")
_MAX_INDENT: Final = 5  # list levels shown; deeper ones stay at the fifth
# Anki's LaTeX and MathJax: kept as inline code, so Discord's markdown leaves it alone.
# Spans are bounded, so text full of unclosed openers costs linear time, not quadratic.
_LATEX: Final = re.compile(
    r"\[\$\$\](.{1,1000}?)\[/\$\$\]|\[\$\](.{1,1000}?)\[/\$\]"
    r"|\[latex\](.{1,1000}?)\[/latex\]"
    r"|\\\((.{1,1000}?)\\\)|\\\[(.{1,1000}?)\\\]|\$\$(.{1,1000}?)\$\$"
    r"|(?<![\w$\\])\$(?![\s$])([^$\n]{1,1000}?)(?<![\s\\])\$(?![\w$])",
    re.DOTALL,
)
_CODE_FENCE: Final = re.compile(r"```(?:[^`]|`(?!``))*```")


def inline_code(text: str) -> str:
    """`text` as Discord inline code, whatever backticks it holds."""
    text = " ".join(text.split())
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text.replace('``', '` `')} ``"


def protect_latex(text: str) -> str:
    """LaTeX spans (`$…$`, `\\(…\\)`, `[$]…[/$]` and their display forms) as inline code;
    code blocks are left as they are."""

    def latex(match: re.Match[str]) -> str:
        body = next(group for group in match.groups() if group is not None)
        return inline_code(body) if body.strip() else match.group(0)

    parts = _CODE_FENCE.split(text)
    fences = _CODE_FENCE.findall(text)
    out = [_LATEX.sub(latex, parts[0])]
    for fence, part in zip(fences, parts[1:], strict=True):
        out += [fence, _LATEX.sub(latex, part)]
    return "".join(out)


def code_block(text: str) -> str:
    """A Discord code block; a ``` inside would end it early, so it is broken up."""
    body = text.replace("```", "`\u200b``").strip("\n")
    return f"```\n{body}\n```"


def aligned_table(rows: list[list[str]]) -> str:
    """Table rows as columns padded to the same width, for a code block."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    sizes = [max(len(row[i]) for row in rows) for i in range(width)]
    return "\n".join(
        "  ".join(cell.ljust(sizes[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )


class _Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def start_row(self) -> None:
        self.end_cell()
        self.rows.append([])

    def start_cell(self) -> None:
        self.end_cell()
        if not self.rows:
            self.rows.append([])
        self.cell = []

    def end_cell(self) -> None:
        if self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.blocks: list[str] = []
        self._hidden = 0
        self._pre: list[str] | None = None  # the text of an open <pre>
        self._pre_depth = 0
        self._lists: list[list[int]] = []  # per open list: [number of the next item, 0: bullets]
        self._tables: list[_Table] = []
        self._line_start = True  # nothing but spaces since the last line break

    def _add(self, text: str) -> None:
        if self._pre is not None:
            self._pre.append(text)
            return
        if self._tables and self._tables[-1].cell is not None:
            self._tables[-1].cell.append(text)
            return
        self.parts.append(text)
        if text.endswith("\n"):
            self._line_start = True
        elif text.strip():
            self._line_start = False

    def _new_line(self) -> None:
        # A block starts a line; one right after another adds no empty line (Anki writes
        # each line as a <div>). Only <br> makes empty lines.
        if self._pre is not None or (self._tables and self._tables[-1].cell is not None):
            self._add(" " if self._pre is None else "")
            return
        if not self._line_start:
            self._add("\n")

    def _block(self, text: str) -> None:
        """A code block or table on lines of its own, kept apart from the clean-up."""
        if not text.strip():
            return
        self._new_line()
        self.blocks.append(code_block(text))
        self._add(f"{_BLOCK_OPEN}{len(self.blocks) - 1}{_BLOCK_CLOSE}\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif self._hidden:
            return
        elif tag == "pre":
            self._pre_depth += 1
            if self._pre is None:
                self._pre = []
        elif self._pre is not None:
            if tag == "br":
                self._pre.append("\n")
        elif tag == "br":
            self._add(" " if self._tables and self._tables[-1].cell is not None else "\n")
        elif tag == "img":
            self._add(IMAGE_TEXT)
        elif tag == "table":
            self._tables.append(_Table())
        elif tag == "tr" and self._tables:
            self._tables[-1].start_row()
        elif tag in ("td", "th") and self._tables:
            self._tables[-1].start_cell()
        elif tag in ("ul", "ol"):
            self._new_line()
            self._lists.append([1 if tag == "ol" else 0])
        elif tag == "li":
            self._new_line()
            depth = max(len(self._lists), 1)
            level = self._lists[-1] if self._lists else [0]
            marker = f"{level[0]}." if level[0] else "-"
            level[0] += bool(level[0])
            self._add(_INDENT * min(depth - 1, _MAX_INDENT) + marker + " ")
        elif tag == "code":
            self._add("`")
        elif tag in _BLOCKS:
            self._new_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and <img/>: the tag alone, never an opened element.
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif self._hidden:
            return
        elif tag == "pre" and self._pre is not None:
            self._pre_depth -= 1
            if self._pre_depth <= 0:
                text, self._pre, self._pre_depth = "".join(self._pre), None, 0
                self._block(text)
        elif self._pre is not None:
            return
        elif tag == "table" and self._tables:
            table = self._tables.pop()
            table.end_cell()
            text = aligned_table(table.rows)
            if self._tables and self._tables[-1].cell is not None:
                self._add(" ".join(text.split()))
            else:
                self._block(text)
        elif tag in ("td", "th") and self._tables:
            self._tables[-1].end_cell()
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._new_line()
        elif tag == "li":
            self._new_line()
        elif tag == "code":
            self._add("`")
        elif tag in _BLOCKS:
            self._new_line()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # Outside <pre>, source line breaks are spaces in HTML; only tags break lines.
        self._add(data if self._pre is not None else _HTML_SPACE.sub(" ", data))

    def close(self) -> None:
        super().close()
        # An unclosed <pre> or table still shows its text.
        if self._pre is not None:
            text, self._pre = "".join(self._pre), None
            self._block(text)
        while self._tables:
            table = self._tables.pop()
            table.end_cell()
            self._block(aligned_table(table.rows))


def html_to_text(html: str) -> str:
    """An Anki field as plain text: tags stripped, line breaks kept, entities decoded.

    Sounds are dropped and images become "[image]", since a quiz shows text only.
    `<pre>` and tables become code blocks (tables as aligned columns), lists keep their
    bullets and numbers, and LaTeX is kept as inline code.
    """
    parser = _TextOf()
    parser.feed(_SOUND.sub("", _PRIVATE.sub("", html)))
    parser.close()
    lines = (_LINE_SPACE.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    text = protect_latex(text).replace(_INDENT, "  ")
    return _BLOCK_REF.sub(lambda match: parser.blocks[int(match.group(1))], text)
