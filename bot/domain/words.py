"""How the bot writes a number of things: "1 card", "2 cards", "1,200 cards"."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, or ``many`` (default: ``word`` + "s") unless there is one.

    ``word`` may carry more than a noun: ``plural(n, "card matches", "cards match")``.
    """
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
