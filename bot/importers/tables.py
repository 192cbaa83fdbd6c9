"""Markdown tables, and the names a header row gives its columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.domain.words import plural
from bot.importers.model import DeckImportError, ImportProblem, RawCard, RawDeck
from bot.importers.text import split_lines

# Header cells that name a column; compared case-insensitively, punctuation ignored.
FRONT_NAMES: Final = frozenset({"front", "term", "question", "prompt", "word"})
BACK_NAMES: Final = frozenset({"back", "definition", "answer", "meaning"})
TOPIC_NAMES: Final = frozenset({"topic", "topics", "tag", "tags", "category"})


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
