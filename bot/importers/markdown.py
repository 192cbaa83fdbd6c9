"""Markdown notes: front/back tables, Obsidian spaced-repetition cards, Logseq `#card`
blocks and `Q:`/`A:` lists.

Nothing inside a code fence is a card. A table is read when its header names the front
and back (Front/Back, Term/Definition, Question/Answer, any case), or when it is a
two-column table that makes the file's main content; a table inside a card is part of
that card. The first heading, or else the first line of text, is the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from bot.domain.words import plural
from bot.importers.model import DeckImportError, ImportProblem, RawCard, RawDeck
from bot.importers.tables import Columns, header_columns, is_separator, row_cells
from bot.importers.text import protect_latex, split_lines

_FENCE: Final = re.compile(r"\s*(`{3,}|~{3,})")
_HEADING: Final = re.compile(r"#{1,6}\s+(.*?)\s*#*\s*")
_FLASHCARDS_TAG: Final = re.compile(r"(?<!\S)#flashcards(?:/([\w/\-]+))?(?!\S)", re.IGNORECASE)
_LOGSEQ_CARD: Final = re.compile(r"(?<!\S)#(?:card|\[\[card\]\])(?!\S)", re.IGNORECASE)
_BULLET: Final = re.compile(r"(\s*)(?:[-*+]|\d+[.)])\s+")
_PROPERTY: Final = re.compile(r"[A-Za-z][\w-]*::(\s.*)?")
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_QUESTION: Final = re.compile(r"(?:\*\*)?Q(?:uestion)?\s*:(?:\*\*)?\s*(.*)", re.IGNORECASE)
_ANSWER: Final = re.compile(r"(?:\*\*)?A(?:nswer)?\s*:(?:\*\*)?\s*(.*)", re.IGNORECASE)
_CODE_SPAN: Final = re.compile(r"`[^`]*`")
# A table is the file's main content when its rows are at least this share of its lines.
_MAIN_SHARE: Final = 0.5

OBSIDIAN: Final = "Obsidian cards"
LOGSEQ: Final = "Logseq cards"
QA_LIST: Final = "Q:/A: list"
TABLE: Final = "table"


@dataclass
class _Table:
    start: int  # line number of its first row
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    has_separator: bool = False


@dataclass
class _Found:
    cards: list[RawCard] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, front: str, back: str, topic: str | None, line: int) -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)
        self.cards.append(RawCard(_clean(front), _clean(back), topic, f"line {line}"))


def _clean(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _FLASHCARDS_TAG.sub("", _LOGSEQ_CARD.sub("", text))
    lines = [line.rstrip() for line in text.split("\n")]
    return protect_latex("\n".join(lines).strip())


def _split_outside_code(line: str, separator: str) -> tuple[str, str] | None:
    """`line` split at the first `separator` outside inline code, or None."""
    masked = _CODE_SPAN.sub(lambda match: "\0" * len(match.group()), line)
    at = masked.find(separator)
    if at < 0:
        return None
    return line[:at], line[at + len(separator) :]


def _unbulleted(line: str) -> str:
    match = _BULLET.match(line)
    return line[match.end() :] if match else line.strip()


def _indent(line: str) -> int:
    expanded = line.replace("\t", "    ")
    return len(expanded) - len(expanded.lstrip())


def read_markdown(text: str, filename: str) -> RawDeck:
    lines = split_lines(text)
    usable = _outside_fences_and_frontmatter(lines)
    found = _Found()
    heading: str | None = None
    first_line: str | None = None
    topic: str | None = None
    has_logseq = any(_LOGSEQ_CARD.search(lines[i]) for i in usable)
    paragraph: list[tuple[int, str]] = []  # lines since the last blank one
    table: _Table | None = None
    index = 0
    order = sorted(usable)
    while index < len(order):
        i = order[index]
        number, line = i + 1, lines[i]
        stripped = line.strip()
        index += 1
        if not stripped.startswith("|"):
            table = None
        if not stripped:
            paragraph = []
            continue
        tag = _FLASHCARDS_TAG.search(stripped)
        if tag is not None:
            topic = tag.group(1).replace("/", " / ") if tag.group(1) else topic
            stripped = _FLASHCARDS_TAG.sub("", stripped).strip()
            if not stripped:
                continue
        match = _HEADING.fullmatch(stripped)
        if match is not None:
            heading = heading or match.group(1)
            paragraph = []
            continue
        if first_line is None and not stripped.startswith("|"):
            first_line = stripped
        if stripped.startswith("|"):
            cells = row_cells(stripped)
            if table is None:
                table = _Table(number)
                found.tables.append(table)
            if is_separator(cells):
                table.has_separator = True
            else:
                table.rows.append((number, cells))
            continue
        if has_logseq and _LOGSEQ_CARD.search(stripped):
            index = _logseq_card(lines, order, index, i, topic, found)
            paragraph = []
            continue
        content = _unbulleted(line)
        if has_logseq and _PROPERTY.fullmatch(content):
            continue
        if stripped in ("?", "??"):
            index = _multiline_card(lines, order, index, paragraph, stripped == "??", topic, found)
            paragraph = []
            continue
        question = _QUESTION.fullmatch(content)
        if question is not None:
            index = _qa_card(lines, order, index, number, question.group(1), topic, found)
            paragraph = []
            continue
        # In Logseq, `name:: value` is a block's property, and its cards are #card blocks.
        for separator, both in () if has_logseq else ((":::", True), ("::", False)):
            parts = _split_outside_code(content, separator)
            if parts is not None and parts[0].strip() and parts[1].strip():
                front, back = parts
                found.add(OBSIDIAN, front, back, topic, number)
                if both:
                    found.add(OBSIDIAN, back, front, topic, number)
                break
        else:
            paragraph.append((number, stripped))
    _read_tables(found, len([i for i in usable if lines[i].strip()]))
    if not found.cards and not found.problems:
        found.problems.append(
            ImportProblem(
                None,
                "it has no cards: no table with a Front/Back header, no `question::answer` "
                "lines, `?` cards, `#card` blocks or Q:/A: lists (code blocks are never read).",
            )
        )
    if found.problems:
        raise DeckImportError(filename, found.problems)
    kinds = found.kinds
    deck = RawDeck(
        format="Markdown table" if kinds == [TABLE] else f"Markdown ({', '.join(kinds)})",
        cards=sorted(found.cards, key=lambda card: int(card.where.split()[1])),
        notes=found.notes,
    )
    deck.title = heading or first_line
    deck.title_reason = "the file's first heading" if heading else "the first line of the file"
    return deck


def _outside_fences_and_frontmatter(lines: list[str]) -> set[int]:
    """Indexes of the lines that may hold cards: not in YAML front matter, not in a fence."""
    usable: set[int] = set()
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            start = end + 1
    fence: str | None = None
    for i in range(start, len(lines)):
        match = _FENCE.match(lines[i])
        if fence is None and match is not None:
            fence = match.group(1)
        elif fence is not None:
            if (
                match is not None
                and match.group(1)[0] == fence[0]
                and len(match.group(1)) >= len(fence)
                and not lines[i].strip()[len(match.group(1)) :].strip()
            ):
                fence = None
        else:
            usable.add(i)
    return usable


def _multiline_card(
    lines: list[str],
    order: list[int],
    index: int,
    paragraph: list[tuple[int, str]],
    reversed_too: bool,
    topic: str | None,
    found: _Found,
) -> int:
    """An Obsidian card: the paragraph above a `?` line, the lines below up to a blank one."""
    answer: list[str] = []
    while index < len(order) and lines[order[index]].strip():
        answer.append(lines[order[index]].rstrip())
        index += 1
    if paragraph:
        front = "\n".join(text for _, text in paragraph)
        back = "\n".join(answer)
        found.add(OBSIDIAN, front, back, topic, paragraph[0][0])
        if reversed_too:
            found.add(OBSIDIAN, back, front, topic, paragraph[0][0])
    return index


def _qa_card(
    lines: list[str],
    order: list[int],
    index: int,
    number: int,
    question: str,
    topic: str | None,
    found: _Found,
) -> int:
    """`Q: …` then `A: …`, each possibly going on over the next lines."""
    front = [question]
    back: list[str] | None = None
    while index < len(order):
        line = lines[order[index]]
        content = _unbulleted(line)
        if not line.strip() and back is not None:
            break
        if _QUESTION.fullmatch(content) or _HEADING.fullmatch(line.strip()):
            break
        answer = _ANSWER.fullmatch(content)
        if answer is not None and back is None:
            back = [answer.group(1)]
        elif line.strip():
            (front if back is None else back).append(content)
        index += 1
    found.add(QA_LIST, "\n".join(front), "\n".join(back or []), topic, number)
    return index


def _logseq_card(
    lines: list[str], order: list[int], index: int, at: int, topic: str | None, found: _Found
) -> int:
    """A Logseq block tagged #card: its text is the front, its child blocks the back."""
    line = lines[at]
    depth = _indent(line)
    back: list[str] = []
    while index < len(order):
        child = lines[order[index]]
        if child.strip() and _indent(child) <= depth:
            break
        content = _unbulleted(child)
        if child.strip() and not _PROPERTY.fullmatch(content):
            back.append(content)
        index += 1
    found.add(LOGSEQ, _unbulleted(line), "\n".join(back), topic, at + 1)
    return index


