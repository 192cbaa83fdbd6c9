"""Deck text and names inside the bot's messages, shown as they were written.

Messages are written in Discord's markdown. Put in raw, a card's `**` ends the bold
around it, `<@&id>` in a title shows as a role mention, `[text](url)` hides where a
link goes, and a right-to-left override in a name turns the rest of its line around.
"""

from __future__ import annotations

import re

# Web addresses stay whole, so they stay links (Discord's own pattern for them): a
# backslash inside one would become part of the address.
_URL = r"https?://[^\s<]+[^<.,:;\"')\]\s]"
_MARKUP = re.compile(
    rf"(?P<url>{_URL})"
    # Formatting, code, spoilers, escapes; mentions, channels, emoji and timestamps all
    # start with "<"; masked links with "["; @everyone and @here with "@".
    r"|(?P<char>[\\*_~|`<\[@])"
    # What counts only at the start of a line: quotes, headings, lists, subtext.
    r"|^(?P<indent>[ \t]*)(?:(?P<number>\d+)\.|(?P<block>[>#+-]))",
    re.MULTILINE,
)

# Bidirectional controls: embeddings, overrides, isolates and marks. In a name they
# can make the text after it read backwards ("gnp.exe"), so names go without them.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _escape(match: re.Match[str]) -> str:
    if match["url"]:
        return match["url"]
    if match["char"]:
        return "\\" + match["char"]
    if match["number"] is not None:
        return f"{match['indent']}{match['number']}\\."
    return f"{match['indent']}\\{match['block']}"


def literal(text: str) -> str:
    """``text`` shown as written inside markdown: a backslash before each character
    Discord would read as formatting, a mention, a link or a list (Discord shows any
    punctuation after a backslash as itself). Web addresses are left whole."""
    return _MARKUP.sub(_escape, text)


def code(text: str) -> str:
    """``text`` as a code span. No escape works inside one, so its own backticks become
    look-alikes (ˋ) that cannot end it; mentions and formatting show as typed there."""
    return f"`{text.replace('`', 'ˋ')}`"


def plain_name(name: str) -> str:
    """A member's or server's name on one line, without bidirectional controls."""
    return " ".join(_BIDI.sub("", name).split())
