"""Quiz sessions: a member's run through a deck, one question at a time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.answers import Mode
from bot.domain.quiz import (
    AlreadyAnsweredError,
    Question,
    QuizSession,
    SessionStatus,
    questions_from_json,
    questions_to_json,
)
from bot.storage.answers import insert_answer
from bot.storage.base import Conn, Connection, Repository, fetchall, fetchone
from bot.storage.models import Answer, NewAnswer, from_ms, to_ms
from bot.storage.reviews import remember

# Sessions whose decoded questions are kept in memory (a few KB each).
SESSIONS_CACHED = 2_048


@dataclass(frozen=True)
class SessionAnswer:
    """A question answered: the session as the click found it, as it is now, the answer."""

    before: QuizSession
    after: QuizSession
    answer: Answer


class Sessions(Repository):
    """Quiz sessions; the questions of recent ones are kept decoded in memory."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._questions = _SessionQuestions(SESSIONS_CACHED)

    async def create(self, session: QuizSession, *, replace_active: bool) -> QuizSession:
        """Store a new session; an active one may first abandon the member's current one."""
        questions = questions_to_json(session.questions)

        async with self.write() as conn:
            if replace_active and session.status is SessionStatus.ACTIVE:
                await conn.execute(
                    "UPDATE quiz_sessions SET status = 'abandoned', updated_at = ? "
                    "WHERE user_id = ? AND status = 'active'",
                    (to_ms(session.started_at), session.user_id),
                )
            await conn.execute(
                f"INSERT INTO quiz_sessions ({_SESSION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.user_id,
                    session.guild_id,
                    session.channel_id,
                    session.deck_id,
                    session.topic,
                    session.mode,
                    session.requested,
                    session.position,
                    session.answered,
                    session.correct,
                    session.points,
                    session.status.value,
                    to_ms(session.started_at),
                    to_ms(session.updated_at),
                    to_ms(session.question_shown_at),
                ),
            )
            await conn.execute(
                "INSERT INTO quiz_session_questions (session_id, questions) VALUES (?, ?)",
                (session.id, questions),
            )
        self._questions.put(session.id, session.questions)
        return session

    async def get(self, session_id: str) -> QuizSession | None:
        async with self.read() as conn:
            return await self._read(conn, "id = ?", (session_id,))

    async def active(self, user_id: int) -> QuizSession | None:
        async with self.read() as conn:
            return await self._read(conn, "user_id = ? AND status = 'active'", (user_id,))

    async def _read(self, conn: Conn, where: str, params: tuple[Any, ...]) -> QuizSession | None:
        """One session; its questions come from memory once read."""
        row = await fetchone(
            conn, f"SELECT {_SESSION_COLUMNS} FROM quiz_sessions WHERE {where}", params
        )
        if row is None:
            return None
        session_id = str(row[0])
        questions = self._questions.get(session_id)
        if questions is None:
            found = await fetchone(
                conn,
                "SELECT questions FROM quiz_session_questions WHERE session_id = ?",
                (session_id,),
            )
            assert found is not None
            questions = questions_from_json(str(found[0]))
            self._questions.put(session_id, questions)
        return _session(row, questions)

    async def activate(self, session_id: str, now: datetime) -> QuizSession | None:
        """Start a pending session, abandoning the member's active one; None if not pending."""

        async with self.write() as conn:
            row = await fetchone(
                conn,
                "SELECT user_id FROM quiz_sessions WHERE id = ? AND status = 'pending'",
                (session_id,),
            )
            if row is None:
                return None
            await conn.execute(
                "UPDATE quiz_sessions SET status = 'abandoned', updated_at = ? "
                "WHERE user_id = ? AND status = 'active'",
                (to_ms(now), row[0]),
            )
            await conn.execute(
                "UPDATE quiz_sessions SET status = 'active', started_at = ?, updated_at = ?, "
                "question_shown_at = ? WHERE id = ?",
                (to_ms(now), to_ms(now), to_ms(now), session_id),
            )
        return await self.get(session_id)

    async def set_status(
        self, session_id: str, status: SessionStatus, now: datetime, *, only_from: SessionStatus
    ) -> bool:
        changed = await self._execute(
            "UPDATE quiz_sessions SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            (status.value, to_ms(now), session_id, only_from.value),
        )
        return changed == 1

    async def answer(
        self, session_id: str, answer_for: Callable[[QuizSession], NewAnswer]
    ) -> SessionAnswer | None:
        """Answer a session's current question, in one transaction.

        Reads the session, lets `answer_for` check the click against it and build the
        answer (it raises to refuse the click; it runs inside the write, so it must be
        pure and quick), then stores the answer, scores it and moves the card's memory.
        None if there is no such session. A refused click, or a question that already
        has its answer (a double click, a race, a replay after a restart), writes
        nothing.
        """

        async with self.write() as conn:
            before = await self._read(conn, "id = ?", (session_id,))
            if before is None:
                return None
            answer = answer_for(before)
            if answer.session_id != session_id or answer.question_index != before.position:
                raise ValueError("an answer to another question than the session's current one")
            finished = before.position + 1 >= before.total
            # The guard repeats what `answer_for` checked, so no caller can score twice.
            rows = await fetchall(
                conn,
                "UPDATE quiz_sessions SET answered = answered + 1, correct = correct + ?, "
                "points = points + ?, updated_at = ?, status = ? "
                "WHERE id = ? AND status = 'active' AND position = ? AND answered = ? "
                f"RETURNING {_SESSION_COLUMNS}",
                (
                    int(answer.correct),
                    answer.points,
                    to_ms(answer.answered_at),
                    "finished" if finished else "active",
                    session_id,
                    before.position,
                    before.position,
                ),
            )
            if not rows:
                raise AlreadyAnsweredError()
            answer_id = await insert_answer(conn, answer)
            if answer_id is None:
                raise AlreadyAnsweredError()  # rolls the score back: the answer row is the truth
            stored = answer.stored_as(answer_id)
            await remember(conn, stored)
            return SessionAnswer(before, _session(rows[0], before.questions), stored)

    async def advance(self, session_id: str, from_index: int, now: datetime) -> QuizSession | None:
        """Move from an answered question to the next; None if that already happened."""
        moved = await self._execute(
            "UPDATE quiz_sessions SET position = position + 1, question_shown_at = ?, "
            "updated_at = ? WHERE id = ? AND status = 'active' AND position = ? "
            "AND answered = position + 1",
            (to_ms(now), to_ms(now), session_id, from_index),
        )
        return await self.get(session_id) if moved == 1 else None

    async def keep_typed(self, session_id: str, index: int, typed: str) -> None:
        """Hold what a member typed for question `index` while they judge it themselves."""
        await self._execute(
            "INSERT INTO quiz_typed_answers (session_id, question_index, typed) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id, question_index) DO UPDATE SET typed = excluded.typed",
            (session_id, index, typed),
        )

    async def typed(self, session_id: str, index: int) -> str | None:
        """What `keep_typed` holds for the question; None if nothing."""
        row = await self._fetchone(
            "SELECT typed FROM quiz_typed_answers WHERE session_id = ? AND question_index = ?",
            (session_id, index),
        )
        return None if row is None else str(row[0])


