"""Shared pieces of the bot's messages, within Discord's documented limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.domain.markdown import literal
from bot.domain.words import plural as plural  # kept importable from here

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
LETTERS = ("A", "B", "C", "D")


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        for i, (letter, option) in enumerate(zip(LETTERS, options, strict=False))
    ]
    text = f"**{literal(prompt)}**\n\n" + "\n".join(lines)
    if len(text) <= DESCRIPTION_LIMIT:
        embed.description = text
        return
    # Very long options do not fit one description; fields hold 1,024 characters each.
    embed.description = clip(f"**{literal(prompt)}**", DESCRIPTION_LIMIT)
    for i, (letter, option) in enumerate(zip(LETTERS, options, strict=False)):
        embed.add_field(
            name=f"{marks.get(i, '')}{letter}.",
            value=clip(literal(option), FIELD_LIMIT),
            inline=False,
        )
