"""Every message the bot builds fits Discord's limits, whatever the decks hold.

Decks are generated at the deck format's limits (fronts, backs and explanations of
1,000 characters, 200-character titles, 50 topics of 100 characters, 50 decks), every
renderer's message goes through the fitting step that sends it (`fit_message`), and the
JSON discord.py would send is checked by the fake Discord's own checks of Discord's limits.
"""

from __future__ import annotations

import ast
import asyncio
import copy
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot
from bot.domain.answers import Letter, Mode, SelfGrade
from bot.domain.daily import ChallengeState, DailyQuestion
from bot.domain.decks import (
    MAX_CARD_TEXT,
    MAX_DESCRIPTION,
    MAX_SOURCE,
    MAX_TITLE,
    MAX_TOPIC,
    Deck,
    parse_deck_mapping,
)
from bot.domain.grading import GradeResult, Verdict
from bot.domain.questions import build_multiple_choice
from bot.domain.quiz import MAX_QUESTIONS, QuizSession, build_question
from bot.domain.streaks import StreakState
from bot.exts.autocomplete import deck_choice
from bot.exts.daily import _render as daily
from bot.exts.decks._cog import MAX_SERVER_DECKS, deck_info_embed, deck_list_embed, import_embed
from bot.exts.embeds import ELLIPSIS, fit_message
from bot.exts.quiz import _render as quiz
from bot.exts.stats import _render as stats
from bot.exts.stats._summary import TopicResult
from bot.importers import ImportResult
from bot.importers.model import Skipped
from bot.importers.summary import summarize
from bot.storage.daily import DailyChallenge, DailyResults
from bot.storage.stats import MemberTotals
from tests.factories import T0, quiz_session
from tests.fakediscord.limits import check_choices, check_message

MAX_TOPICS = 50
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Markdown, mentions, wide and combining characters, right-to-left text: what decks hold.
CHARACTERS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), include_characters="*_`~|<@#>\n"
)


