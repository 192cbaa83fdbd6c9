"""Markdown notes as study groups write them: Obsidian spaced-repetition cards, Logseq
`#card` blocks, `Q:`/`A:` lists, and only the tables that are cards."""

from __future__ import annotations

import pytest

from bot.importers import SERVER_LIMITS, DeckImportError, ImportResult, import_deck


def imported(text: str, filename: str = "notes.md") -> ImportResult:
    return import_deck(text.encode("utf-8"), filename, limits=SERVER_LIMITS)


def cards(result: ImportResult) -> list[tuple[str, str, str | None]]:
    return [(card.front, card.back, card.topic) for card in result.deck.cards]


# The obsidian-spaced-repetition plugin's syntax: a #flashcards tag (with a subdeck), one-line
# cards with :: and ::: (both ways), multi-line cards around a lone ?, and its review comments.
OBSIDIAN = """---
aliases: [krebs]
tags: [biology]
---
#flashcards/biology/cells

# Cell biology

Some prose about cells, not a card.

Mitochondria::the powerhouse of the cell <!--SR:!2024-02-01,3,250-->
ATP:::adenosine triphosphate

What are the stages
of mitosis?
?
prophase, metaphase,
anaphase, telophase
<!--SR:!2024-02-03,1,230-->

Truth table of AND
?
| A | B | A AND B |
|---|---|---|
| 0 | 1 | 0 |
| 1 | 1 | 1 |

```python
# a comment in code is no card
table = {"q": "a"}  # key::value
```

~~~
| Front | Back |
| in a fence | never a card |
~~~

Energy of a photon::$E = h\\nu$
"""


def test_obsidian_cards_in_every_form_with_the_flashcards_tag_as_topic() -> None:
    result = imported(OBSIDIAN, "Cells.md")
    topic = "biology / cells"
    assert cards(result) == [
        ("Mitochondria", "the powerhouse of the cell", topic),
        ("ATP", "adenosine triphosphate", topic),
        ("adenosine triphosphate", "ATP", topic),
        ("What are the stages\nof mitosis?", "prophase, metaphase,\nanaphase, telophase", topic),
        (
            "Truth table of AND",
            "| A | B | A AND B |\n|---|---|---|\n| 0 | 1 | 0 |\n| 1 | 1 | 1 |",
            topic,
        ),
        ("Energy of a photon", "`E = h\\nu`", topic),
    ]
    assert result.format == "Markdown (Obsidian cards)"
    assert (result.deck.title, result.summary.title_reason) == (
        "Cell biology",
        "the file's first heading",
    )


# Logseq writes one block a line; card blocks carry scheduling properties under them.
LOGSEQ = """- Spanish verbs
- hablar #card
  card-last-interval:: 4
  card-next-schedule:: 2024-03-01T00:00:00.000Z
	- to speak
	- to talk
- comer #card
	- to eat
- a plain note:: not a card, since this file's cards are blocks
"""


def test_logseq_card_blocks_with_their_children_as_the_back() -> None:
    result = imported(LOGSEQ, "verbs.md")
    assert cards(result) == [("hablar", "to speak\nto talk", None), ("comer", "to eat", None)]
    assert result.format == "Markdown (Logseq cards)"


def test_q_and_a_lists() -> None:
    text = (
        "# Networking\n\n"
        "- Q: What does DNS do?\n"
        "- A: Turns names into addresses\n\n"
        "**Q:** Port of HTTPS?\n"
        "**A:** 443\n"
        "(TCP)\n\n"
        "Q: Layer of IP?\n"
        "A: 3\n"
    )
    assert cards(imported(text)) == [
        ("What does DNS do?", "Turns names into addresses", None),
        ("Port of HTTPS?", "443\n(TCP)", None),
        ("Layer of IP?", "3", None),
    ]


def test_only_tables_naming_front_and_back_are_read_beside_prose() -> None:
    text = (
        "# Logic notes\n\n"
        "Some text about gates.\n\n"
        "| A | B | A AND B |\n|---|---|---|\n| 0 | 0 | 0 |\n| 1 | 1 | 1 |\n\n"
        "More prose.\n\n"
        "| term | DEFINITION |\n|---|---|\n| NAND | not and |\n| NOR | not or |\n"
    )
    result = imported(text, "logic.md")
    assert cards(result) == [("NAND", "not and", None), ("NOR", "not or", None)]
    assert result.summary.notes == (
        "The table at line 5 was not read: its header names no front and back, and it is not "
        "the file's main content.",
    )


def test_a_two_column_table_that_is_the_whole_note_is_read() -> None:
    text = "# Capitals\n\n| Country | Capital |\n|---|---|\n| France | Paris |\n| Peru | Lima |\n"
    assert cards(imported(text)) == [("France", "Paris", None), ("Peru", "Lima", None)]


def test_a_note_that_is_only_a_truth_table_is_refused_not_junk() -> None:
    text = "| A | B | A XOR B |\n|---|---|---|\n| 0 | 0 | 0 |\n| 0 | 1 | 1 |\n"
    with pytest.raises(DeckImportError) as raised:
        imported(text, "xor.md")
    assert str(raised.value).startswith("`xor.md` was not imported: it has no cards:")
