"""Embeds and buttons of a quiz session. Rendering only: no database, no decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.domain.answers import Letter, Mode, SelfGrade
from bot.domain.grading import GradeResult
from bot.domain.markdown import literal
from bot.domain.quiz import QuizSession
from bot.domain.words import plural
from bot.exts.embeds import DESCRIPTION_LIMIT, FIELD_LIMIT, clip, write_question
from bot.exts.quiz._buttons import QuizButton

QUESTION_COLOUR = discord.Colour.blurple()
RIGHT_COLOUR = discord.Colour.green()
WRONG_COLOUR = discord.Colour.red()
STUDY_COLOUR = discord.Colour.gold()


def _header(session: QuizSession) -> str:
    return f"Question {session.position + 1} of {session.total}"


def _base_embed(session: QuizSession, colour: discord.Colour) -> discord.Embed:
    embed = discord.Embed(title=_header(session), colour=colour)
    topic = session.current.topic or session.topic
    footer = session.deck_id + (f" · {topic}" if topic else "")
    if session.mode.judged:
        footer += f" · score {session.points}"
    embed.set_footer(text=clip(footer, 2048))
    return embed


def _options_embed(
    embed: discord.Embed, session: QuizSession, marks: dict[int, str] | None = None
) -> None:
    write_question(embed, session.current.front, session.current.options, marks)


def _view(*buttons: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    return view


def _button(
    session: QuizSession, action: str, label: str, style: discord.ButtonStyle, *, row: int = 0
) -> QuizButton:
    return QuizButton.make(session.id, session.position, action, label=label, style=style, row=row)


def _picture(session: QuizSession, name: str | None) -> tuple[str, str] | None:
    return (session.deck_id, name) if name else None


@dataclass(frozen=True)
class Screen:
    """What one message shows: its embeds and its buttons."""

    embeds: list[discord.Embed]
    view: discord.ui.View | None
    content: str | None = None
    # The picture the first embed shows: the deck's id and the file's name in its media
    # folder (the deck finds the file).
    picture: tuple[str, str] | None = None


def question_screen(session: QuizSession, *, note: str | None = None) -> Screen:
    """The current question, waiting for an answer."""
    question = session.current
    embed = _base_embed(session, QUESTION_COLOUR)
    if session.mode is Mode.MULTIPLE_CHOICE:
        _options_embed(embed, session)
        view = _view(
            *(
                _button(session, letter.lower(), letter, discord.ButtonStyle.secondary)
                for letter in Letter
            )
        )
    elif session.mode is Mode.TYPED:
        embed.description = (
            f"**{literal(question.front)}**\n\nPress **Answer** and type what you know."
        )
        view = _view(_button(session, "type", "Answer", discord.ButtonStyle.primary))
    else:
        embed.description = f"**{literal(question.front)}**\n\nThink of the answer, then reveal it."
        view = _view(_button(session, "show", "Show answer", discord.ButtonStyle.primary))
    return Screen([embed], view, note, _picture(session, question.front_image))


def revealed_flashcard_screen(session: QuizSession) -> Screen:
    """The flashcard's back, waiting for the member's own grade."""
    question = session.current
    embed = _base_embed(session, QUESTION_COLOUR)
    embed.description = clip(
        f"**{literal(question.front)}**\n\n{literal(question.back)}", DESCRIPTION_LIMIT
    )
    if question.explanation:
        embed.add_field(
            name="Why", value=clip(literal(question.explanation), FIELD_LIMIT), inline=False
        )
    embed.add_field(name="How well did you know it?", value="Be honest: it only helps you.")
    styles = {
        SelfGrade.AGAIN: discord.ButtonStyle.danger,
        SelfGrade.HARD: discord.ButtonStyle.secondary,
        SelfGrade.GOOD: discord.ButtonStyle.primary,
        SelfGrade.EASY: discord.ButtonStyle.success,
    }
    view = _view(*(_button(session, g, g.capitalize(), styles[g]) for g in SelfGrade))
    # One picture a message: the answer's, else the question's.
    return Screen(
        [embed], view, picture=_picture(session, question.back_image or question.front_image)
    )


def unsure_screen(session: QuizSession, typed: str, result: GradeResult) -> Screen:
    """A typed answer the grader could not decide: the member judges it."""
    question = session.current
    embed = _base_embed(session, QUESTION_COLOUR)
    embed.description = clip(f"**{literal(question.front)}**", DESCRIPTION_LIMIT)
    wrote = clip(literal(typed), FIELD_LIMIT) or "(nothing)"
    embed.add_field(name="You wrote", value=wrote, inline=False)
    embed.add_field(
        name="The answer", value=clip(literal(question.back), FIELD_LIMIT), inline=False
    )
    if result.missing_terms:
        embed.add_field(
            name="Not found in yours",
            value=clip(literal(", ".join(result.missing_terms)), FIELD_LIMIT),
            inline=False,
        )
    view = _view(
        _button(session, "right", "I was right", discord.ButtonStyle.success),
        _button(session, "wrong", "I was wrong", discord.ButtonStyle.danger),
    )
    picture = _picture(session, question.front_image)
    return Screen([embed], view, "Close call: compare and judge it yourself.", picture)


def answered_screen(
    session: QuizSession,
    *,
    correct: bool,
    chosen: Letter | None = None,
    grade: SelfGrade | None = None,
    typed: str | None = None,
    summary: discord.Embed | None = None,
) -> Screen:
    """The current question after its answer, with Next or the summary after the last."""
    question = session.current
    colour = RIGHT_COLOUR if correct else WRONG_COLOUR
    if session.mode.self_graded:
        colour = STUDY_COLOUR
    embed = _base_embed(session, colour)
    if session.mode is Mode.MULTIPLE_CHOICE:
        marks = {question.correct_index: "✅ "}
        if chosen is not None and chosen.position != question.correct_index:
            marks[chosen.position] = "❌ "
        _options_embed(embed, session, marks)
        verdict = (
            "Right!" if correct else f"Not quite: the answer is **{question.correct_letter}**."
        )
        embed.add_field(name="Result", value=verdict, inline=False)
    else:
        embed.description = clip(
            f"**{literal(question.front)}**\n\n{literal(question.back)}", DESCRIPTION_LIMIT
        )
        if typed is not None:
            embed.add_field(
                name="You wrote",
                value=clip(literal(typed), FIELD_LIMIT) or "(nothing)",
                inline=False,
            )
            embed.add_field(
                name="Result", value="Right!" if correct else "Not quite.", inline=False
            )
        if grade is not None:
            embed.add_field(name="You said", value=grade.capitalize(), inline=False)
    if question.explanation:
        embed.add_field(
            name="Why", value=clip(literal(question.explanation), FIELD_LIMIT), inline=False
        )
    # The answered question keeps its picture: the answer's, else the question's.
    picture = _picture(session, question.back_image or question.front_image)
    if summary is not None:
        return Screen([embed, summary], None, picture=picture)
    return Screen([embed], next_view(session), picture=picture)


def summary_embed(
    session: QuizSession,
    *,
    finished_at: datetime,
    missed: list[str],
    streak_days: int,
) -> discord.Embed:
    answered = session.answered
    embed = discord.Embed(title="Quiz complete", colour=QUESTION_COLOUR)
    if session.mode.self_graded:
        known = session.correct
        embed.description = (
            f"You studied **{plural(answered, 'card')}** and knew **{known}** of them."
        )
    else:
        accuracy = session.correct / answered if answered else 0.0
        embed.description = (
            f"Score **{session.points}** · **{session.correct}/{answered}** right ({accuracy:.0%})"
        )
    seconds = max(0, int((finished_at - session.started_at).total_seconds()))
    embed.add_field(name="Time", value=f"{seconds // 60} min {seconds % 60} s")
    embed.add_field(name="Study streak", value=plural(streak_days, "day"))
    if missed:
        shown = [f"• {clip(literal(front), 180)}" for front in missed[:8]]
        if len(missed) > 8:
            shown.append(f"…and {len(missed) - 8} more")
        embed.add_field(name="To review", value=clip("\n".join(shown), FIELD_LIMIT), inline=False)
    embed.set_footer(text="Start another with /quiz")
    return embed


def resume_screen(session: QuizSession) -> Screen:
    """A running session shown afresh: its open question, or Next if that is answered."""
    if not session.current_answered:
        return question_screen(session)
    embed = _base_embed(session, QUESTION_COLOUR)
    embed.description = clip(
        f"**{literal(session.current.front)}**\n\nAnswered. Press **Next** to go on.",
        DESCRIPTION_LIMIT,
    )
    return Screen([embed], next_view(session))


def next_view(session: QuizSession) -> discord.ui.View:
    """Only the Next button of the session's current question."""
    return _view(_button(session, "next", "Next", discord.ButtonStyle.primary))


