"""Text exports as Anki, Quizlet and Flashcards Deluxe write them: header lines, separators,
header rows, extra columns and HTML; and the summary each import ends with."""

from __future__ import annotations

import pytest

from bot.importers import SERVER_LIMITS, DeckImportError, ImportResult, import_deck
from bot.importers.text import html_to_text


def imported(text: str, filename: str, **options: str) -> ImportResult:
    return import_deck(text.encode("utf-8"), filename, limits=SERVER_LIMITS, **options)  # type: ignore[arg-type]


def refused(data: bytes, filename: str) -> str:
    with pytest.raises(DeckImportError) as raised:
        import_deck(data, filename, limits=SERVER_LIMITS)
    return str(raised.value)


def cards(result: ImportResult) -> list[tuple[str, str, str | None]]:
    return [(card.front, card.back, card.topic) for card in result.deck.cards]


# Anki 2.1.55+ "Notes in Plain Text", with HTML, the GUID, note type, deck and tags columns:
# its header lines, then one note a line; fields holding a quote or line break are quoted.
ANKI_NOTES = (
    "#separator:tab\n"
    "#html:true\n"
    "#guid column:1\n"
    "#notetype column:2\n"
    "#deck column:3\n"
    "#tags column:6\n"
    "b`X9{2Jm+R\tBasic\tSpanish::Verbs\thablar&nbsp;\tto speak<br>to talk\tregular_ar verbs\n"
    'Ht3C<)yhlw\tBasic\tSpanish::Verbs\tcomer\t"<div>to eat</div><div>""comer bien""</div>"\t'
    "verbs\n"
    'e-|x2&Bl:#\tBasic\tSpanish::Nouns\t<img src="perro.jpg">\tdog\tnouns\n'
    "p6~OGU1:Ab\tBasic\tSpanish::Nouns\tel gato\tthe cat\tnouns leech\n"
    "vX4]Kg0fPq\tCloze\tSpanish::Nouns\t{{c1::el}} gato\t\tnouns\n"
    'Qn0+a;7s%w\tBasic\tSpanish::Nouns\tla casa\t"<ul><li>the house</li><li>home</li></ul>"\t'
    "nouns\n"
)


def test_an_anki_notes_export_honours_every_header_line() -> None:
    result = imported(ANKI_NOTES, "Spanish.txt")
    assert result.format == "Anki text export"
    assert cards(result) == [
        ("hablar", "to speak\nto talk", "Verbs"),
        ("comer", 'to eat\n"comer bien"', "Verbs"),
        ("el gato", "the cat", "Nouns"),
        ("la casa", "- the house\n- home", "Nouns"),
    ]
    assert result.deck.title == "Spanish"
    assert result.summary.lines() == [
        "4 cards imported, 2 skipped (read as Anki text export)",
        'Title: "Spanish" (the common parent of its decks)',
        "Topics: 2:",
        "  Verbs: 2 cards",
        "  Nouns: 2 cards",
        "Skipped: 2, by reason:",
        "  its front is only a picture, and a text file carries none: 1 (line 9)",
        "  cloze note (import Anki's .apkg to get its cards): 1 (line 11)",
        "Pictures: none",
        "Note: Anki's file header was read (separator tab, HTML, guid in column 1, notetype in "
        "column 2, deck in column 3, tags in column 6).",
    ]


def test_an_anki_export_of_one_deck_takes_topics_from_tags_never_meta_or_lonely_ones() -> None:
    text = (
        "#separator:comma\n"
        "#html:false\n"
        "#deck:Biology::Cells\n"
        "#tags column:3\n"
        "# a comment line Anki ignores\n"
        "mitochondria,powerhouse of the cell,organelles marked\n"
        "ribosome,makes proteins,organelles wichtig\n"
        "#ribosome,a line starting with # is never a card,\n"
        "ATP,energy currency,energy -\n"
        "ADP,spent energy currency,energy leech\n"
        "osmosis,water crossing a membrane,transport\n"
        '"<b>not html</b>","kept as written, <i>tags</i> and all",organelles\n'
    )
    result = imported(text, "bio.csv")
    assert cards(result) == [
        ("mitochondria", "powerhouse of the cell", "organelles"),
        ("ribosome", "makes proteins", "organelles"),
        ("ATP", "energy currency", "energy"),
        ("ADP", "spent energy currency", "energy"),
        ("osmosis", "water crossing a membrane", None),  # its only tag is on one card
        ("<b>not html</b>", "kept as written, <i>tags</i> and all", "organelles"),
    ]
    assert result.deck.title == "Biology::Cells"
    assert result.summary.title_reason == "the deck named in the file"


