"""Quiz session rules as pure functions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.answers import Letter, SelfGrade, is_correct, points_for
from bot.domain.quiz import (
    AlreadyAnsweredError,
    NotYourSessionError,
    Question,
    QuizSession,
    SessionClosedError,
    SessionStatus,
    StaleQuestionError,
    advanced,
    check_click,
    questions_from_json,
    questions_to_json,
    response_ms,
)
from tests.factories import T0, quiz_session


def _question(n: int) -> Question:
    return Question(
        card_id=f"c{n}",
        front=f"Front {n} «ü»",
        back=f"Back {n}",
        topic="T" if n % 2 else None,
        explanation=None if n % 2 else "because",
        accept=("b",) if n == 0 else (),
        options=("x", "y", f"Back {n}", "z"),
        correct_index=2,
    )


def _session(**changes: object) -> QuizSession:
    questions = tuple(_question(n) for n in range(3))
    return quiz_session(**{"questions": questions, "requested": 3, **changes})


def test_questions_survive_json() -> None:
    questions = tuple(_question(n) for n in range(3))
    assert questions_from_json(questions_to_json(questions)) == questions
    assert questions[0].correct_letter == "C"


def test_the_owner_may_answer_the_current_question() -> None:
    check_click(_session(), user_id=1, index=0, now=T0 + timedelta(seconds=5))


def test_someone_else_is_refused() -> None:
    with pytest.raises(NotYourSessionError, match="Start your own with `/quiz`"):
        check_click(_session(), user_id=2, index=0, now=T0)


def test_an_answered_question_is_refused() -> None:
    with pytest.raises(AlreadyAnsweredError):
        check_click(_session(answered=1), user_id=1, index=0, now=T0)
    with pytest.raises(AlreadyAnsweredError):
        check_click(_session(position=2, answered=2), user_id=1, index=1, now=T0)


def test_a_question_from_the_future_is_stale() -> None:
    with pytest.raises(StaleQuestionError):
        check_click(_session(), user_id=1, index=2, now=T0)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (SessionStatus.FINISHED, "This quiz is over."),
        (SessionStatus.ABANDONED, "replaced by a newer one"),
        (SessionStatus.PENDING, "has not started"),
    ],
)
def test_closed_sessions_are_refused(status: SessionStatus, reason: str) -> None:
    with pytest.raises(SessionClosedError, match=reason):
        check_click(_session(status=status), user_id=1, index=0, now=T0)


def test_a_day_without_answers_expires_the_session() -> None:
    check_click(_session(), user_id=1, index=0, now=T0 + timedelta(hours=23, minutes=59))
    with pytest.raises(SessionClosedError, match="expired after a day"):
        check_click(_session(), user_id=1, index=0, now=T0 + timedelta(hours=24))


def test_points_and_grades() -> None:
    assert points_for("multiple-choice", True) == 1
    assert points_for("typed", True) == 1
    assert points_for("multiple-choice", False) == 0
    assert points_for("flashcard", True) == 0
    assert points_for("review", True) == 0
    assert points_for("daily", True) == 3
    assert points_for("daily", False) == 0
    assert [is_correct(SelfGrade(g)) for g in ("again", "hard", "good", "easy")] == [
        False,
        True,
        True,
        True,
    ]
    with pytest.raises(ValueError):
        SelfGrade("perfect")
    assert [is_correct(letter, correct_index=2) for letter in Letter] == [
        False,
        False,
        True,
        False,
    ]
    assert is_correct(True) and not is_correct(False)


def test_response_time_and_advance() -> None:
    session = _session(answered=1)
    later = T0 + timedelta(seconds=3, milliseconds=250)
    assert response_ms(session, later) == 3250
    moved = advanced(session, later)
    assert (moved.position, moved.question_shown_at, moved.updated_at) == (1, later, later)
    assert not moved.current_answered and moved.current.card_id == "c1"