_SESSION_COLUMNS = (
    "id, user_id, guild_id, channel_id, deck_id, topic, mode, requested, position, "
    "answered, correct, points, status, started_at, updated_at, question_shown_at"
)


def _session(row: Sequence[Any], questions: tuple[Question, ...]) -> QuizSession:
    return QuizSession(
        id=str(row[0]),
        user_id=int(row[1]),
        guild_id=None if row[2] is None else int(row[2]),
        channel_id=None if row[3] is None else int(row[3]),
        deck_id=str(row[4]),
        topic=row[5],
        mode=Mode(row[6]),
        questions=questions,
        requested=int(row[7]),
        position=int(row[8]),
        answered=int(row[9]),
        correct=int(row[10]),
        points=int(row[11]),
        status=SessionStatus(str(row[12])),
        started_at=from_ms(int(row[13])),
        updated_at=from_ms(int(row[14])),
        question_shown_at=from_ms(int(row[15])),
    )


class _SessionQuestions:
    """The questions of recent sessions, by session id.

    A session's questions never change once it is stored, so every click after the
    first reads only the session's counters. That holds across processes sharing the
    database too: the session's row (its counters, its status, whether it still exists)
    is read from the database at every click, and a session id is never used again.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[Question, ...]] = OrderedDict()

    def get(self, session_id: str) -> tuple[Question, ...] | None:
        questions = self._items.get(session_id)
        if questions is not None:
            self._items.move_to_end(session_id)
        return questions

    def put(self, session_id: str, questions: tuple[Question, ...]) -> None:
        self._items[session_id] = questions
        self._items.move_to_end(session_id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
