"""Builders of domain objects for tests: one valid default, changed per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.answers import Mode
from bot.domain.quiz import QuizSession, SessionStatus

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def quiz_session(**changes: object) -> QuizSession:
    """An active multiple-choice session of user 1 in guild 10, started at T0."""
    session = QuizSession(
        id="abc123def456",
        user_id=1,
        guild_id=10,
        channel_id=20,
        deck_id="d",
        topic=None,
        mode=Mode.MULTIPLE_CHOICE,
        questions=(),
        requested=1,
        position=0,
        answered=0,
        correct=0,
        points=0,
        status=SessionStatus.ACTIVE,
        started_at=T0,
        updated_at=T0,
        question_shown_at=T0,
    )
    return replace(session, **changes)  # type: ignore[arg-type]