def review_first_screen(quiz: QuizSession, due: int) -> Screen:
    cards = plural(due, "card")
    embed = discord.Embed(
        title="Cards are due for review",
        description=(
            f"You have {cards} due in `{quiz.deck_id}`. Reviewing them now is the fastest "
            "way to keep them; the quiz can wait."
        ),
        colour=QUESTION_COLOUR,
    )
    view = _view(
        QuizButton.make(
            quiz.id,
            0,
            "review",
            label=f"Review {cards}",
            style=discord.ButtonStyle.primary,
        ),
        QuizButton.make(
            quiz.id, 0, "start", label="Quiz anyway", style=discord.ButtonStyle.secondary
        ),
    )
    return Screen([embed], view)


def confirm_replace_screen(new: QuizSession, old: QuizSession) -> Screen:
    embed = discord.Embed(
        title="You already have a quiz running",
        description=(
            f"Your `{old.deck_id}` quiz is at question {old.position + 1} of {old.total}. "
            f"Abandon it and start this `{new.deck_id}` quiz ({plural(new.total, 'question')})?"
        ),
        colour=QUESTION_COLOUR,
    )
    view = _view(
        QuizButton.make(
            new.id,
            0,
            "start",
            label="Start the new quiz",
            style=discord.ButtonStyle.danger,
        ),
        QuizButton.make(
            new.id,
            0,
            "keep",
            label="Keep the old one",
            style=discord.ButtonStyle.secondary,
        ),
    )
    return Screen([embed], view)
