"""Delimited text: CSV/TSV, Quizlet's exports with any separator, Anki's "Notes in Plain
Text" export with its `#` header, and Flashcards Deluxe files.

The separator is told from many lines, not the first. A header row is recognised by the
names it gives the columns or by its shape (short labels unlike the rows below), and
picks the front and back; a tags column gives topics, a deck column subdecks; further
columns are left out and the summary says so.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from bot.domain.words import plural
from bot.importers.model import DeckImportError, ImportProblem, RawCard, RawDeck, Skipped
from bot.importers.text import IMAGE_TEXT, html_to_text, protect_latex, split_lines
from bot.importers.topics import choose_topics, common_parent, subdeck_topic

# Anki's header lines are a few dozen characters; one past this is not Anki's.
MAX_HEADER_LINE: Final = 1000
_HEADER_LINE: Final = re.compile(r"#([A-Za-z][A-Za-z ]*):(.*)")
_ANKI_SEPARATORS: Final = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "space": " ",
    "pipe": "|",
    "colon": ":",
}
# The separators told from the file itself, the likelier first.
CANDIDATES: Final = ("\t", "|", ";", ",", " - ")
_SEPARATOR_NAMES: Final = {
    "\t": "tab",
    ",": "comma",
    ";": "semicolon",
    "|": "'|'",
    " - ": "' - '",
    " ": "space",
    ":": "colon",
}
_SAMPLE_LINES: Final = 500
_QUOTED: Final = re.compile(r'"[^"]*"')

# Header cells that name a column; compared case-insensitively, punctuation ignored.
FRONT_NAMES: Final = frozenset(
    {"front", "term", "question", "prompt", "word", "text1", "side1", "sidea"}
)
BACK_NAMES: Final = frozenset(
    {"back", "definition", "answer", "meaning", "text2", "side2", "sideb", "translation"}
)
TOPIC_NAMES: Final = frozenset({"topic", "topics", "category", "category1", "subject"})
TAGS_NAMES: Final = frozenset({"tag", "tags"})
DECK_NAMES: Final = frozenset({"deck", "subdeck"})
# Columns a header may name that are never the front or the back.
OTHER_NAMES: Final = frozenset(
    {"notes", "note", "notetype", "guid", "id", "picture", "picture1", "picture2", "image",
     "sound", "sound1", "sound2", "audio", "example", "examples", "hint", "source", "comment",
     "comments", "extra", "backextra", "text3", "text4", "text5", "category2", "statistics",
     "statistics1", "statistics2", "reading", "created", "due", "interval", "ease"}
)  # fmt: skip
_LANGUAGE_CODES: Final = frozenset(
    [
        "en",
        "fr",
        "de",
        "es",
        "it",
        "pt",
        "nl",
        "ru",
        "ja",
        "zh",
        "ko",
        "ar",
        "he",
        "hi",
        "sv",
        "no",
        "nb",
        "da",
        "fi",
        "pl",
        "cs",
        "tr",
        "el",
        "la",
        "eo",
        "uk",
        "hu",
        "ro",
        "id",
        "vi",
        "th",
        "fa",
        "bg",
        "hr",
        "sr",
        "sk",
        "sl",
        "lt",
        "lv",
        "et",
        "ga",
        "cy",
        "ca",
        "eu",
        "gl",
        "is",
        "ms",
        "tl",
        "sw",
        "jp",
        "cn",
        "kr",
        "gr",
        "se",
        "dk",
    ]
)
_LANGUAGE_NAMES: Final = frozenset(
    [
        "english",
        "french",
        "german",
        "spanish",
        "italian",
        "portuguese",
        "dutch",
        "russian",
        "japanese",
        "chinese",
        "korean",
        "arabic",
        "hebrew",
        "hindi",
        "swedish",
        "norwegian",
        "danish",
        "finnish",
        "polish",
        "czech",
        "turkish",
        "greek",
        "latin",
        "esperanto",
        "ukrainian",
        "hungarian",
        "romanian",
        "indonesian",
        "vietnamese",
        "thai",
        "persian",
        "mandarin",
        "cantonese",
        "kanji",
        "hiragana",
        "katakana",
        "romaji",
        "pinyin",
        "hanzi",
        "kana",
        "furigana",
    ]
)
_LANGUAGE_TAG: Final = re.compile(r"([a-z]{2,3})([-_][a-z]{2,4})?")
_CLOZE: Final = re.compile(r"\{\{c\d+::")
_ANSWER_RULE: Final = re.compile(r"<hr[^>]*\bid\s*=\s*[\"']?answer\b[^>]*>", re.IGNORECASE)
_LOOKS_HTML: Final = re.compile(
    r"</?(br|div|p|span|b|i|u|em|strong|img|hr|ul|ol|li|table|tr|td|th|pre|code|sub|sup|"
    r"font|a|h[1-6]|blockquote)\b[^>]*>|&(nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)
# A tags cell: words without spaces, as Anki writes them ("verbs spanish::irregular").
_TAG_WORDS: Final = re.compile(r"[\w:\-./&+#]+( [\w:\-./&+#]+)*")


def _name(cell: str) -> str:
    return re.sub(r"[^\w]", "", cell).casefold()


@dataclass
class AnkiHeader:
    """What Anki's `#key:value` lines at the top of a text export say."""

    separator: str | None = None
    html: bool | None = None
    roles: dict[int, str] = field(default_factory=dict)  # column index -> tags/deck/...
    names: list[str] | None = None
    deck: str | None = None
    tags: list[str] = field(default_factory=list)
    lines: int = 0  # how many header lines there were
    directives: int = 0

    def describe(self) -> str:
        parts = []
        if self.separator:
            parts.append(f"separator {_SEPARATOR_NAMES.get(self.separator, self.separator)}")
        if self.html is not None:
            parts.append("HTML" if self.html else "no HTML")
        for index, role in sorted(self.roles.items()):
            parts.append(f"{role} in column {index + 1}")
        return ", ".join(parts)