def test_decks_without_a_common_parent_are_topics_and_the_file_names_the_deck() -> None:
    text = "Deck\tFront\tBack\nDefault\tq1\ta1\nFrench::Verbs\tq2\ta2\nGerman\tq3\ta3\n"
    result = imported(text, "mixed_decks.tsv")
    assert cards(result) == [
        ("q1", "a1", "Default"),
        ("q2", "a2", "French::Verbs"),
        ("q3", "a3", "German"),
    ]
    assert (result.deck.title, result.summary.title_reason) == ("mixed decks", "the file's name")


def test_anki_cards_in_plain_text_keep_only_the_answer_after_its_rule() -> None:
    text = (
        "#separator:tab\n"
        "#html:true\n"
        "2 + 2\t2 + 2<br><br><hr id=answer><br>4&nbsp;(four)\n"
        'Energy\t"Energy<hr id=""answer"">\\(E = mc^2\\)"\n'
    )
    assert cards(imported(text, "cards.txt")) == [
        ("2 + 2", "4 (four)", None),
        ("Energy", "`E = mc^2`", None),
    ]


def test_a_huge_header_line_is_refused_and_nothing_is_read() -> None:
    text = "#separator:tab\n#tags:" + "x" * 5000 + "\nq\ta\n"
    assert refused(text.encode(), "huge.txt") == (
        "`huge.txt` was not imported: its header line 2 is 5,006 characters long; a header "
        "line (`#separator:tab`) holds at most 1,000."
    )


def test_binary_junk_that_decodes_as_utf8_is_refused() -> None:
    assert refused(b"q,a\nabc\x01\x02\x1bdef,ghi\n", "junk.csv") == (
        "`junk.csv` was not imported: it contains the control character 0x01 (line 2), so it "
        "is not a text file."
    )


# --------------------------------------------------------------------------- separators


@pytest.mark.parametrize(
    ("text", "format"),
    [
        # Quizlet with a custom '|' between term and definition.
        ("hola|hello, hi\nadiós|goodbye\ngracias|thank you, thanks\n", "text separated by '|'"),
        # Semicolons between, commas inside definitions on most lines.
        ("hola;hello, hi\nadiós;goodbye, bye\ngracias;thank you\n", "text separated by semicolon"),
        ("hola - hello, hi\nadiós - goodbye\ngracias - thank you\n", "text separated by ' - '"),
        # Tabs, though the first line holds a comma and no tab is on a continuation line.
        ('hola\t"hello, hi"\nadiós\t"goodbye,\nsee you"\ngracias\tthank you\n', "TSV"),
    ],
)
def test_the_separator_is_told_from_many_lines(text: str, format: str) -> None:
    result = imported(text, "spanish.txt")
    assert result.format == format
    assert [card.front for card in result.deck.cards] == ["hola", "adiós", "gracias"]
    assert result.deck.cards[0].back == "hello, hi"


def test_quizlet_cards_separated_by_semicolons_on_one_line() -> None:
    result = imported("hola,hello;adiós,goodbye;gracias,thank you;", "quizlet.txt")
    assert [(c.front, c.back) for c in result.deck.cards] == [
        ("hola", "hello"),
        ("adiós", "goodbye"),
        ("gracias", "thank you"),
    ]
    assert result.summary.notes == (
        "Cards were separated by semicolons, so each one is read as a line.",
    )


def test_a_bulleted_list_is_no_metadata() -> None:
    text = "* hola - hello\n* adiós - goodbye\n"
    assert [c.back for c in imported(text, "bullets.txt").deck.cards] == ["hello", "goodbye"]


# --------------------------------------------------------------------------- header rows


@pytest.mark.parametrize(
    "header",
    ["fr,en", "French,English", "Text 1,Text 2", "de-DE,en-US", "Concept,Explanation"],
)
def test_a_header_row_is_told_by_its_shape_and_never_becomes_a_card(header: str) -> None:
    text = (
        f"{header}\n"
        "le chat,the cat who sleeps all day\n"
        "le chien,the dog that barks at night\n"
        "la maison,the house on the hill\n"
    )
    result = imported(text, "vocab.csv")
    assert [card.front for card in result.deck.cards] == ["le chat", "le chien", "la maison"]
    assert any(
        note.startswith("The first row was read as the columns' names")
        for note in result.summary.notes
    )


def test_a_first_row_like_the_others_is_a_card() -> None:
    result = imported("Hund,dog\nKatze,cat\nMaus,mouse\nVogel,bird\n", "tiere.csv")
    assert [card.front for card in result.deck.cards] == ["Hund", "Katze", "Maus", "Vogel"]


def test_header_names_pick_the_columns_in_any_order() -> None:
    text = "Tags\tDefinition\tTerm\nnoun\tthe cat\tle chat\nnoun\tthe dog\tle chien\n"
    assert cards(imported(text, "swapped.tsv")) == [
        ("le chat", "the cat", "noun"),
        ("le chien", "the dog", "noun"),
    ]


# --------------------------------------------------------------------------- extra columns


