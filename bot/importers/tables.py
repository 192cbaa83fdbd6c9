"""Markdown tables, and the names a header row gives its columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.importers.model import RawCard
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


def row_cells(line: str) -> list[str]:
    """The cells of `| a | b |`; `\\|` is a literal pipe and `<br>` a line break."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [_BR.sub("\n", cell.replace("\\|", "|")).strip() for cell in _PIPE.split(body)]


def is_separator(cells: Sequence[str]) -> bool:
    return all(_SEPARATOR_CELL.fullmatch(cell.replace(" ", "")) for cell in cells)


def looks_like_markdown_table(text: str) -> bool:
    return any(line.lstrip().startswith("|") for line in split_lines(text))