@st.composite
def texts(draw: st.DrawFn, label: str, limit: int, low: int = 1) -> str:
    """Deck text of `low`..`limit` characters, often exactly `limit`, starting with `label`
    (which keeps fronts, backs and topics of one deck apart)."""
    size = draw(st.one_of(st.just(limit), st.integers(max(low, len(label) + 1), limit)))
    flavour = draw(st.text(CHARACTERS, min_size=1, max_size=12))
    text = (label + " " + flavour * (size // len(flavour) + 1))[:size]
    text = text.strip()
    return text + "x" * (size - len(text))  # deck text is stripped on reading


@st.composite
def decks(draw: st.DrawFn) -> Deck:
    cards = draw(st.integers(4, 8))
    topic_count = draw(st.one_of(st.just(MAX_TOPICS), st.integers(0, MAX_TOPICS)))
    topics = tuple(draw(texts(f"T{i}", MAX_TOPIC)) for i in range(topic_count))
    made = []
    for i in range(cards):
        front = draw(texts(f"F{i}", MAX_CARD_TEXT))
        made.append(
            {
                "front": front,
                "back": draw(texts(f"B{i}", MAX_CARD_TEXT)),
                "topic": topics[i % len(topics)] if topics else None,
                "explanation": draw(st.none() | texts(f"E{i}", MAX_CARD_TEXT)),
            }
        )
    data = {
        "id": "deck-" + "d" * draw(st.integers(0, 58)),
        "title": draw(texts("Title", MAX_TITLE)),
        "description": draw(texts("About", MAX_DESCRIPTION)),
        "source": draw(st.none() | texts("Source", MAX_SOURCE)),
        "topics": list(topics),
        "cards": [{k: v for k, v in card.items() if v is not None} for card in made],
    }
    return parse_deck_mapping(data, filename="generated.yaml")  # valid: the bot accepts it


def many(deck: Deck, count: int = MAX_SERVER_DECKS) -> list[Deck]:
    """`count` decks like `deck`, each with its own id and title."""
    return [
        replace(deck, id=f"{deck.id[:55]}-{i}", title=deck.title[: MAX_TITLE - 4] + f" {i}")
        for i in range(count)
    ]


def payload(**message: Any) -> dict[str, Any]:
    """What discord.py sends for a message, after the bot's fitting step."""
    fitted = fit_message(message)
    params = discord.http.handle_message_parameters(
        content=fitted.get("content"),
        embed=fitted.get("embed", discord.utils.MISSING),
        embeds=fitted.get("embeds", discord.utils.MISSING),
        view=fitted.get("view", discord.utils.MISSING),
    )
    return dict(params.payload or {})


def assert_fits(**message: Any) -> dict[str, Any]:
    body = payload(**message)
    errors = check_message(body)
    assert errors == [], [str(error) for error in errors]
    return body


def screen_fits(screen: quiz.Screen) -> dict[str, Any]:
    return assert_fits(content=screen.content, embeds=screen.embeds, view=screen.view)


def session_of(deck: Deck, mode: Mode, *, position: int) -> QuizSession:
    questions = tuple(build_question(deck, card, mode=mode, seed=card.id) for card in deck.cards)
    position = min(position, len(questions) - 1)
    return quiz_session(
        deck_id=deck.id,
        topic=deck.topics[0] if deck.topics else None,
        mode=mode,
        questions=questions,
        requested=len(questions),
        position=position,
        answered=position + 1,
        correct=position,
        points=10**6,
    )


def check_quiz(deck: Deck, typed: str, position: int) -> None:
    for mode in (Mode.MULTIPLE_CHOICE, Mode.TYPED, Mode.FLASHCARD, Mode.REVIEW):
        session = session_of(deck, mode, position=position)
        summary = quiz.summary_embed(
            session,
            finished_at=T0 + timedelta(hours=5),
            missed=[card.front for card in deck.cards] * (MAX_QUESTIONS // len(deck.cards)),
            streak_days=10**4,
        )
        note = f"Only {len(deck.cards)} cards match topic `{deck.topics[0] if deck.topics else ''}`"
        screen_fits(quiz.question_screen(session, note=note))
        screen_fits(quiz.resume_screen(session))
        screen_fits(quiz.review_first_screen(session, 10**4))
        screen_fits(quiz.confirm_replace_screen(session, session))
        assert_fits(embed=summary)
        if mode in ("flashcard", "review"):
            screen_fits(quiz.revealed_flashcard_screen(session))
        if mode == "typed":
            grade = GradeResult(Verdict.UNSURE, 50.0, None, tuple(typed.split()) * 50)
            screen_fits(quiz.unsure_screen(session, typed, grade))
        for last in (False, True):
            for correct in (False, True):
                screen = quiz.answered_screen(
                    session,
                    correct=correct,
                    chosen=Letter.at((session.current.correct_index + 1) % 4)
                    if mode == "multiple-choice"
                    else None,
                    grade=SelfGrade.GOOD if mode in ("flashcard", "review") else None,
                    typed=typed if mode == "typed" else None,
                    summary=summary if last else None,
                )
                body = screen_fits(screen)
                result = body["embeds"][0]
                # The member still sees their result, and the summary after the last answer.
                names = [field["name"] for field in result.get("fields", [])]
                if mode in ("multiple-choice", "typed"):
                    assert "Result" in names
                if last:
                    assert body["embeds"][1]["title"] == "Quiz complete"


def check_decks(deck: Deck) -> None:
    listed = many(deck)
    body = assert_fits(embed=deck_list_embed(listed, frozenset(d.id for d in listed[::2])))
    shown = " ".join(field["value"] for field in body["embeds"][0]["fields"])
    assert all(f"`{d.id}`" in shown for d in listed[:25])  # every listed deck keeps its id
    assert_fits(embed=deck_info_embed(deck, "3 answers, 67% right", server_deck=True))
    front = deck.cards[0].front
    skipped = tuple(Skipped(f"row {i}: {front}", f"no back {i % 50} {front}") for i in range(200))
    summary = summarize(
        filename=front,
        format="Anki package",
        deck_id=deck.id,
        title=deck.title,
        title_reason=deck.description,
        cards=len(deck.cards),
        skipped=skipped,
        topics=[(f"{front} {i}", i) for i in range(300)],
        without_topic=5,
        pictures=3,
        pictures_left_out=skipped,
        notes=[f"{deck.description} {i}" for i in range(20)],
    )
    imported = ImportResult(deck=deck, skipped=skipped, format="Anki package", summary=summary)
    embed, cut = import_embed(imported, replaced=True, shadows_shipped=True)
    assert_fits(embed=embed)
    assert cut
    choices = [deck_choice(d) for d in listed[:25]]
    data = [{"name": choice.name, "value": choice.value} for choice in choices]
    assert check_choices(data) == []
    assert len({choice.name for choice in choices}) == len(choices)  # told apart


def check_daily(deck: Deck) -> None:
    for card in deck.cards:
        question = DailyQuestion.of(build_multiple_choice(deck, card, seed=1), card.explanation)
        challenge = DailyChallenge(
            id=1,
            guild_id=2,
            local_date=date(2026, 3, 2),
            channel_id=3,
            deck_id=deck.id,
            topic=deck.topics[-1] if deck.topics else None,
            question=question,
            role_id=4,
            state=ChallengeState.REVEALED,
            attempts=1,
            message_id=5,
            created_at=T0,
            posted_at=T0,
            reveal_at=T0,
            revealed_at=T0,
            reveal_shown=True,
        )
        results = DailyResults(answered=10**6, right=10**5, first_right=(1, 2, 3))
        content, _ = daily.post_content(challenge)
        view = daily.answer_view(challenge)
        assert_fits(content=content, embed=daily.challenge_embed(challenge, answered=9), view=view)
        assert_fits(embed=daily.revealed_embed(challenge, results))
        streak = StreakState(current=10**4, best=10**4)
        for correct in (False, True):
            reply = daily.answer_reply(
                challenge, chosen=0, correct=correct, points=99, streak=streak
            )
            assert_fits(embed=reply)
        assert_fits(content=daily.already_answered(challenge, None))
        assert_fits(content=daily.closed(challenge))


def check_stats(deck: Deck) -> None:
    view = stats.StatsView(
        name="member " * 20,
        place="this server",
        totals=MemberTotals(answers=10**6, graded=10**6, correct=10**5, points=10**7),
        season=None,
        season_points=None,
        study=StreakState(current=10**4, best=10**4),
        daily=StreakState(current=10**4, best=10**4),
        deck_title=deck.title,
        topics=[TopicResult(topic, 10, 3) for topic in deck.topics],
        untouched=list(deck.topics),
        activity=[(date(2026, 3, 1) - timedelta(days=i), i) for i in range(30)][::-1],
        zone="America/Argentina/ComodRivadavia",
        recalled=10,
        reviewed=20,
        mature=10**4,
    )
    assert_fits(embed=stats.stats_embed(view))


@FAST
@given(deck=decks(), typed=texts("typed", 1000), position=st.integers(0, 7))
def test_every_reply_built_from_decks_at_the_limits_fits_discord(
    deck: Deck, typed: str, position: int
) -> None:
    async def build_all() -> None:  # views need a running event loop
        check_quiz(deck, typed, position)
        check_decks(deck)
        check_daily(deck)
        check_stats(deck)

    asyncio.run(build_all())


# -- the fitting step itself, on any embeds --------------------------------------------


@st.composite
def embeds(draw: st.DrawFn) -> discord.Embed:
    def text(limit: int) -> st.SearchStrategy[str]:
        return st.integers(0, limit * 2).map(lambda size: ("abc " * size)[:size])

    embed = discord.Embed(title=draw(text(256)) or None, description=draw(text(4096)) or None)
    for _ in range(draw(st.integers(0, 26))):
        embed.add_field(name=draw(text(256)), value=draw(text(1024)))
    if draw(st.booleans()):
        embed.set_footer(text=draw(text(2048)))
    if draw(st.booleans()):
        embed.set_author(name=draw(text(256)))
    return embed


@settings(max_examples=25, deadline=None)
@given(content=st.none() | st.text(max_size=4000), made=st.lists(embeds(), max_size=12))
def test_any_message_is_fitted_within_discords_limits(
    content: str | None, made: list[discord.Embed]
) -> None:
    assert check_message(payload(content=content, embeds=made)) == []


@settings(max_examples=25, deadline=None)
@given(made=st.lists(embeds(), min_size=1, max_size=4))
def test_a_message_within_the_limits_is_sent_as_it_is(made: list[discord.Embed]) -> None:
    body = {"embeds": [embed.to_dict() for embed in made]}
    fitted = fit_message({"embeds": made})["embeds"]
    if check_message(body) == []:
        assert [embed.to_dict() for embed in fitted] == body["embeds"]
    else:  # only what had to go went, and it says so
        assert any(ELLIPSIS in str(embed.to_dict()) for embed in fitted) or len(fitted) < len(made)


def test_long_explanations_give_way_before_the_question_and_the_verdict() -> None:
    result = discord.Embed(title="Question 4 of 4", description="**" + "Q" * 1000 + "**")
    for letter in "ABCD":
        result.add_field(name=f"{letter}.", value=letter * 1000, inline=False)
    result.add_field(name="Result", value="Not quite: the answer is **B**.", inline=False)
    result.add_field(name="Why", value="W" * 1000, inline=False)
    summary = discord.Embed(title="Quiz complete", description="Score **0** · **0/4** right (0%)")
    summary.add_field(name="To review", value="R" * 1024)
    fitted = fit_message({"embeds": [result, summary]})["embeds"]
    assert sum(len(embed) for embed in fitted) <= 6000
    shown = {field.name: field.value for field in fitted[0].fields}
    assert fitted[0].description == result.description
    assert shown["Result"] == "Not quite: the answer is **B**."
    assert shown["Why"].endswith(ELLIPSIS) and len(shown["Why"]) > 500
    assert fitted[1].title == "Quiz complete"


def test_names_are_cut_in_the_middle_and_texts_at_the_end() -> None:
    embed = discord.Embed(title="T" * 300 + " part 2", description="D" * 5000)
    embed.add_field(name="N" * 300 + " (deck-id)", value="V" * 2000)
    [fitted] = fit_message({"embeds": [embed]})["embeds"]
    assert fitted.title is not None and len(fitted.title) == 256
    assert fitted.title.startswith("TTT") and fitted.title.endswith("T… part 2"[-7:])
    assert ELLIPSIS in fitted.title
    assert fitted.fields[0].name is not None and fitted.fields[0].name.endswith("(deck-id)")
    assert fitted.description == "D" * 4095 + ELLIPSIS
    footer = discord.Embed().set_footer(text="F" * 3000 + " · score 5")
    [fitted] = fit_message({"embeds": [footer]})["embeds"]
    assert fitted.footer.text is not None and fitted.footer.text.endswith("score 5")
    assert len(fitted.footer.text) == 2048


def test_a_text_cut_twice_is_marked_once() -> None:
    embed = discord.Embed()
    for i in range(25):
        embed.add_field(name="N" * 300 + f" (deck-{i})", value="V" * 1024)
    [fitted] = fit_message({"embeds": [embed]})["embeds"]
    assert len(fitted) <= 6000
    for i, field in enumerate(fitted.fields):
        assert field.name is not None and field.name.count(ELLIPSIS) == 1
        assert field.name.endswith(f" (deck-{i})")
        assert field.value is not None and field.value.count(ELLIPSIS) == 1


def test_content_is_cut_to_2000_characters() -> None:
    assert fit_message({"content": "x" * 2500})["content"] == "x" * 1999 + ELLIPSIS
    assert fit_message({"content": None, "embed": None}) == {"content": None, "embed": None}


def test_the_timestamp_format_is_kept() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    embed = discord.Embed(title="t", timestamp=at, colour=discord.Colour.red())
    [fitted] = fit_message({"embeds": [embed]})["embeds"]
    assert fitted.timestamp == at and fitted.colour == discord.Colour.red()


# -- one way out -------------------------------------------------------------------------

SENDING = {"send", "send_message", "edit", "edit_message", "edit_original_response"}


def test_every_message_leaves_through_the_fitting_step() -> None:
    """Sending with discord.py directly would skip `fit_message`; only `replies` does."""
    root = Path(bot.__file__).parent
    direct: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "exts" / "replies.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SENDING
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "replies")
            ):
                direct.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert direct == []


def test_fitting_leaves_the_callers_embed_as_it_was() -> None:
    embed = discord.Embed(title="t" * 300, description="d")
    embed.add_field(name="", value="v" * 2000)
    before = copy.deepcopy(embed.to_dict())
    fit_message({"embeds": [embed]})
    assert embed.to_dict() == before