def read_anki_header(lines: Sequence[str], filename: str) -> AnkiHeader:
    """Anki's header lines (`#separator:tab`, `#html:true`, `#tags column:6`, ...) at the
    top of the file; any `#` line there is a comment. Refuses an oversized one."""
    header = AnkiHeader()
    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            break
        header.lines = number
        if len(line) > MAX_HEADER_LINE:
            raise DeckImportError.single(
                filename,
                f"its header line {number} is {len(line):,} characters long; a header line "
                f"(`#separator:tab`) holds at most {MAX_HEADER_LINE:,}.",
            )
        match = _HEADER_LINE.fullmatch(line.rstrip("\r\n"))
        if match is None:
            continue
        key, value = match.group(1).strip().casefold(), match.group(2).strip()
        header.directives += 1
        if key == "separator":
            header.separator = _ANKI_SEPARATORS.get(value.casefold(), value[:1] or None)
        elif key == "html":
            header.html = value.casefold() == "true"
        elif key.endswith(" column"):
            role = key.removesuffix(" column").strip()
            if value.isdigit() and 1 <= int(value) <= 100:
                header.roles[int(value) - 1] = role
        elif key == "columns":
            header.names = value.split(header.separator or "\t")
        elif key == "deck":
            header.deck = value or None
        elif key == "tags":
            header.tags = value.split()
        else:
            header.directives -= 1
    if header.names is not None and header.separator:
        header.names = [name.strip() for name in header.names]
    return header


def _outside_quotes(line: str, separator: str) -> int:
    if separator not in line:
        return 0
    return (_QUOTED.sub("", line) if '"' in line else line).count(separator)


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The separator most lines share: of those found on nearly as many lines as the
    commonest, the one that appears the same number of times on most lines, then the
    likelier (tab, '|', ';', ',', ' - '). Comma when none is found."""
    sample = [line for line in lines if line.strip() and not line.startswith("#")]
    sample = sample[:_SAMPLE_LINES]
    if not sample:
        return ","
    found: list[tuple[float, float, str]] = []
    for separator in CANDIDATES:
        counts = [_outside_quotes(line, separator) for line in sample]
        having = sum(1 for count in counts if count) / len(sample)
        if not having:
            continue
        modal = Counter(c for c in counts if c).most_common(1)[0][1] / len(sample)
        found.append((having, modal, separator))
    if not found:
        return ","
    most = max(having for having, _, _ in found)
    close = [item for item in found if item[0] >= 0.8 * most]
    best = max(round(modal, 1) for _, modal, _ in close)
    return next(sep for _, modal, sep in close if round(modal, 1) == best)


@dataclass(frozen=True)
class _Record:
    line: int
    cells: list[str]
    raw_first: str  # the record's first line as written


def _records(text: str, separator: str, problems: list[ImportProblem]) -> tuple[list[_Record], int]:
    """The file's records, each with its first line's number; and where the last starts."""
    lines = io.StringIO(text, newline="").readlines()
    records: list[_Record] = []
    if len(separator) > 1:  # " - ": no quoting, one card a line
        for number, line in enumerate(lines, start=1):
            stripped = line.rstrip("\r\n")
            cells = stripped.split(separator, 1) if stripped.strip() else []
            records.append(_Record(number, cells, stripped))
        return records, 0
    reader = csv.reader(lines, delimiter=separator, strict=False)
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
        last_start = start
        records.append(_Record(start, record, lines[start - 1] if start <= len(lines) else ""))
    return records, last_start


def _unclosed_quote(text: str, start: int, separator: str) -> bool:
    """Whether the record starting at line `start` opens a quote that the file never closes."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines[start - 1 :], delimiter=separator, strict=True)
    try:
        next(reader, None)
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _is_label(cell: str) -> bool:
    name = _name(cell)
    folded = cell.strip().casefold()
    return bool(
        name in FRONT_NAMES | BACK_NAMES | TOPIC_NAMES | TAGS_NAMES | DECK_NAMES | OTHER_NAMES
        or folded in _LANGUAGE_NAMES
        or (
            (match := _LANGUAGE_TAG.fullmatch(folded)) is not None
            and match.group(1) in _LANGUAGE_CODES
        )
        or re.fullmatch(r"(text|side|field|column|col)\s*\d{1,2}", folded)
    )