def _read_tables(found: _Found, text_lines: int) -> None:
    """Rows of the tables whose header names front and back, or of a two-column table
    that is the file's main content; others are left out, and the summary says so."""
    for table in found.tables:
        if not table.rows:
            continue
        first_number, first = table.rows[0]
        header = header_columns(first)
        main = (
            not found.kinds
            and len(found.tables) == 1
            and len(first) == 2
            and len(table.rows) >= _MAIN_SHARE * text_lines
        )
        if header is None and not main:
            found.notes.append(
                f"The table at line {table.start} was not read: its header names no front "
                "and back, and it is not the file's main content."
            )
            continue
        rows = table.rows[1:] if header is not None or table.has_separator else table.rows
        columns = header or Columns()
        for number, cells in rows:
            _table_row(found, cells, columns, number)


def _table_row(found: _Found, cells: list[str], columns: Columns, number: int) -> None:
    where = f"line {number}"
    if len(cells) <= max(columns.front, columns.back):
        found.problems.append(
            ImportProblem(where, f"has {plural(len(cells), 'cell')}; a card needs | front | back |")
        )
    elif not columns.from_header and len(cells) > 2:
        found.problems.append(
            ImportProblem(
                where,
                f"has {plural(len(cells), 'cell')}; without a header row naming the columns a "
                "row needs exactly two (| front | back |). Write a literal | as \\|.",
            )
        )
    else:
        topic = None
        if columns.topic is not None and columns.topic < len(cells):
            topic = cells[columns.topic].strip() or None
        found.add(TABLE, cells[columns.front], cells[columns.back], topic, number)
