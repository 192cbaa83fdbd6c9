"""Quiz sessions in the database: exactly-once answers, advancing, replacing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.quiz import (
    AlreadyAnsweredError,
    NotYourSessionError,
    Question,
    QuizSession,
    SessionStatus,
    check_click,
)
from bot.storage import Database, NewAnswer, SessionAnswer
from tests.engines import INTEGRITY_ERRORS, rows, target_of, url_of
from tests.factories import T0, quiz_session

pytestmark = pytest.mark.engines


@pytest.fixture
async def db(bot_database: Path | str) -> AsyncIterator[Database]:
    database = await Database.connect(url_of(bot_database))
    await database.members.upsert_user(1, "alice", T0)
    await database.members.upsert_guild(10, "Study Hall", T0)
    yield database
    await database.close()


def _session(session_id: str = "sess000001", **changes: object) -> QuizSession:
    questions = tuple(
        Question(f"c{n}", f"F{n}", f"B{n}", None, None, (), ("w", "x", f"B{n}", "y"), 2)
        for n in range(2)
    )
    return quiz_session(**{"id": session_id, "questions": questions, "requested": 2, **changes})


def _answer(session: QuizSession, index: int, correct: bool, at: datetime) -> NewAnswer:
    return NewAnswer(
        user_id=session.user_id,
        guild_id=session.guild_id,
        deck_id=session.deck_id,
        card_id=session.questions[index].card_id,
        mode=session.mode,
        correct=correct,
        points=int(correct),
        answered_at=at,
        response_ms=1000,
        session_id=session.id,
        question_index=index,
    )


async def test_a_session_round_trips(db: Database) -> None:
    session = _session()
    await db.sessions.create(session, replace_active=False)
    assert await db.sessions.get(session.id) == session
    assert await db.sessions.active(1) == session
    assert await db.sessions.get("nope") is None


async def test_a_session_reads_back_on_a_new_connection(db: Database) -> None:
    """After a restart no questions are in memory: they come from their own table."""
    session = _session()
    await db.sessions.create(session, replace_active=False)
    async with await Database.connect(db.url) as fresh:
        assert await fresh.sessions.get(session.id) == session
        assert await fresh.sessions.active(1) == session
        answered = await fresh.sessions.answer(session.id, _answering(True))
    assert answered is not None
    assert answered.after == replace(session, answered=1, correct=1, points=1)


async def test_one_active_session_per_member(db: Database) -> None:
    await db.sessions.create(_session("sess000001"), replace_active=False)
    with pytest.raises(INTEGRITY_ERRORS):
        await db.sessions.create(_session("sess000002"), replace_active=False)
    await db.sessions.create(_session("sess000003"), replace_active=True)
    old = await db.sessions.get("sess000001")
    assert old is not None and old.status is SessionStatus.ABANDONED
    active = await db.sessions.active(1)
    assert active is not None and active.id == "sess000003"


def _answering(correct: bool, *, index: int | None = None) -> Callable[[QuizSession], NewAnswer]:
    """An `answer_for` that answers the current question (or `index`) without checks."""

    def answer_for(session: QuizSession) -> NewAnswer:
        return _answer(session, session.position if index is None else index, correct, T0)

    return answer_for


async def test_answers_count_once_and_finish_the_session(db: Database) -> None:
    session = await db.sessions.create(_session(), replace_active=False)
    recorded = await db.sessions.answer(session.id, _answering(True))
    assert recorded is not None
    first, stored = recorded.after, recorded.answer
    assert recorded.before == session
    assert (first.answered, first.correct, first.points) == (1, 1, 1)
    assert (stored.question_index, stored.correct, stored.session_id) == (0, True, session.id)
    # The session's own guard refuses a second answer, even from a caller that checks nothing.
    with pytest.raises(AlreadyAnsweredError):
        await db.sessions.answer(session.id, _answering(False))
    moved = await db.sessions.advance(session.id, 0, T0 + timedelta(seconds=5))
    assert moved is not None and moved.position == 1
    assert moved.question_shown_at == T0 + timedelta(seconds=5)
    assert await db.sessions.advance(session.id, 0, T0) is None  # a second Next
    recorded = await db.sessions.answer(session.id, _answering(False))
    assert recorded is not None
    last = recorded.after
    assert last.status is SessionStatus.FINISHED
    assert (last.answered, last.correct, last.points) == (2, 1, 1)
    answers = await db.answers.of_session(session.id)
    assert [(a.question_index, a.correct) for a in answers] == [(0, True), (1, False)]
    # Each answer moved the member's memory of its card, in the answer's transaction.
    logged = rows(target_of(db), "SELECT answer_id, grade FROM review_log ORDER BY id")
    assert logged == [(answers[0].id, 3), (answers[1].id, 1)]


async def test_racing_answers_store_one_and_score_once(db: Database) -> None:
    session = await db.sessions.create(_session(), replace_active=False)
    results = await asyncio.gather(
        *(db.sessions.answer(session.id, _answering(n % 2 == 0)) for n in range(10)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, SessionAnswer) for r in results) == 1
    assert sum(isinstance(r, AlreadyAnsweredError) for r in results) == 9
    stored = await db.sessions.get(session.id)
    assert stored is not None and stored.answered == 1 and stored.points == 1
    assert len(await db.answers.of_session(session.id)) == 1


async def test_racing_answers_from_two_processes_store_one_and_score_once(db: Database) -> None:
    """Two bot processes on one database (clusters) get the same click: one answer."""
    session = await db.sessions.create(_session(), replace_active=False)
    async with await Database.connect(db.url) as other:
        results = await asyncio.gather(
            *(
                (db if n % 2 else other).sessions.answer(session.id, _answering(True))
                for n in range(10)
            ),
            return_exceptions=True,
        )
    assert sum(isinstance(r, SessionAnswer) for r in results) == 1
    assert sum(isinstance(r, AlreadyAnsweredError) for r in results) == 9
    stored = await db.sessions.get(session.id)
    assert stored is not None and stored.answered == 1 and stored.points == 1
    assert len(await db.answers.of_session(session.id)) == 1


async def test_a_refused_click_writes_nothing(db: Database) -> None:
    session = await db.sessions.create(_session(), replace_active=False)

    def not_yours(found: QuizSession) -> NewAnswer:
        check_click(found, user_id=found.user_id + 1, index=0, now=T0)
        raise AssertionError("check_click let another member's click through")

    with pytest.raises(NotYourSessionError):
        await db.sessions.answer(session.id, not_yours)
    with pytest.raises(ValueError, match="another question"):
        await db.sessions.answer(session.id, _answering(True, index=1))
    assert await db.answers.of_session(session.id) == []
    assert await db.sessions.get(session.id) == session
    assert await db.sessions.answer("nosuchsess", _answering(True)) is None


async def test_a_pending_session_replaces_the_active_one_when_confirmed(db: Database) -> None:
    await db.sessions.create(_session("sess000001"), replace_active=False)
    pending = _session("sess000002", status=SessionStatus.PENDING)
    await db.sessions.create(pending, replace_active=False)
    later = T0 + timedelta(minutes=3)
    started = await db.sessions.activate("sess000002", later)
    assert started is not None and started.status is SessionStatus.ACTIVE
    assert started.question_shown_at == later
    old = await db.sessions.get("sess000001")
    assert old is not None and old.status is SessionStatus.ABANDONED
    assert await db.sessions.activate("sess000002", later) is None  # already started


async def test_status_changes_only_from_the_expected_state(db: Database) -> None:
    await db.sessions.create(_session(), replace_active=False)
    assert await db.sessions.set_status(
        "sess000001", SessionStatus.EXPIRED, T0, only_from=SessionStatus.ACTIVE
    )
    assert not await db.sessions.set_status(
        "sess000001", SessionStatus.ABANDONED, T0, only_from=SessionStatus.ACTIVE
    )


async def test_study_instants_keep_the_local_day(db: Database) -> None:
    late = datetime(2026, 5, 1, 23, 59, 59, tzinfo=UTC)
    for n, at in enumerate([T0, T0 + timedelta(minutes=1), late]):
        await db.answers.record(
            NewAnswer(1, None, "d", "c", "flashcard", True, at, session_id="s", question_index=n)
        )
    instants = await db.stats.quarters(1, None)
    assert sorted(instants) == [T0, datetime(2026, 5, 1, 23, 45, tzinfo=UTC)]


async def test_a_typed_answer_is_kept_per_question_and_forgotten_with_its_member(
    db: Database,
) -> None:
    session = await db.sessions.create(_session(), replace_active=False)
    assert await db.sessions.typed(session.id, 0) is None
    await db.sessions.keep_typed(session.id, 0, "*first* try")
    await db.sessions.keep_typed(session.id, 0, "*second* try")  # the box opened again
    assert await db.sessions.typed(session.id, 0) == "*second* try"
    assert await db.sessions.typed(session.id, 1) is None
    await db.members.forget(session.user_id)
    assert await db.sessions.typed(session.id, 0) is None
