"""Readers for text formats: CSV/TSV (Quizlet's export included) and Markdown tables."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.domain.words import plural
from bot.importers.model import DeckImportError, ImportProblem, RawCard, RawDeck, Skipped
from bot.importers.text import split_lines

# Header cells that name a column; compared case-insensitively, punctuation ignored.
FRONT_NAMES: Final = frozenset({"front", "term", "question", "prompt", "word"})
BACK_NAMES: Final = frozenset({"back", "definition", "answer", "meaning"})
TOPIC_NAMES: Final = frozenset({"topic", "topics", "tag", "tags", "category"})
_DELIMITER_NAMES: Final = {"\t": "tab", ",": "comma"}


@dataclass(frozen=True)
class Columns:
    """Where a table keeps the front, the back and (optionally) the topic."""

    front: int = 0
    back: int = 1
    topic: int | None = None
    from_header: bool = False


def _cell_name(cell: str) -> str:
    return re.sub(r"[^\w]", "", cell).casefold()


def header_columns(cells: Sequence[str]) -> Columns | None:
    """The columns a header row names, or None when the row is not a header."""
    names = [_cell_name(cell) for cell in cells]
    front = next((i for i, name in enumerate(names) if name in FRONT_NAMES), None)
    back = next((i for i, name in enumerate(names) if name in BACK_NAMES), None)
    if front is None or back is None or front == back:
        return None
    topic = next((i for i, name in enumerate(names) if name in TOPIC_NAMES), None)
    return Columns(front, back, topic, from_header=True)


def _card(cells: Sequence[str], columns: Columns, where: str) -> RawCard:
    topic = None
    if columns.topic is not None and columns.topic < len(cells):
        topic = cells[columns.topic].strip() or None
    return RawCard(cells[columns.front].strip(), cells[columns.back].strip(), topic, where)


# --------------------------------------------------------------------------- CSV / TSV


def sniff_delimiter(text: str) -> str:
    """Tab when the first non-blank line has one (Quizlet's default), else comma."""
    first = next((line for line in split_lines(text) if line.strip()), "")
    return "\t" if "\t" in first else ","


def _unclosed_quote(lines: list[str], start: int, delimiter: str) -> bool:
    """Whether the record starting at line `start` opens a quote that the file never closes."""
    reader = csv.reader(lines[start - 1 :], delimiter=delimiter, strict=True)
    try:
        next(reader, None)
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def read_delimited(text: str, filename: str, *, delimiter: str | None = None) -> RawDeck:
    """One card a record: front and back separated by a tab or comma, CSV quoting allowed.

    A header row naming the columns (term/definition, front/back, question/answer,
    and optionally topic) is used and skipped. Without one, a record's fields past the
    first are its back, joined as they were: an unquoted comma belongs to the definition.
    """
    delimiter = delimiter or sniff_delimiter(text)
    separator = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    deck = RawDeck(format="TSV" if delimiter == "\t" else "CSV")
    problems: list[ImportProblem] = []
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    columns: Columns | None = None
    last_start = 0
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(ImportProblem(f"line {start}", f"cannot be read as CSV ({error})"))
            break
        where = f"line {start}"
        last_start = start
        if not record:
            continue  # a blank line between cards
        if all(not cell.strip() for cell in record):
            deck.skipped.append(Skipped(where, "empty row"))
            continue
        if columns is None:
            columns = header_columns(record)
            if columns is not None:
                continue
            columns = Columns()
        if len(record) < 2:
            problems.append(
                ImportProblem(
                    where,
                    f"no {separator} between front and back "
                    "(a card whose text spans lines needs it in double quotes)",
                )
            )
            continue
        if columns.from_header:
            needed = max(columns.front, columns.back) + 1
            if len(record) < needed:
                problems.append(
                    ImportProblem(
                        where,
                        f"has {plural(len(record), 'field')}; the header row asks for {needed}",
                    )
                )
            else:
                deck.cards.append(_card(record, columns, where))
            continue
        back = delimiter.join(record[1:])
        deck.cards.append(RawCard(record[0].strip(), back.strip(), None, where))
    # An unclosed quote makes the last record swallow the rest of the file without an error.
    if last_start and _unclosed_quote(lines, last_start, delimiter):
        # That is the cause of whatever else that record looks like.
        where = f"line {last_start}"
        problems = [problem for problem in problems if problem.where != where]
        problems.append(ImportProblem(where, "a double quote opened here is never closed"))
    if problems:
        raise DeckImportError(filename, problems)
    return deck


# --------------------------------------------------------------------------- Markdown

_SEPARATOR_CELL: Final = re.compile(r":?-{1,}:?")
_PIPE: Final = re.compile(r"(?<!\\)\|")
_BR: Final = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HEADING: Final = re.compile(r"#{1,6}\s+(.*?)\s*#*\s*")


def _row_cells(line: str) -> list[str]:
    """The cells of `| a | b |`; `\\|` is a literal pipe and `<br>` a line break."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [_BR.sub("\n", cell.replace("\\|", "|")).strip() for cell in _PIPE.split(body)]


def _is_separator(cells: Sequence[str]) -> bool:
    return all(_SEPARATOR_CELL.fullmatch(cell.replace(" ", "")) for cell in cells)


def looks_like_markdown_table(text: str) -> bool:
    return any(line.lstrip().startswith("|") for line in split_lines(text))


def read_markdown(text: str, filename: str) -> RawDeck:
    """Rows of `| Front | Back |` tables; the text before the first table may name the deck.

    A table's first row is its header when a `|---|---|` row follows it or when it names
    the columns (Front/Back, Term/Definition...). Other lines are ignored.
    """
    deck = RawDeck(format="Markdown table")
    problems: list[ImportProblem] = []
    lines = split_lines(text)
    heading: str | None = None
    first_line: str | None = None
    seen_table = False
    columns: Columns | None = None  # None: not inside a table
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped.startswith("|"):
            columns = None
            if not seen_table and stripped:
                match = _HEADING.fullmatch(stripped)
                if match and heading is None:
                    heading = match.group(1)
                elif first_line is None and not match:
                    first_line = stripped
            continue
        cells = _row_cells(stripped)
        if _is_separator(cells):
            continue
        where = f"line {number}"
        if columns is None:
            seen_table = True
            following = lines[number].strip() if number < len(lines) else ""
            header = header_columns(cells)
            if following.startswith("|") and _is_separator(_row_cells(following)):
                columns = header or Columns(from_header=True)
                continue
            if header is not None:
                columns = header
                continue
            columns = Columns()
        if len(cells) <= max(columns.front, columns.back):
            problems.append(
                ImportProblem(
                    where, f"has {plural(len(cells), 'cell')}; a card needs | front | back |"
                )
            )
        elif not columns.from_header and len(cells) > 2:
            problems.append(
                ImportProblem(
                    where,
                    f"has {plural(len(cells), 'cell')}; without a header row naming the columns a row "
                    "needs exactly two (| front | back |). Write a literal | as \\|.",
                )
            )
        else:
            deck.cards.append(_card(cells, columns, where))
    if not seen_table:
        problems.append(ImportProblem(None, "it has no Markdown table rows (| front | back |)."))
    if problems:
        raise DeckImportError(filename, problems)
    deck.title = heading or first_line
    deck.title_reason = "the file's first heading" if heading else "the first line of the file"
    return deck
