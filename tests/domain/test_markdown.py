"""Deck text and names put into Discord markdown show as written."""

from __future__ import annotations

import pytest

from bot.domain.markdown import code, literal, plain_name


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("TCP port 443", "TCP port 443"),
        ("Fourth **question**", r"Fourth \*\*question\*\*"),
        (
            "snake_case ~~gone~~ ||spoiler|| `code`",
            r"snake\_case \~\~gone\~\~ \|\|spoiler\|\| \`code\`",
        ),
        ("back\\slash", r"back\\slash"),
        (
            "<@&123456789012345678> <@42> <#7> <t:1700000000:R>",
            r"\<\@&123456789012345678> \<\@42> \<#7> \<t:1700000000:R>",
        ),
        ("@everyone and @here", r"\@everyone and \@here"),
        # The bold after a masked link is escaped too (discord.utils.escape_markdown leaves it).
        (
            "[docs](https://example.com/a_b) **bold**",
            r"\[docs](https://example.com/a_b) \*\*bold\*\*",
        ),
        ("see https://example.com/a_b_c.", r"see https://example.com/a_b_c."),
        (
            "> quote\n# title\n  - item\n12. step\n-# small\n+ plus",
            "\\> quote\n\\# title\n  \\- item\n12\\. step\n\\-# small\n\\+ plus",
        ),
        ("C# and x-y 3.5 > 2", "C# and x-y 3.5 > 2"),
    ],
)
def test_literal(text: str, shown: str) -> None:
    assert literal(text) == shown


def test_a_code_span_cannot_be_ended_from_inside() -> None:
    assert code("a`b <@&1>") == "`aˋb <@&1>`"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("alice", "alice"),
        ("mal\u202eexe.gnp", "malexe.gnp"),
        ("\u2066a\u2067b\u2068c\u2069 \u202a\u202b\u202c\u202d", "abc"),
        ("x\u200ey\u200fz\u061c", "xyz"),
        ("  two\n lines\t", "two lines"),
        ("\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd"),  # Hebrew letters stay
    ],
)
def test_plain_name(name: str, shown: str) -> None:
    assert plain_name(name) == shown
