"""What the format readers hand over: cards as found, what was skipped, and why imports fail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from bot.domain.errors import DomainError
from bot.domain.words import plural

# Discord refuses messages over 2,000 characters; the reply quotes this text as is.
MAX_MESSAGE: Final = 1900
# Past this many problems a file is clearly not a deck; listing more helps nobody.
MAX_PROBLEMS: Final = 100


MB: Final = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    """How much an import may read and keep."""

    max_file_bytes: int
    max_cards: int
    # What the archive may unpack to, all entries counted (Anki packages are zips).
    max_unpacked_bytes: int
    # Past this compression ratio an entry bigger than a megabyte is taken for a zip bomb.
    max_ratio: int = 100
    # Notes an Anki package may hold: reading stops past it, whatever they turn out to be.
    max_notes: int = 50_000
    # Bytes of HTML the fronts and backs of an Anki package's notes may hold in all: turning
    # it into text takes about a second per 2 MiB. 5,000 cards of 800 bytes a side fit.
    max_note_bytes: int = 8 * MB
    # A package that brings pictures (.apkg, .colpkg, a deck .zip) may be this big; None:
    # as big as any other file.
    max_package_bytes: int | None = None

    def max_bytes(self, package: bool) -> int:
        """How big a file may be: a package with pictures, or any other."""
        if package and self.max_package_bytes is not None:
            return max(self.max_package_bytes, self.max_file_bytes)
        return self.max_file_bytes


# Decks uploaded in Discord are stored in the database and parsed when a server is served.
SERVER_LIMITS: Final = ImportLimits(
    max_file_bytes=2 * MB, max_cards=5000, max_unpacked_bytes=64 * MB
)
# The command line writes a deck file for the bot's own folder; the owner runs it.
CLI_LIMITS: Final = ImportLimits(
    max_file_bytes=256 * MB,
    max_cards=20_000,
    max_unpacked_bytes=1024 * MB,
    max_notes=200_000,
    max_note_bytes=256 * MB,
)


def megabytes(size: int) -> str:
    return f"{size / MB:,.1f}".removesuffix(".0") + " MiB"


@dataclass(frozen=True)
class RawCard:
    """A card as a reader found it; `where` is "line 12" or "note 3".

    `accept` holds other answers the file gives as right (a trivia list's alternatives).
    """

    front: str
    back: str
    topic: str | None
    where: str
    accept: tuple[str, ...] = ()
    # Pictures: a file name in the media folder the import writes, one per side at most.
    front_image: str | None = None
    back_image: str | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A row, note or picture left out of an otherwise good import.

    `reason` is what skips of the same kind share (the summary counts them by it);
    `detail` tells this one apart, e.g. which line it repeats.
    """

    where: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.where}: {self.reason}{detail}"


@dataclass
class RawDeck:
    """What a reader found in one file, before limits, duplicates and validation.

    `title_reason` says where `title` came from ("the file's first heading"). `notes` are
    sentences for the import summary about the file as a whole ("column 3 (Notes) was
    ignored"). `pictures` counts pictures kept with the deck and `pictures_left_out` those
    left out; text formats carry none, package readers fill them.
    """

    format: str
    title: str | None = None
    cards: list[RawCard] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    title_reason: str | None = None
    notes: list[str] = field(default_factory=list)
    pictures: int = 0
    pictures_left_out: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class ImportProblem:
    """Why a file cannot be imported; `where` is None when it is about the whole file."""

    where: str | None
    message: str

    def __str__(self) -> str:
        return self.message if self.where is None else f"{self.where}: {self.message}"


def shown_name(filename: str) -> str:
    """A file name safe to put between backticks in a Discord message."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].replace("`", "'")
    name = " ".join(name.split())
    return name if len(name) <= 80 else name[:79] + "…"


class DeckImportError(DomainError):
    """A file could not be imported, so nothing was stored; `problems` says why, in file order."""

    def __init__(self, filename: str, problems: Iterable[ImportProblem]) -> None:
        listed = list(problems)
        self.filename = filename
        self.problems = listed[:MAX_PROBLEMS]
        self.omitted = max(0, len(listed) - MAX_PROBLEMS)
        super().__init__(self._render())

    @classmethod
    def single(cls, filename: str, message: str, where: str | None = None) -> DeckImportError:
        return cls(filename, [ImportProblem(where, message)])

    def lines(self) -> list[str]:
        """One line per problem, for a terminal."""
        lines = [str(problem) for problem in self.problems]
        if self.omitted:
            lines.append(f"{plural(self.omitted, 'more problem')} not shown")
        return lines

    def _render(self) -> str:
        name = shown_name(self.filename)
        if len(self.problems) == 1 and self.problems[0].where is None and not self.omitted:
            return f"`{name}` was not imported: {self.problems[0].message}"
        text = f"`{name}` was not imported:"
        for shown, problem in enumerate(self.problems):
            line = f"\n- {problem}"
            rest = len(self.problems) - shown + self.omitted
            # Keep room for the closing "and N more" line.
            if len(text) + len(line) > MAX_MESSAGE - 40:
                return text + f"\n…and {rest} more."
            text += line
        if self.omitted:
            text += f"\n…and {self.omitted} more."
        return text
