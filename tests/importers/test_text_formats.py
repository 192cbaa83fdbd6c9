"""CSV/TSV (Quizlet's export) and Markdown tables, from files shaped like real ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.decks import default_card_id, load_deck_file
from bot.importers import SERVER_LIMITS, DeckImportError, ImportResult, import_deck
from bot.importers.text import html_to_text

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "data" / "seed_flashcards.txt"
SHIPPED = REPO / "decks" / "aws-mla-c01-deployment.yaml"


def imported(text: str | bytes, filename: str, **options: str) -> ImportResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_deck(data, filename, limits=SERVER_LIMITS, **options)  # type: ignore[arg-type]


def refused(text: str | bytes, filename: str) -> DeckImportError:
    with pytest.raises(DeckImportError) as raised:
        imported(text, filename)
    return raised.value


def cards(result: ImportResult) -> list[tuple[str, str]]:
    return [(card.front, card.back) for card in result.deck.cards]


# Quizlet's export: term TAB definition, one card a line; here with a definition holding
# commas and quotes, and a multi-line one quoted as a spreadsheet would write it.
QUIZLET_TSV = (
    'ephemeral\tlasting a very short time, e.g. "fame"\n'
    'ubiquitous\t"present, appearing, or found everywhere"\n'
    '"sesquipedalian"\t"given to using long words;\n'
    'characterised by long words"\n'
    "\n"
    "laconic\tusing very few words\n"
)


def test_a_quizlet_tsv_export_with_quotes_and_line_breaks() -> None:
    result = imported(QUIZLET_TSV, "GRE words (Quizlet).txt")
    assert result.format == "TSV"
    assert cards(result) == [
        ("ephemeral", 'lasting a very short time, e.g. "fame"'),
        ("ubiquitous", "present, appearing, or found everywhere"),
        ("sesquipedalian", "given to using long words;\ncharacterised by long words"),
        ("laconic", "using very few words"),
    ]
    assert result.deck.id == "gre-words-quizlet"
    assert result.deck.title == "GRE words (Quizlet)"
    assert result.skipped == ()


def test_a_comma_csv_with_a_header_a_topic_column_and_quoted_commas() -> None:
    text = (
        "Term,Definition,Topic\r\n"
        'S3,"Object storage, 11 nines of durability",Storage\r\n'
        '"EC2","Virtual servers; ""instances""",Compute\r\n'
        "EBS,Block storage for EC2,storage\r\n"
    )
    result = imported(text, "aws.csv")
    assert result.format == "CSV"
    assert cards(result) == [
        ("S3", "Object storage, 11 nines of durability"),
        ("EC2", 'Virtual servers; "instances"'),
        ("EBS", "Block storage for EC2"),
    ]
    # Topics compare case-insensitively, so "storage" joins "Storage".
    assert result.deck.topics == ("Storage", "Compute")
    assert [card.topic for card in result.deck.cards] == ["Storage", "Compute", "Storage"]


def test_without_a_header_unquoted_commas_stay_in_the_back() -> None:
    result = imported("S3,Object storage, very durable\nIAM,Identity\n", "a.csv")
    assert cards(result) == [("S3", "Object storage, very durable"), ("IAM", "Identity")]


def test_empty_rows_duplicates_and_over_long_cards_are_skipped_with_their_line() -> None:
    long_back = "x" * 1001
    text = (
        "front\tback\n"
        "S3\tstorage\n"
        "\t\n"
        "EC2\t\n"
        "\tno front\n"
        "s3!\tstorage\n"
        f"Lambda\t{long_back}\n"
        "IAM\tidentity\n"
    )
    result = imported(text, "mixed.tsv")
    assert cards(result) == [("S3", "storage"), ("IAM", "identity")]
    assert [str(s) for s in result.skipped] == [
        "line 3: empty row",
        "line 4: empty back",
        "line 5: empty front",
        "line 6: repeats an earlier card (same as line 2)",
        "line 7: back over 1,000 characters (1,001)",
    ]


def test_a_line_without_a_separator_is_an_error_with_its_number() -> None:
    error = refused("S3\tstorage\nthis line has no tab\nIAM\tidentity\nalso none\n", "x.tsv")
    assert [str(p) for p in error.problems] == [
        "line 2: no tab between front and back (a card whose text spans lines needs it in "
        "double quotes)",
        "line 4: no tab between front and back (a card whose text spans lines needs it in "
        "double quotes)",
    ]
    assert str(error).startswith("`x.tsv` was not imported:\n- line 2: no tab")


def test_an_unclosed_quote_is_reported_where_it_opens() -> None:
    error = refused('a,b\n"c,d\ne,f\n', "q.csv")
    assert [str(p) for p in error.problems] == [
        "line 2: a double quote opened here is never closed"
    ]


# --------------------------------------------------------------------------- Markdown