def _short_label(cell: str) -> bool:
    text = cell.strip()
    return (
        0 < len(text) <= 25
        and len(text.split()) <= 3
        and text[0].isalpha()
        and text[-1] not in "?.!:;,)"
    )


def header_by_shape(first: Sequence[str], rest: Sequence[Sequence[str]]) -> bool:
    """Whether the first row is a header by its shape: every cell a known kind of label
    (`fr`, `English`, `Text 1`), or short title-like labels over much longer rows."""
    cells = [cell for cell in first if cell.strip()]
    if len(cells) < 2 or not rest:
        return False
    if all(_is_label(cell) for cell in cells):
        return True
    if len(rest) < 3 or not all(_short_label(cell) for cell in cells):
        return False
    if not all(cell.strip()[0].isupper() for cell in cells[:2]):
        return False
    for column in (0, 1):
        below = [row[column].strip() for row in rest if len(row) > column]
        if first[column].strip() in below:
            return False
    longer = 0
    for column in (0, 1):
        lengths = [len(row[column].strip()) for row in rest if len(row) > column]
        if lengths and sum(lengths) / len(lengths) >= 2 * len(first[column].strip()):
            longer += 1
    return longer >= 1


@dataclass
class _Layout:
    front: int = 0
    back: int = 1
    topic: int | None = None
    tags: int | None = None
    deck: int | None = None
    ignored: dict[int, str] = field(default_factory=dict)  # index -> shown name
    joined: bool = False  # no header: a record's fields past the first are its back


def _layout(roles: dict[int, str], names: Sequence[str] | None, width: int) -> _Layout:
    """Columns from Anki's directives and the header's names: known names first, then the
    first two columns left are the front and the back; the rest is ignored."""
    layout = _Layout()
    assigned: dict[int, str] = dict(roles)
    if names is not None:
        for index, cell in enumerate(names):
            if index in assigned:
                continue
            name = _name(cell)
            if name in FRONT_NAMES and "front" not in assigned.values():
                assigned[index] = "front"
            elif name in BACK_NAMES and "back" not in assigned.values():
                assigned[index] = "back"
            elif name in TOPIC_NAMES and "topic" not in assigned.values():
                assigned[index] = "topic"
            elif name in TAGS_NAMES and "tags" not in assigned.values():
                assigned[index] = "tags"
            elif name in DECK_NAMES and "deck" not in assigned.values():
                assigned[index] = "deck"
            elif name in OTHER_NAMES:
                assigned[index] = "other"
    free = [i for i in range(width) if i not in assigned]
    for side in ("front", "back"):
        if side not in assigned.values() and free:
            assigned[free.pop(0)] = side
    for index in range(width):
        role = assigned.get(index)
        shown = f"column {index + 1}"
        if names is not None and index < len(names) and names[index].strip():
            shown += f" ({names[index].strip()[:40]})"
        if role == "front":
            layout.front = index
        elif role == "back":
            layout.back = index
        elif role == "topic":
            layout.topic = index
        elif role == "tags":
            layout.tags = index
        elif role == "deck":
            layout.deck = index
        elif role not in ("notetype", "guid"):
            layout.ignored[index] = shown
    return layout


