"""Shared pieces of the bot's messages, within Discord's documented limits.

`fit_message` is the last step before anything is sent: whatever a deck holds, what
leaves the bot is a message Discord accepts (see `bot/exts/replies.py`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import discord

from bot.domain.answers import Letter
from bot.domain.leaderboard import accuracy
from bot.domain.markdown import literal

# Discord's documented limits, in characters unless said otherwise.
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
MAX_FIELDS = 25  # per embed
MAX_EMBEDS = 10  # per message
EMBEDS_TOTAL_LIMIT = 6000  # titles, descriptions, fields, footers and authors of a message
CHOICE_LIMIT = 100  # an autocomplete choice's name and value
# When a message's embeds are too long together, long field values (explanations, option
# texts, lists) are cut first, down to this many characters; then long descriptions.
SPARE_FLOOR = 200
ELLIPSIS = "…"
BLANK = "\u200b"  # a field's name and value must not be empty


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut at the end."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS if limit > 0 else ""


def clip_middle(text: str, limit: int) -> str:
    """Shorten to `limit` characters by cutting out the middle, marking the cut.

    For names and labels, whose end often tells them apart ("Deck part 1", "... part 2").
    """
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = limit // 2
    tail = limit - 1 - head
    return text[:head] + ELLIPSIS + (text[len(text) - tail :] if tail else "")


@dataclass
class _Text:
    """One text of an embed, with how it is shortened."""

    holder: dict[str, Any]
    key: str
    kind: str  # "title", "description", "name", "value", "footer" or "author"
    original: str = ""

    def __post_init__(self) -> None:
        self.original = str(self.holder[self.key])

    @property
    def text(self) -> str:
        return str(self.holder[self.key])

    def cut(self, limit: int) -> None:
        """Shorten the text as written to `limit`, so a second cut marks one place."""
        shorten: Callable[[str, int], str] = (
            clip if self.kind in ("description", "value") else clip_middle
        )
        self.holder[self.key] = shorten(self.original, limit)


_LIMITS = {
    "title": TITLE_LIMIT,
    "description": DESCRIPTION_LIMIT,
    "name": FIELD_NAME_LIMIT,
    "value": FIELD_LIMIT,
    "footer": FOOTER_LIMIT,
    "author": AUTHOR_LIMIT,
}


def _texts(data: dict[str, Any]) -> list[_Text]:
    """The texts Discord counts in an embed, each cut to its own limit."""
    texts = [_Text(data, key, key) for key in ("title", "description") if key in data]
    for part_key, key, kind in (("footer", "text", "footer"), ("author", "name", "author")):
        part = data.get(part_key)
        if isinstance(part, dict) and key in part:
            texts.append(_Text(part, key, kind))
    fields = data.get("fields") or []
    del fields[MAX_FIELDS:]
    for field in fields:
        for key in ("name", "value"):
            if not str(field.get(key) or "").strip():
                field[key] = BLANK
            texts.append(_Text(field, key, key))
    for text in texts:
        text.cut(_LIMITS[text.kind])
    return texts


def _shorten(texts: list[_Text], excess: int, floor: int) -> int:
    """Cut the longest texts to one common length, no shorter than `floor`, so that
    `excess` characters go if they can. Returns how many went."""
    lengths = [len(text.text) for text in texts]

    def removed(cap: int) -> int:
        return sum(length - cap for length in lengths if length > cap)

    low, high = floor, max(lengths, default=floor)
    if removed(low) <= excess:
        cap = low
    else:  # the largest cap that still removes enough
        while low < high:
            middle = (low + high + 1) // 2
            if removed(middle) >= excess:
                low = middle
            else:
                high = middle - 1
        cap = low
    for text in texts:
        if len(text.text) > cap:
            text.cut(cap)
    return removed(cap)


def fit_embeds(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """Copies of a message's embeds that Discord accepts, each text marked where cut.

    Each text is cut to its own limit; if the message is still over the 6,000 characters
    its embeds may hold together, long field values go first (explanations, long option
    texts, lists), then long descriptions, then whatever is longest, so short verdicts,
    scores and the question itself stay whole as long as possible.
    """
    # to_dict shares the embed's own field dicts: cutting must not reach the caller's embed.
    data = [copy.deepcopy(embed.to_dict()) for embed in embeds[:MAX_EMBEDS]]
    texts = [text for part in data for text in _texts(part)]  # type: ignore[arg-type]
    excess = sum(len(text.text) for text in texts) - EMBEDS_TOTAL_LIMIT
    for kinds, floor in ((("value",), SPARE_FLOOR), (("description",), SPARE_FLOOR), (None, 1)):
        if excess <= 0:
            break
        chosen = [text for text in texts if kinds is None or text.kind in kinds]
        excess -= _shorten(chosen, excess, floor)
    return [discord.Embed.from_dict(part) for part in data]


def fit_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message's keyword arguments (as discord.py takes them) fitted to Discord's limits:
    the content and the embeds; anything else is passed on unchanged."""
    fitted = dict(message)
    content = fitted.get("content")
    if isinstance(content, str):
        fitted["content"] = clip(content, CONTENT_LIMIT)
    embed = fitted.get("embed")
    if isinstance(embed, discord.Embed):
        [fitted["embed"]] = fit_embeds([embed])
    embeds = fitted.get("embeds")
    if embeds:
        fitted["embeds"] = fit_embeds(embeds)
    return fitted


def percent(share: Fraction) -> str:
    value = float(share) * 100
    return f"{value:.0f}%" if value in (0.0, 100.0) else f"{value:.1f}%"


def judged_accuracy(correct: int, judged: int) -> str:
    """Accuracy as every reply shows it: the share right of the answers the bot judged
    (multiple choice, typed, daily), never of self-graded cards."""
    if not judged:
        return "no judged answers yet"
    return f"{percent(accuracy(correct, judged))} ({correct}/{judged} judged)"


def write_question(
    embed: discord.Embed,
    prompt: str,
    options: Sequence[str],
    marks: Mapping[int, str] | None = None,
) -> None:
    """The question and its options, each written out in full after its letter.

    Whole-sentence answers do not fit on buttons, so the text lives here and the
    buttons carry only letters. `marks` prefixes options (for example a tick).
    """
    marks = marks or {}
    lines = [
        f"{marks.get(i, '')}**{letter}.** {literal(option)}"
        for i, (letter, option) in enumerate(zip(Letter, options, strict=False))
    ]
    text = f"**{literal(prompt)}**\n\n" + "\n".join(lines)
    if len(text) <= DESCRIPTION_LIMIT:
        embed.description = text
        return
    # Very long options do not fit one description; fields hold 1,024 characters each.
    embed.description = clip(f"**{literal(prompt)}**", DESCRIPTION_LIMIT)
    for i, (letter, option) in enumerate(zip(Letter, options, strict=False)):
        embed.add_field(
            name=f"{marks.get(i, '')}{letter}.",
            value=clip(literal(option), FIELD_LIMIT),
            inline=False,
        )
