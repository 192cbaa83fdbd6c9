"""What an import did, said once at its end: at the command line and in `/decks import`.

The summary counts the cards imported, the skips grouped by reason (with the first
examples of each), the topics and their cards, the pictures kept and left out, the title
chosen and why, and any sentence a reader had to say about the whole file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.domain.words import plural
from bot.importers.model import Skipped

EXAMPLES: Final = 3


@dataclass(frozen=True)
class SkipGroup:
    """Skips sharing a reason: how many, and where the first few are."""

    reason: str
    count: int
    examples: tuple[str, ...]

    def line(self) -> str:
        shown = ", ".join(self.examples)
        more = ", …" if self.count > len(self.examples) else ""
        return f"{self.reason}: {self.count} ({shown}{more})"


def group_skips(skipped: Iterable[Skipped]) -> tuple[SkipGroup, ...]:
    """Skips by reason, in the order each reason first occurs; examples in file order."""
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for skip in skipped:
        counts[skip.reason] = counts.get(skip.reason, 0) + 1
        shown = examples.setdefault(skip.reason, [])
        if len(shown) < EXAMPLES:
            shown.append(f"{skip.where} ({skip.detail})" if skip.detail else skip.where)
    return tuple(
        SkipGroup(reason, count, tuple(examples[reason])) for reason, count in counts.items()
    )


@dataclass(frozen=True)
class ImportSummary:
    """Everything an importer tells about one import."""

    filename: str
    format: str
    deck_id: str
    title: str
    title_reason: str
    cards: int
    skipped: tuple[SkipGroup, ...]
    topics: tuple[tuple[str, int], ...]
    without_topic: int
    pictures: int
    pictures_left_out: tuple[SkipGroup, ...]
    notes: tuple[str, ...]

    @property
    def skipped_count(self) -> int:
        return sum(group.count for group in self.skipped)

    @property
    def left_out_count(self) -> int:
        return sum(group.count for group in self.pictures_left_out)

    def headline(self) -> str:
        skipped = f", {self.skipped_count} skipped" if self.skipped else ", none skipped"
        return f"{plural(self.cards, 'card')} imported{skipped} (read as {self.format})"

    def title_line(self) -> str:
        return f'"{self.title}" ({self.title_reason})'

    def topic_lines(self) -> list[str]:
        lines = [f"{topic}: {plural(count, 'card')}" for topic, count in self.topics]
        if self.without_topic and self.topics:
            lines.append(f"(no topic): {plural(self.without_topic, 'card')}")
        return lines

    def picture_line(self) -> str:
        if not self.pictures and not self.pictures_left_out:
            return "none"
        return f"{self.pictures} imported, {self.left_out_count} left out"

    def lines(self) -> list[str]:
        """The whole summary as plain text: the terminal prints it, Discord attaches it."""
        lines = [self.headline(), f"Title: {self.title_line()}"]
        topics = self.topic_lines()
        lines.append(f"Topics: {len(self.topics)}:" if topics else "Topics: none")
        lines += [f"  {line}" for line in topics]
        if self.skipped:
            lines.append(f"Skipped: {self.skipped_count}, by reason:")
            lines += [f"  {group.line()}" for group in self.skipped]
        lines.append(f"Pictures: {self.picture_line()}")
        lines += [f"  {group.line()}" for group in self.pictures_left_out]
        lines += [f"Note: {note}" for note in self.notes]
        return lines

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"


def summarize(
    *,
    filename: str,
    format: str,
    deck_id: str,
    title: str,
    title_reason: str,
    cards: int,
    skipped: Sequence[Skipped],
    topics: Iterable[tuple[str, int]],
    without_topic: int,
    pictures: int = 0,
    pictures_left_out: Sequence[Skipped] = (),
    notes: Sequence[str] = (),
) -> ImportSummary:
    return ImportSummary(
        filename=filename,
        format=format,
        deck_id=deck_id,
        title=title,
        title_reason=title_reason,
        cards=cards,
        skipped=group_skips(skipped),
        topics=tuple(topics),
        without_topic=without_topic,
        pictures=pictures,
        pictures_left_out=group_skips(pictures_left_out),
        notes=tuple(dict.fromkeys(notes)),
    )