def _tags_like(values: Sequence[str]) -> bool:
    """Whether a column's cells read as Anki tags: words without spaces, some shared."""
    filled = [value.strip() for value in values if value.strip()]
    if len(filled) < 2 or any(len(v) > 100 or not _TAG_WORDS.fullmatch(v) for v in filled):
        return False
    counts = Counter(tag for value in filled for tag in set(value.split()))
    return any(count >= 2 for count in counts.values())


def _cell(text: str, html: bool | None) -> str:
    if html or (html is None and _LOOKS_HTML.search(text)):
        return html_to_text(text)
    return protect_latex(text.strip())


def _only_picture(text: str) -> bool:
    return IMAGE_TEXT in text and not text.replace(IMAGE_TEXT, "").strip()


def _name_of(separator: str, header: AnkiHeader) -> str:
    if header.directives:
        return "Anki text export"
    if separator == "\t":
        return "TSV"
    if separator == ",":
        return "CSV"
    return f"text separated by {_SEPARATOR_NAMES.get(separator, repr(separator))}"


def read_delimited(text: str, filename: str, *, delimiter: str | None = None) -> RawDeck:
    """One card a record: front and back separated by a tab, comma, semicolon, '|' or ' - ',
    CSV quoting allowed; Anki's header lines honoured; see the module's description."""
    lines = split_lines(text)
    header = read_anki_header(lines, filename)
    rows_by_semicolon = False
    if not header.directives and delimiter is None:
        rows = _semicolon_rows(text)
        if rows is not None:
            text, lines, rows_by_semicolon = rows, split_lines(rows), True
    separator = header.separator or delimiter or sniff_delimiter(lines[header.lines :])
    shown_separator = _SEPARATOR_NAMES.get(separator, repr(separator))
    deck = RawDeck(format=_name_of(separator, header))
    if rows_by_semicolon:
        deck.notes.append("Cards were separated by semicolons, so each one is read as a line.")
    problems: list[ImportProblem] = []
    records, last_start = _records(text, separator, problems)
    comments = metadata = 0
    body: list[_Record] = []
    for record in records:
        if record.line <= header.lines or not record.cells:
            continue
        first = record.raw_first.lstrip("\ufeff")
        if first.startswith("#") and (header.directives or not body):
            comments += 1
            continue
        if not body and _metadata(record):
            metadata += 1
            continue
        body.append(record)
    # Flashcards Deluxe marks settings with '*' wherever they are, once its header is seen.
    names = header.names
    has_header = names is not None
    if body and names is None:
        first_cells = body[0].cells
        known = _known_header(first_cells)
        rest = [record.cells for record in body[1:60]]
        if known or header_by_shape(first_cells, rest):
            names = first_cells
            has_header = True
            deck.notes.append(
                "The first row was read as the columns' names: "
                + ", ".join(cell.strip()[:30] for cell in first_cells if cell.strip())
                + "."
            )
            body = body[1:]
    if has_header and names is not None and _fd_header(names):
        kept = [record for record in body if not record.cells[0].startswith("*")]
        metadata += len(body) - len(kept)
        body = kept
    if header.directives:
        described = header.describe()
        deck.notes.append(
            "Anki's file header was read" + (f" ({described})." if described else ".")
        )
    if comments and not header.directives:
        deck.notes.append(f"{_lines_were(comments, '#')} not read as cards.")
    if metadata:
        deck.notes.append(f"{_lines_were(metadata, '*')} not read as cards.")

    widths = Counter(len(record.cells) for record in body)
    width = max(widths) if widths else 2
    layout = _layout(header.roles, names, width)
    if not has_header and not header.roles:
        consistent = len(widths) == 1
        if separator == "," and not consistent:
            layout = _Layout(joined=True)
        elif width > 2:
            last = width - 1
            if _tags_like([r.cells[last] for r in body if len(r.cells) > last]):
                layout.ignored.pop(last, None)
                layout.tags = last
                deck.notes.append(f"Column {last + 1} was read as tags.")
    if header.html is None and any(_ANSWER_RULE.search(r.raw_first) for r in body[:50]):
        header.html = True

    tag_lists: list[list[str]] = []
    decks: list[str | None] = []
    topics: list[str | None] = []
    cards: list[RawCard] = []
    needed = max(layout.front, layout.back) + 1
    for record in body:
        where = f"line {record.line}"
        cells = record.cells
        if all(not cell.strip() for cell in cells):
            deck.skipped.append(Skipped(where, "empty row"))
            continue
        if len(cells) < 2:
            problems.append(
                ImportProblem(
                    where,
                    f"no {shown_separator} between front and back "
                    "(a card whose text spans lines needs it in double quotes)",
                )
            )
            continue
        if len(cells) < needed:
            problems.append(
                ImportProblem(
                    where, f"has {plural(len(cells), 'field')}; the header row asks for {needed}"
                )
            )
            continue
        if layout.joined:
            front_html, back_html = cells[0], separator.join(cells[1:])
        else:
            front_html, back_html = cells[layout.front], cells[layout.back]
        if _CLOZE.search(front_html):
            deck.skipped.append(Skipped(where, "cloze note (import Anki's .apkg to get its cards)"))
            continue
        rule = _ANSWER_RULE.search(back_html) if header.html is not False else None
        if rule is not None:  # Anki's "Cards in Plain Text": the answer side repeats the front
            back_html = back_html[rule.end() :]
        front, back = _cell(front_html, header.html), _cell(back_html, header.html)
        if _only_picture(front) or _only_picture(back):
            side = "front" if _only_picture(front) else "back"
            deck.skipped.append(
                Skipped(where, f"its {side} is only a picture, and a text file carries none")
            )
            continue

        def column(index: int | None, cells: list[str] = cells) -> str:
            return cells[index].strip() if index is not None and index < len(cells) else ""

        tag_lists.append(column(layout.tags).split() + header.tags)
        decks.append(column(layout.deck) or header.deck)
        topics.append(column(layout.topic) or None)
        cards.append(RawCard(front, back, None, where))

    # An unclosed quote makes the last record swallow the rest of the file without an error.
    if last_start and len(separator) == 1 and _unclosed_quote(text, last_start, separator):
        where = f"line {last_start}"
        problems = [problem for problem in problems if problem.where != where]
        problems.append(ImportProblem(where, "a double quote opened here is never closed"))
    if problems:
        raise DeckImportError(filename, problems)

    if layout.ignored:
        shown = ", ".join(layout.ignored.values())
        deck.notes.append(
            f"{shown[0].upper()}{shown[1:]} {'was' if len(layout.ignored) == 1 else 'were'} "
            "left out: only the front, the back, tags and deck are read."
        )
    _title_and_topics(deck, cards, tag_lists, decks, topics)
    return deck


