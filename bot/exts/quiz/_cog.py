"""The Discord layer of `/quiz`: parse the interaction, apply the rules, render."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import UNKNOWN_FORM, QuizBot
from bot.domain.answers import Letter, Mode, SelfGrade, is_correct, points_for
from bot.domain.catalog import UnknownDeckError
from bot.domain.errors import DomainError
from bot.domain.grading import Verdict, grade_typed_answer
from bot.domain.markdown import code
from bot.domain.playable import UnplayableError, check_playable, needs_text_answers
from bot.domain.questions import draw_cards
from bot.domain.quiz import (
    DEFAULT_QUESTIONS,
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    AlreadyAnsweredError,
    QuizSession,
    SessionClosedError,
    SessionStatus,
    StaleQuestionError,
    build_question,
    check_click,
    check_owner,
    check_quiz_options,
    response_ms,
)
from bot.domain.streaks import days_of, study_streak
from bot.domain.timezones import local_date
from bot.domain.words import plural
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete, topic_autocomplete
from bot.exts.embeds import clip
from bot.exts.quiz import _render as render
from bot.exts.quiz._buttons import QuizButton, QuizClick
from bot.exts.quiz._sessions import (
    make_session,
    new_review,
    new_session_id,
    running_session,
    screen_picture,
    send_screen,
)
from bot.interactions import answer_errors_of
from bot.members import member_zone, remember_member
from bot.storage import NewAnswer

log = logging.getLogger(__name__)

ANSWER_INPUT_ID = "answer"
MAX_TYPED = 400
# A button's action names the answer it gives: a letter in lower case, a self-grade, or the
# member's own verdict on a typed answer the grader could not decide.
CHOICE_ACTIONS = frozenset(letter.lower() for letter in Letter)
TYPED_VERDICTS = {"right": True, "wrong": False}
MODE_ACTIONS = {
    Mode.MULTIPLE_CHOICE: CHOICE_ACTIONS,
    Mode.FLASHCARD: frozenset({"show", *SelfGrade}),
    Mode.REVIEW: frozenset({"show", *SelfGrade}),
    Mode.TYPED: frozenset({"type", *TYPED_VERDICTS}),
}
# The clicks that store an answer.
ANSWER_ACTIONS = CHOICE_ACTIONS | frozenset(SelfGrade) | frozenset(TYPED_VERDICTS)


def _answer_of(action: str) -> Letter | SelfGrade | bool:
    """The answer an answering click gives."""
    if action in TYPED_VERDICTS:
        return TYPED_VERDICTS[action]
    if action in CHOICE_ACTIONS:
        return Letter(action.upper())
    return SelfGrade(action)


class NoDeckChosenError(DomainError):
    def __init__(self, deck_ids: list[str]) -> None:
        listed = ", ".join(f"`{d}`" for d in deck_ids[:10]) or "none installed"
        super().__init__(f"Choose a deck with the `deck` option. Decks: {listed}.")


class QuizGoneError(DomainError):
    def __init__(self) -> None:
        super().__init__("This quiz no longer exists. Start a new one with `/quiz`.")


class EmptyFormError(DomainError):
    def __init__(self) -> None:
        # Discord requires the answer box, so only a modified client sends it empty.
        super().__init__("That form came without an answer. Press `Answer` to type one.")


class AnswerModal(discord.ui.Modal):
    """The typed answer box. Its submit is routed to the cog by the client's interaction
    listener, which also works for a modal opened before a restart."""

    def __init__(self, modal_id: str, front: str) -> None:
        super().__init__(title="Your answer", custom_id=modal_id, timeout=900)
        self.add_item(
            discord.ui.TextInput(
                label="Answer",
                custom_id=ANSWER_INPUT_ID,
                style=discord.TextStyle.paragraph,
                max_length=MAX_TYPED,
                placeholder=clip(front, 100),
            )
        )


def _typed_value(data: Any) -> str | None:
    """Find the answer input's value in a modal submit, whatever rows wrap it; None if
    the submit has no answer input."""
    if isinstance(data, dict):
        if data.get("custom_id") == ANSWER_INPUT_ID and "value" in data:
            return str(data["value"])
        for key in ("components", "component"):
            if key in data:
                found = _typed_value(data[key])
                if found is not None:
                    return found
    elif isinstance(data, list):
        for item in data:
            found = _typed_value(item)
            if found is not None:
                return found
    return None


class Quiz(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Registered at start (setup_hook loads extensions), so buttons sent
        # before a restart are handled by this process too.
        self.bot.add_buttons(QuizButton, self.on_click)
        self.bot.add_form(QuizButton.pattern, self.on_modal)

    async def cog_unload(self) -> None:
        self.bot.remove_buttons(QuizButton)
        self.bot.remove_form(QuizButton.pattern)

    # -- /quiz ----------------------------------------------------------------

    @app_commands.command(name="quiz", description="Start a personal quiz from a flashcard deck")
    @app_commands.describe(
        deck="The deck to draw cards from",
        mode="How to answer: pick A-D (default), grade yourself, or type it",
        questions="How many questions (1-50, default 10)",
        topic="Only cards of this topic",
    )
    @app_commands.autocomplete(deck=deck_autocomplete, topic=topic_autocomplete)
    async def quiz(
        self,
        interaction: discord.Interaction[QuizBot],
        deck: str | None = None,
        mode: Literal["multiple-choice", "flashcard", "typed"] | None = None,
        questions: app_commands.Range[int, MIN_QUESTIONS, MAX_QUESTIONS] = DEFAULT_QUESTIONS,
        topic: str | None = None,
    ) -> None:
        check_quiz_options(mode, questions)
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        if deck is None:
            chosen = catalog.default()
            if chosen is None:
                raise NoDeckChosenError([d.id for d in catalog.all()])
        else:
            chosen = catalog.get(deck)
        topic_name = catalog.topic_of(chosen, topic)
        now = self.bot.clock()
        session_id = new_session_id()
        quiz_mode = Mode(mode or Mode.MULTIPLE_CHOICE)
        try:
            check_playable(chosen, quiz_mode, topic=topic_name)
        except UnplayableError as error:
            raise error.suggesting("Try `mode:flashcard` or `mode:typed`.") from None
        cards = draw_cards(
            chosen,
            count=questions,
            topic=topic_name,
            seed=session_id,
            text_answers=needs_text_answers(quiz_mode),
        )
        built = tuple(
            build_question(chosen, card, mode=quiz_mode, seed=session_id) for card in cards
        )
        await remember_member(self.bot.db, interaction, now)
        active = await running_session(self.bot, interaction.user.id, now)
        # Without a chosen mode, due reviews come first: offer them before quizzing.
        due = 0
        if mode is None:
            states = await self.bot.db.reviews.states(interaction.user.id, chosen.id)
            due = sum(1 for state in states if state.due <= now)
        wait = active is not None or due > 0
        session = make_session(
            interaction,
            session_id=session_id,
            deck=chosen,
            topic=topic_name,
            mode=quiz_mode,
            questions=built,
            requested=questions,
            now=now,
            status=SessionStatus.PENDING if wait else SessionStatus.ACTIVE,
        )
        await self.bot.db.sessions.create(session, replace_active=False)
        if due > 0:
            await send_screen(interaction, render.review_first_screen(session, due))
            return
        if active is not None:
            await send_screen(interaction, render.confirm_replace_screen(session, active))
            return
        note = None
        if len(built) < questions:
            where = f"topic {code(topic_name)}" if topic_name else f"deck `{chosen.id}`"
            matching = plural(len(built), "card matches", "cards match")
            note = f"Only {matching} {where}, so this quiz has {plural(len(built), 'question')}."
        await send_screen(interaction, render.question_screen(session, note=note))

    async def _show(self, interaction: discord.Interaction[QuizBot], screen: render.Screen) -> None:
        """Replace the message the member clicked on with the new screen."""
        await replies.update(
            interaction,
            content=screen.content,
            embeds=screen.embeds,
            view=screen.view,
            picture=await screen_picture(interaction, screen),
        )

    # -- buttons and modals -----------------------------------------------------

    async def on_click(self, interaction: discord.Interaction[QuizBot], click: QuizClick) -> None:
        session_id, index, action = click
        await self._counted_once(
            interaction,
            session_id,
            index,
            partial(self._component, interaction, session_id, index, action),
        )

    async def on_modal(
        self, interaction: discord.Interaction[QuizBot], match: re.Match[str]
    ) -> None:
        """A typed answer's submit, routed here by the client (also after a restart)."""
        session_id, index, action = QuizButton.parse(match)
        if action != "modal":  # a button's id sent as a form's
            await replies.reply(interaction, UNKNOWN_FORM, ephemeral=True)
            return
        await answer_errors_of(
            interaction,
            "quiz answer modal",
            self._counted_once(
                interaction,
                session_id,
                index,
                partial(self._typed_submit, interaction, session_id, index),
            ),
        )

    async def _load(self, session_id: str) -> QuizSession:
        session = await self.bot.db.sessions.get(session_id)
        if session is None:
            raise QuizGoneError()
        return session

    async def _component(
        self, interaction: discord.Interaction[QuizBot], session_id: str, index: int, action: str
    ) -> None:
        now = self.bot.clock()
        if action in ANSWER_ACTIONS:
            # The hot path: the session is read inside the answer's own transaction.
            typed = None
            if action in TYPED_VERDICTS:  # the member's verdict on what they typed
                typed = await self.bot.db.sessions.typed(session_id, index)
            await self._record(interaction, session_id, index, now, action=action, typed=typed)
            return
        session = await self._load(session_id)
        if action in ("start", "keep", "review"):
            await self._replace_choice(interaction, session, action, now)
            return
        if action == "next":
            await self._next(interaction, session, index, now)
            return
        await self._check_click(session, user_id=interaction.user.id, index=index, now=now)
        if action not in MODE_ACTIONS[session.mode]:
            raise StaleQuestionError()  # a hand-made custom_id; nothing to do
        if action == "show":
            await self._show(interaction, render.revealed_flashcard_screen(session))
        elif action == "type":
            await interaction.response.send_modal(
                AnswerModal(
                    QuizButton.id_for(session.id, session.position, "modal"), session.current.front
                )
            )
        else:
            raise StaleQuestionError()

    async def _check_click(
        self, session: QuizSession, *, user_id: int, index: int, now: datetime
    ) -> None:
        try:
            check_click(session, user_id=user_id, index=index, now=now)
        except SessionClosedError as closed:
            await self._expire(session.id, closed, now)
            raise

    async def _expire(self, session_id: str, closed: SessionClosedError, now: datetime) -> None:
        """A click found the quiz out of time: mark it so (if it was still active)."""
        if closed.status is SessionStatus.EXPIRED:
            await self.bot.db.sessions.set_status(
                session_id, SessionStatus.EXPIRED, now, only_from=SessionStatus.ACTIVE
            )

    async def _typed_submit(
        self, interaction: discord.Interaction[QuizBot], session_id: str, index: int
    ) -> None:
        session = await self._load(session_id)
        now = self.bot.clock()
        await self._check_click(session, user_id=interaction.user.id, index=index, now=now)
        data: dict[str, Any] = dict(interaction.data or {})
        typed = _typed_value(data.get("components", []))
        if not typed:
            raise EmptyFormError()
        typed = typed[:MAX_TYPED]
        question = session.current
        result = grade_typed_answer(typed, question.back, question.accept)
        if result.verdict is Verdict.UNSURE:
            await self.bot.db.sessions.keep_typed(session_id, index, typed)
            await self._show(interaction, render.unsure_screen(session, typed, result))
            return
        verdict = "right" if result.verdict is Verdict.CORRECT else "wrong"
        await self._record(interaction, session_id, index, now, action=verdict, typed=typed)

    async def _record(
        self,
        interaction: discord.Interaction[QuizBot],
        session_id: str,
        index: int,
        now: datetime,
        *,
        action: str,
        typed: str | None = None,
    ) -> None:
        """Store the answer once and show the result; a lost race gets a polite note."""
        user_id = interaction.user.id
        given = _answer_of(action)

        def answer_for(session: QuizSession) -> NewAnswer:
            # Runs inside the answer's write, holding the write lock: pure checks, no awaits.
            check_click(session, user_id=user_id, index=index, now=now)
            if action not in MODE_ACTIONS[session.mode]:
                raise StaleQuestionError()  # a hand-made custom_id; nothing to do
            correct = is_correct(given, correct_index=session.current.correct_index)
            return NewAnswer(
                user_id=session.user_id,
                guild_id=session.guild_id,
                deck_id=session.deck_id,
                card_id=session.current.card_id,
                mode=session.mode,
                correct=correct,
                grade=given if isinstance(given, SelfGrade) else None,
                points=points_for(session.mode, correct),
                answered_at=now,
                response_ms=response_ms(session, now),
                session_id=session.id,
                question_index=session.position,
            )

        try:
            recorded = await replies.in_time(
                interaction,
                self.bot.db.sessions.answer(session_id, answer_for),
                edits_message=True,
            )
        except SessionClosedError as closed:
            await self._expire(session_id, closed, now)
            raise
        if recorded is None:
            raise QuizGoneError()
        updated, answer = recorded.after, recorded.answer
        summary = None
        if updated.status is SessionStatus.FINISHED:
            summary = await self._summary(updated, now)
        await self._show(
            interaction,
            render.answered_screen(
                updated,
                correct=answer.correct,
                chosen=given if isinstance(given, Letter) else None,
                grade=answer.grade,
                typed=typed,
                summary=summary,
            ),
        )

    async def _counted_once(
        self,
        interaction: discord.Interaction[QuizBot],
        session_id: str,
        index: int,
        handler: Callable[[], Awaitable[None]],
    ) -> None:
        """Run a button's or form's handler; a click on an answered question is told, privately,
        that its answer was counted once.

        While the quiz still waits at that question, the note carries its Next button. A
        double click does not need it, but when an answer's reply was lost (a crash between
        its commit and the reply, or Discord refusing the reply) the member's message still
        shows the question, and this is their way on.
        """
        try:
            await handler()
        except AlreadyAnsweredError as already:
            await self._already_answered(interaction, session_id, index, already)

    async def _already_answered(
        self,
        interaction: discord.Interaction[QuizBot],
        session_id: str,
        index: int,
        already: AlreadyAnsweredError,
    ) -> None:
        session = await self.bot.db.sessions.get(session_id)
        view = discord.utils.MISSING
        if (
            session is not None
            and session.status is SessionStatus.ACTIVE
            and session.position == index
            and session.current_answered
        ):
            view = render.next_view(session)  # the quiz waits at this question
        await replies.reply(interaction, str(already), view=view, ephemeral=True)

    async def _summary(self, session: QuizSession, now: datetime) -> discord.Embed:
        answers = await self.bot.db.answers.of_session(session.id)
        wrong = {a.question_index for a in answers if not a.correct}
        missed = [q.front for i, q in enumerate(session.questions) if i in wrong]
        zone = await member_zone(self.bot.db, session.user_id, session.guild_id)
        days = days_of(await self.bot.db.stats.quarters(session.user_id, None), zone)
        streak = study_streak(days, local_date(now, zone))
        return render.summary_embed(
            session, finished_at=now, missed=missed, streak_days=streak.current
        )

    async def _next(
        self,
        interaction: discord.Interaction[QuizBot],
        session: QuizSession,
        index: int,
        now: datetime,
    ) -> None:
        check_owner(session, user_id=interaction.user.id)
        if session.status is not SessionStatus.ACTIVE:
            raise SessionClosedError(session.status)
        moved = await self.bot.db.sessions.advance(session.id, index, now)
        if moved is None:
            # A second click on Next, or Next on an old message: show where the quiz is.
            current = await self._load(session.id)
            if current.current_answered:
                raise AlreadyAnsweredError()
            await self._show(interaction, render.question_screen(current))
            return
        await self._show(interaction, render.question_screen(moved))

    async def _replace_choice(
        self,
        interaction: discord.Interaction[QuizBot],
        pending: QuizSession,
        action: str,
        now: datetime,
    ) -> None:
        check_owner(pending, user_id=interaction.user.id)
        if action == "review":
            if pending.status is not SessionStatus.PENDING:
                raise SessionClosedError(pending.status)
            review, _ = await new_review(self.bot, interaction, pending.deck_id, replace=True)
            if review is not None:
                await self.bot.db.sessions.set_status(
                    pending.id, SessionStatus.ABANDONED, now, only_from=SessionStatus.PENDING
                )
                await self._show(interaction, render.question_screen(review))
                return
            action = "start"  # reviewed meanwhile: nothing is due, so quiz after all
        if action == "start":
            started = await self.bot.db.sessions.activate(pending.id, now)
            if started is None:
                raise SessionClosedError(pending.status)
            await self._show(interaction, render.question_screen(started))
            return
        await self.bot.db.sessions.set_status(
            pending.id, SessionStatus.ABANDONED, now, only_from=SessionStatus.PENDING
        )
        active = await self.bot.db.sessions.active(interaction.user.id)
        if active is None or active.status is not SessionStatus.ACTIVE:
            await self._show(
                interaction,
                render.Screen(
                    [], None, "Your old quiz has ended meanwhile. Start a new one with `/quiz`."
                ),
            )
            return
        # Bring the running quiz here, so the member need not scroll for it.
        await self._show(interaction, render.resume_screen(active))


__all__ = ["Quiz", "UnknownDeckError"]
