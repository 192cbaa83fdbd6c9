"""Personal quiz sessions: what a question is, who may answer it, and when.

A session is plain data so it can be stored and rebuilt after a restart; the
rules here decide whether a click counts, and the storage layer makes sure it
counts at most once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.answers import QUIZ_MODES, Letter, Mode
from bot.domain.decks import Card, Deck
from bot.domain.errors import DomainError
from bot.domain.questions import build_multiple_choice

MIN_QUESTIONS = 1
MAX_QUESTIONS = 50
DEFAULT_QUESTIONS = 10
# A session nobody touched for a day is closed: its buttons then say so politely.
SESSION_TTL = timedelta(hours=24)


class SessionStatus(StrEnum):
    PENDING = "pending"  # waiting for the member to confirm abandoning another one
    ACTIVE = "active"
    FINISHED = "finished"
    ABANDONED = "abandoned"
    EXPIRED = "expired"


class QuizError(DomainError):
    """A click or command that cannot be honoured; the message is for the member."""


class NotYourSessionError(QuizError):
    def __init__(self) -> None:
        super().__init__("This quiz belongs to someone else. Start your own with `/quiz`.")


class AlreadyAnsweredError(QuizError):
    def __init__(self) -> None:
        super().__init__("You already answered this question; it was counted once.")


class SessionClosedError(QuizError):
    def __init__(self, status: SessionStatus) -> None:
        self.status = status
        reason = {
            SessionStatus.FINISHED: "This quiz is over.",
            SessionStatus.ABANDONED: "This quiz was replaced by a newer one.",
            SessionStatus.EXPIRED: "This quiz expired after a day without answers.",
            SessionStatus.PENDING: "This quiz has not started.",
        }.get(status, "This quiz is closed.")
        super().__init__(f"{reason} Start a new one with `/quiz`.")


class StaleQuestionError(QuizError):
    def __init__(self) -> None:
        super().__init__("That question is no longer the current one; use the latest message.")


@dataclass(frozen=True)
class Question:
    """One question of a session, stored whole so a changed deck cannot break it."""

    card_id: str
    front: str
    back: str
    topic: str | None
    explanation: str | None
    accept: tuple[str, ...]
    options: tuple[str, ...]  # four for multiple choice, empty otherwise
    correct_index: int  # -1 when there are no options
    # The card's pictures, by their file names in the deck's media folder.
    front_image: str | None = None
    back_image: str | None = None

    @property
    def correct_letter(self) -> Letter | None:
        return Letter.at(self.correct_index) if self.options else None

    def to_json(self) -> dict[str, object]:
        return {
            "card_id": self.card_id,
            "front": self.front,
            "back": self.back,
            "topic": self.topic,
            "explanation": self.explanation,
            "accept": list(self.accept),
            "options": list(self.options),
            "correct_index": self.correct_index,
            **({"front_image": self.front_image} if self.front_image else {}),
            **({"back_image": self.back_image} if self.back_image else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Question:
        accept = data.get("accept") or []
        options = data.get("options") or []
        assert isinstance(accept, list) and isinstance(options, list)
        topic = data.get("topic")
        explanation = data.get("explanation")
        front_image = data.get("front_image")
        back_image = data.get("back_image")
        return cls(
            card_id=str(data["card_id"]),
            front=str(data["front"]),
            back=str(data["back"]),
            topic=None if topic is None else str(topic),
            explanation=None if explanation is None else str(explanation),
            accept=tuple(str(a) for a in accept),
            options=tuple(str(o) for o in options),
            correct_index=int(str(data["correct_index"])),
            front_image=front_image if isinstance(front_image, str) else None,
            back_image=back_image if isinstance(back_image, str) else None,
        )


def questions_to_json(questions: tuple[Question, ...]) -> str:
    return json.dumps([q.to_json() for q in questions], ensure_ascii=False)


def questions_from_json(text: str) -> tuple[Question, ...]:
    """A session's frozen questions, as `questions_to_json` wrote them."""
    data = json.loads(text)
    assert isinstance(data, list)
    return tuple(Question.from_json(item) for item in data)


def build_question(deck: Deck, card: Card, *, mode: Mode, seed: str) -> Question:
    """Freeze one card into a question; multiple choice gets its four options."""
    options: tuple[str, ...] = ()
    correct_index = -1
    if mode == Mode.MULTIPLE_CHOICE:
        mc = build_multiple_choice(deck, card, seed=seed)
        options = tuple(mc.options)
        correct_index = mc.correct_index
    return Question(
        card_id=card.id,
        front=card.front,
        back=card.back,
        topic=card.topic,
        explanation=card.explanation,
        accept=card.accept,
        options=options,
        correct_index=correct_index,
        front_image=card.front_image,
        back_image=card.back_image,
    )


@dataclass(frozen=True)
class QuizSession:
    id: str
    user_id: int
    guild_id: int | None
    channel_id: int | None
    deck_id: str
    topic: str | None
    mode: Mode
    questions: tuple[Question, ...]
    requested: int
    position: int  # index of the current question
    answered: int  # how many questions have an answer; position or position + 1
    correct: int
    points: int
    status: SessionStatus
    started_at: datetime
    updated_at: datetime
    question_shown_at: datetime

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def current(self) -> Question:
        return self.questions[self.position]

    @property
    def current_answered(self) -> bool:
        return self.answered > self.position

    def expired_at(self, now: datetime) -> bool:
        return now - self.updated_at >= SESSION_TTL


class InvalidQuizOptionsError(QuizError):
    pass


def check_quiz_options(mode: str | None, questions: int) -> None:
    """Discord checks options against the command's schema; this holds when it did not."""
    if mode is not None and mode not in QUIZ_MODES:
        raise InvalidQuizOptionsError(f"`mode` must be one of {', '.join(QUIZ_MODES)}.")
    if not MIN_QUESTIONS <= questions <= MAX_QUESTIONS:
        raise InvalidQuizOptionsError(
            f"`questions` must be between {MIN_QUESTIONS} and {MAX_QUESTIONS}."
        )


def check_click(session: QuizSession, *, user_id: int, index: int, now: datetime) -> None:
    """Raise the reason a click on question `index` must not count, if any."""
    if user_id != session.user_id:
        raise NotYourSessionError()
    if session.status is not SessionStatus.ACTIVE:
        raise SessionClosedError(session.status)
    if session.expired_at(now):
        raise SessionClosedError(SessionStatus.EXPIRED)
    if index < session.position or (index == session.position and session.current_answered):
        raise AlreadyAnsweredError()
    if index > session.position:
        raise StaleQuestionError()


def check_owner(session: QuizSession, *, user_id: int) -> None:
    if user_id != session.user_id:
        raise NotYourSessionError()


def response_ms(session: QuizSession, now: datetime) -> int:
    return max(0, int((now - session.question_shown_at).total_seconds() * 1000))


def advanced(session: QuizSession, now: datetime) -> QuizSession:
    """The session moved on to its next question (only after the current one is answered)."""
    return replace(session, position=session.position + 1, question_shown_at=now, updated_at=now)