def _metadata(record: _Record) -> bool:
    """A Flashcards Deluxe setting line at the top: `*` alone in its first cell, or `**`."""
    first = record.cells[0].strip() if record.cells else ""
    return first == "*" or first.startswith("**")


def _semicolon_rows(text: str) -> str | None:
    """Quizlet's export with a semicolon between cards: the cards on one line, one each."""
    filled = [line for line in split_lines(text) if line.strip()]
    if len(filled) > 2 or '"' in text:
        return None
    parts = [part.strip() for part in text.split(";") if part.strip()]
    if len(parts) < 3:
        return None
    for term in ("\t", ","):
        if all(term in part for part in parts):
            return "\n".join(parts) + "\n"
    return None


def _lines_were(count: int, mark: str) -> str:
    return f"{plural(count, 'line')} starting with {mark} {'was' if count == 1 else 'were'}"


def _known_header(cells: Sequence[str]) -> bool:
    names = [_name(cell) for cell in cells]
    return any(n in FRONT_NAMES for n in names) and any(n in BACK_NAMES for n in names)


def _fd_header(names: Sequence[str]) -> bool:
    """Flashcards Deluxe's columns: Text 1, Text 2, Picture 1, Sound 1, Notes..."""
    return any(re.fullmatch(r"(text|picture|sound|category)\s*\d", n.strip(), re.I) for n in names)


def _title_and_topics(
    deck: RawDeck,
    cards: list[RawCard],
    tag_lists: list[list[str]],
    decks: list[str | None],
    topics: list[str | None],
) -> None:
    """A deck column makes the title (the decks' common parent) and, when the file holds
    several decks, the topics; otherwise a topic column or the tags do."""
    named = [name for name in decks if name]
    distinct = list(dict.fromkeys(named))
    parent = common_parent(distinct) if distinct else None
    if parent:
        deck.title = parent
        deck.title_reason = (
            "the deck named in the file" if len(distinct) == 1 else "the common parent of its decks"
        )
    from_tags = choose_topics(tag_lists)
    for index, card in enumerate(cards):
        topic = topics[index]
        if len(distinct) > 1 and decks[index]:
            topic = subdeck_topic(decks[index] or "", parent) or topic
        topic = topic or from_tags[index]
        deck.cards.append(RawCard(card.front, card.back, topic, card.where, card.accept))