def test_a_tags_like_third_column_becomes_topics() -> None:
    text = (
        "hablar\tto speak\tverbs spanish\n"
        "comer\tto eat\tverbs spanish\n"
        "perro\tdog\tnouns spanish\n"
        "gato\tcat\tnouns spanish\n"
    )
    result = imported(text, "spanish.txt")
    assert [card.topic for card in result.deck.cards] == ["verbs", "verbs", "nouns", "nouns"]
    assert "Column 3 was read as tags." in result.summary.notes


def test_other_extra_columns_are_left_out_and_the_summary_says_so() -> None:
    text = (
        "How are you?\tI'm fine\t[en]Vocab, lesson one\n"
        "Good morning\tGuten Morgen\tgreeting, said before noon\n"
    )
    result = imported(text, "phrases.txt")
    assert cards(result) == [
        ("How are you?", "I'm fine", None),
        ("Good morning", "Guten Morgen", None),
    ]
    assert result.summary.notes == (
        "Column 3 was left out: only the front, the back, tags and deck are read.",
    )


def test_flashcards_deluxe_star_lines_and_picture_columns_are_never_cards() -> None:
    text = (
        "*\tSpanish animals\n"
        "Text 1\tText 2\tText 3\tPicture 1\tSound 1\tNotes\tCategory 1\n"
        "perro\tdog\tel perro\tperro.jpg\tperro.mp3\tmasculine\tanimals\n"
        "*\ta setting in the middle\n"
        "gato\tcat\tel gato\tgato.jpg\tgato.mp3\t\tanimals\n"
    )
    result = imported(text, "animals.txt")
    assert cards(result) == [("perro", "dog", "animals"), ("gato", "cat", "animals")]
    assert "2 lines starting with * were not read as cards." in result.summary.notes
    assert (
        "Column 3 (Text 3), column 4 (Picture 1), column 5 (Sound 1), column 6 (Notes) were "
        "left out: only the front, the back, tags and deck are read."
    ) in result.summary.notes


def test_html_in_a_plain_csv_is_converted_as_for_anki_packages() -> None:
    text = 'la&nbsp;casa,"the house<br>home"\nperro,<b>dog</b>\nif x<y,then x is smaller\n'
    assert cards(imported(text, "h.csv")) == [
        ("la casa", "the house\nhome", None),
        ("perro", "dog", None),
        ("if x<y", "then x is smaller", None),
    ]


# --------------------------------------------------------------------------- duplicates


def test_the_same_front_with_other_backs_is_one_card_accepting_them_all() -> None:
    text = "richtig\tcorrect\nrichtig\tright\nRichtig!\tCorrect\nfalsch\twrong\n"
    result = imported(text, "de.tsv")
    richtig = result.deck.cards[0]
    assert (richtig.front, richtig.back, richtig.accept) == ("richtig", "correct", ("right",))
    assert [str(s) for s in result.skipped] == ["line 3: repeats an earlier card (same as line 1)"]
    assert result.summary.notes == (
        "1 card repeats an earlier front with another back: kept as one card, the other backs "
        "accepted as answers (line 2 into line 1).",
    )


def test_skips_are_counted_by_reason_with_the_first_three_examples() -> None:
    text = "".join(f"q{n}\t\n" for n in range(5)) + "kept\tcard\n\tno front\n"
    summary = imported(text, "s.tsv").summary
    assert summary.skipped_count == 6
    assert [group.line() for group in summary.skipped] == [
        "empty back: 5 (line 1, line 2, line 3, …)",
        "empty front: 1 (line 7)",
    ]


# --------------------------------------------------------------------------- rich text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<pre>def f():\n    return 1</pre>then", "```\ndef f():\n    return 1\n```\nthen"),
        ("<pre><code>a &lt; b</code></pre>", "```\na < b\n```"),
        (
            "Steps<ol><li>boil</li><li>stir<ul><li>slowly</li></ul></li></ol>done",
            "Steps\n1. boil\n2. stir\n  - slowly\ndone",
        ),
        (
            "<table><tr><th>A</th><th>B</th><th>A AND B</th></tr>"
            "<tr><td>0</td><td>1</td><td>0</td></tr><tr><td>1</td><td>1</td><td>1</td></tr>"
            "</table>",
            "```\nA  B  A AND B\n0  1  0\n1  1  1\n```",
        ),
        ("mass: $m_1 * m_2$ costs $5 or $10", "mass: `m_1 * m_2` costs $5 or $10"),
        ("\\(x^*\\) and \\[\\sum_i x_i\\]", "`x^*` and `\\sum_i x_i`"),
        ("[$]a_b[/$] and [$$]c*d[/$$]", "`a_b` and `c*d`"),
        ("run <code>ls -la</code>", "run `ls -la`"),
    ],
)
def test_rich_text_keeps_its_structure(html: str, text: str) -> None:
    assert html_to_text(html) == text