def test_the_seed_markdown_table_gives_the_shipped_decks_39_cards() -> None:
    result = imported(SEED.read_bytes(), SEED.name)
    shipped = load_deck_file(SHIPPED)
    assert result.format == "Markdown table"
    assert len(result.deck.cards) == 39 and result.skipped == ()
    assert sorted(cards(result)) == sorted((c.front, c.back) for c in shipped.cards)
    # Same fronts, so the same card ids: progress on one counts for the other.
    assert {c.id for c in result.deck.cards} == {c.id for c in shipped.cards}
    assert result.deck.title == "Deployment and Operationalization Flashcards"
    assert result.deck.id == "deployment-and-operationalization-flashcards"


def test_markdown_with_a_heading_separator_row_escaped_pipes_and_br() -> None:
    text = (
        "# Unix pipes\n\n"
        "Some intro text.\n\n"
        "| Question | Answer | Topic |\n"
        "|:---|---:|---|\n"
        "| What does `a \\| b` do? | Feeds a's output<br>to b | shell |\n"
        "| tee | Copies input to a file and stdout | tools |\n"
        "\n"
        "Trailing notes are ignored.\n"
    )
    result = imported(text, "pipes.md")
    assert result.deck.title == "Unix pipes"
    assert cards(result) == [
        ("What does `a | b` do?", "Feeds a's output\nto b"),
        ("tee", "Copies input to a file and stdout"),
    ]
    assert result.deck.topics == ("shell", "tools")


def test_markdown_rows_of_the_wrong_shape_are_errors_with_line_numbers() -> None:
    error = refused("| a | b |\n| only one |\n| x | y | z |\n", "bad.md")
    assert [str(p) for p in error.problems] == [
        "line 2: has 1 cell; a card needs | front | back |",
        "line 3: has 3 cells; without a header row naming the columns a row needs exactly two "
        "(| front | back |). Write a literal | as \\|.",
    ]


def test_markdown_without_a_table_is_refused() -> None:
    error = refused("# Notes\n\nJust prose.\n", "notes.md")
    assert str(error) == (
        "`notes.md` was not imported: it has no cards: no table with a Front/Back header, no "
        "`question::answer` lines, `?` cards, `#card` blocks or Q:/A: lists (code blocks are "
        "never read)."
    )


# --------------------------------------------------------------------------- text itself


def test_invalid_utf8_is_refused_with_the_byte_and_line() -> None:
    error = refused(b"a,b\nc,caf\xe9\n", "latin1.csv")
    assert str(error) == (
        "`latin1.csv` was not imported: it is not UTF-8 text (byte 0xe9 on line 2). "
        "Save it as UTF-8 and try again."
    )


def test_utf8_and_utf16_byte_order_marks_are_understood() -> None:
    assert cards(imported(b"\xef\xbb\xbfcaf\xc3\xa9,coffee\n", "bom.csv")) == [("café", "coffee")]
    utf16 = "term\tdefinition\nnaïve\tinnocent\n".encode("utf-16")
    assert cards(imported(utf16, "excel.txt")) == [("naïve", "innocent")]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04rest", "deck.csv", "it is a zip archive, not text."),
        (
            b"a,b\x00\n",
            "nul.csv",
            "it contains a NUL character (line 1), so it is not a text file.",
        ),
        (b"  \n\n", "blank.csv", "the file is empty."),
        (b"a,b", "deck.pdf", "files named '.pdf' cannot be imported;"),
        (b"x" * (2 * 1024 * 1024 + 1), "big.csv", "it is 2 MiB; a deck file may be at most 2 MiB."),
    ],
)
def test_files_that_are_not_decks_are_refused_clearly(
    data: bytes, filename: str, message: str
) -> None:
    assert message in str(refused(data, filename))


def test_no_cards_at_all_lists_what_was_skipped() -> None:
    error = refused("a\t\n\tb\n", "empty-ish.tsv")
    assert [str(p) for p in error.problems] == [
        "no cards found.",
        "line 1: skipped: empty back",
        "line 2: skipped: empty front",
    ]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<b>bold</b>&nbsp;and <i>it</i>", "bold and it"),
        ("one<br>two<br/>three", "one\ntwo\nthree"),
        ("<div>first</div><div>second</div>", "first\nsecond"),
        ("a &amp; b &lt; c", "a & b < c"),
        ('say [sound:hello.mp3]<img src="x.png">', "say [image]"),
        ("<style>.x{}</style>kept<script>alert(1)</script>", "kept"),
        ("source\nline breaks   are spaces", "source line breaks are spaces"),
        ("if x<y then", "if x<y then"),
    ],
)
def test_html_becomes_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_card_ids_come_from_fronts_like_a_yaml_deck() -> None:
    result = imported("What is S3?,Object storage\n", "one.csv")
    assert result.deck.cards[0].id == default_card_id("What is S3?")
