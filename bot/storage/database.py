"""The storage layer: every SQL statement of the bot lives in this package."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import database_path_from_url
from bot.domain.answers import Mode
from bot.domain.quiz import (
    AlreadyAnsweredError,
    Question,
    QuizSession,
    SessionStatus,
    questions_from_json,
    questions_to_json,
)
from bot.storage.base import (
    Conn,
    Connection,
    Engine,
    fetchall,
    fetchone,
    insert_answer,
    write_guild,
    write_member,
)
from bot.storage.daily import DailyQueries
from bot.storage.fleet import FleetQueries
from bot.storage.migrations import MIGRATIONS_DIR
from bot.storage.models import (
    ANSWER_COLUMNS,
    JUDGED_MODES_SQL,
    Answer,
    DeckProgress,
    Guild,
    MemberName,
    NewAnswer,
    User,
    answer_from_row,
    from_ms,
    to_ms,
)
from bot.storage.postgres import PostgresEngine
from bot.storage.progress import ProgressQueries
from bot.storage.reviews import ReviewQueries, remember
from bot.storage.rounds import RoundQueries
from bot.storage.server_decks import ServerDeckQueries
from bot.storage.sqlite import BUSY_TIMEOUT_MS, SqliteEngine
from bot.storage.stats import StatsQueries

__all__ = ["BUSY_TIMEOUT_MS", "Database", "SessionAnswer"]

# Sessions whose decoded questions are kept in memory (a few KB each).
SESSIONS_CACHED = 2_048
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class SessionAnswer:
    """A question answered: the session as the click found it, as it is now, the answer."""

    before: QuizSession
    after: QuizSession
    answer: Answer


class Database(
    StatsQueries,
    DailyQueries,
    ReviewQueries,
    ServerDeckQueries,
    ProgressQueries,
    RoundQueries,
    FleetQueries,
    Connection,
):
    """The bot's database on either engine, every query as a typed method.

    Feature queries live in mixins beside this file (stats.py, daily.py); the
    core ones (users, guilds, answers, sessions) are here.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._questions = _SessionQuestions(SESSIONS_CACHED)

    @classmethod
    async def open(
        cls, path: Path, *, migrate: bool = True, migrations_dir: Path = MIGRATIONS_DIR
    ) -> Database:
        """An SQLite file (created with its folder if needed), its schema brought up to date."""
        engine = await SqliteEngine.open(path)
        return await cls._started(engine, migrate, migrations_dir)

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        migrate: bool = True,
        migrations_dir: Path = MIGRATIONS_DIR,
        wait: float = 60.0,
        first_backoff: float = 0.5,
    ) -> Database:
        """The database `url` names: `sqlite:///file` or `postgresql://user@host/db`.

        PostgreSQL that does not answer yet is waited for, up to `wait` seconds.
        """
        if url.startswith(POSTGRES_SCHEMES):
            engine: Engine = await PostgresEngine.open(url, wait=wait, first_backoff=first_backoff)
        else:
            engine = await SqliteEngine.open(database_path_from_url(url))
        return await cls._started(engine, migrate, migrations_dir)

    @classmethod
    async def _started(cls, engine: Engine, migrate: bool, migrations_dir: Path) -> Database:
        try:
            if migrate:
                await engine.migrate(migrations_dir)
        except BaseException:
            await engine.close()
            raise
        return cls(engine)

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await self._engine.schema_version()

    # -- users and guilds -------------------------------------------------

    async def upsert_user(self, user_id: int, display_name: str, now: datetime) -> None:
        """Remember a user's current name; called whenever they interact."""
        await self.upsert_member(MemberName(user_id, display_name, None), now)

    async def upsert_member(self, member: MemberName, now: datetime) -> None:
        """Remember a member's current name and, if any, their server's."""
        async with self.write() as conn:
            await write_member(conn, member, now)

    async def get_user(self, user_id: int) -> User | None:
        row = await self._fetchone(
            "SELECT id, display_name, timezone, updated_at FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            return None
        return User(int(row[0]), str(row[1]), row[2], from_ms(int(row[3])))

    async def upsert_guild(self, guild_id: int, name: str, now: datetime) -> None:
        async with self.write() as conn:
            await write_guild(conn, guild_id, name, now)

    async def get_guild(self, guild_id: int) -> Guild | None:
        row = await self._fetchone(
            "SELECT id, name, timezone, created_at FROM guilds WHERE id = ?", (guild_id,)
        )
        if row is None:
            return None
        return Guild(int(row[0]), str(row[1]), str(row[2]), from_ms(int(row[3])))

    # -- answers ------------------------------------------------------------

    async def record_answer(self, answer: NewAnswer) -> Answer | None:
        """Store an answer once; None when that question was already answered.

        The uniqueness of (session, question) and (challenge, user) is enforced
        by the schema, so racing clicks cannot both land. The card's memory moves in
        the same transaction (spaced repetition, see ReviewQueries).
        """

        async with self.write() as conn:
            answer_id = await insert_answer(conn, answer)
            if answer_id is None:
                return None
            stored = answer.stored_as(answer_id)
            await remember(conn, stored)
            return stored

    async def answers_for_user(self, user_id: int, *, guild_id: int | None = None) -> list[Answer]:
        """A user's answers, oldest first; all servers when `guild_id` is None."""
        if guild_id is None:
            rows = await self._fetchall(
                f"SELECT {ANSWER_COLUMNS} FROM answers WHERE user_id = ? ORDER BY answered_at, id",
                (user_id,),
            )
        else:
            rows = await self._fetchall(
                f"SELECT {ANSWER_COLUMNS} FROM answers WHERE user_id = ? AND guild_id = ? "
                "ORDER BY answered_at, id",
                (user_id, guild_id),
            )
        return [answer_from_row(row) for row in rows]

    async def study_instants(self, user_id: int) -> list[datetime]:
        """Instants standing for every quarter hour in which the user answered.

        Every UTC offset in use is a multiple of 15 minutes, so a quarter-hour
        bucket never straddles a local midnight: enough to find study days in
        any zone, and far fewer rows than the answers themselves.
        """
        rows = await self._fetchall(
            "SELECT DISTINCT answered_at / 900000 FROM answers WHERE user_id = ?", (user_id,)
        )
        return [from_ms(int(row[0]) * 900_000) for row in rows]

    async def deck_progress(self, user_id: int, deck_id: str) -> DeckProgress:
        row = await self._fetchone(
            f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN correct END), 0), "
            f"COUNT(DISTINCT card_id), COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN 1 ELSE 0 END), 0) "
            "FROM answers WHERE user_id = ? AND deck_id = ?",
            (user_id, deck_id),
        )
        assert row is not None
        return DeckProgress(int(row[0]), int(row[1]), int(row[2]), judged=int(row[3]))

    # -- quiz sessions ------------------------------------------------------

    async def create_session(self, session: QuizSession, *, replace_active: bool) -> QuizSession:
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

    async def get_session(self, session_id: str) -> QuizSession | None:
        async with self.read() as conn:
            return await self._read_session(conn, "id = ?", (session_id,))

    async def active_session(self, user_id: int) -> QuizSession | None:
        async with self.read() as conn:
            return await self._read_session(conn, "user_id = ? AND status = 'active'", (user_id,))

    async def _read_session(
        self, conn: Conn, where: str, params: tuple[Any, ...]
    ) -> QuizSession | None:
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

    async def activate_session(self, session_id: str, now: datetime) -> QuizSession | None:
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
        return await self.get_session(session_id)

    async def set_session_status(
        self, session_id: str, status: SessionStatus, now: datetime, *, only_from: SessionStatus
    ) -> bool:
        changed = await self._execute(
            "UPDATE quiz_sessions SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            (status.value, to_ms(now), session_id, only_from.value),
        )
        return changed == 1

    async def answer_in_session(
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
            before = await self._read_session(conn, "id = ?", (session_id,))
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

    async def advance_session(
        self, session_id: str, from_index: int, now: datetime
    ) -> QuizSession | None:
        """Move from an answered question to the next; None if that already happened."""
        moved = await self._execute(
            "UPDATE quiz_sessions SET position = position + 1, question_shown_at = ?, "
            "updated_at = ? WHERE id = ? AND status = 'active' AND position = ? "
            "AND answered = position + 1",
            (to_ms(now), to_ms(now), session_id, from_index),
        )
        return await self.get_session(session_id) if moved == 1 else None

    async def keep_typed_answer(self, session_id: str, index: int, typed: str) -> None:
        """Hold what a member typed for question `index` while they judge it themselves."""
        await self._execute(
            "INSERT INTO quiz_typed_answers (session_id, question_index, typed) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id, question_index) DO UPDATE SET typed = excluded.typed",
            (session_id, index, typed),
        )

    async def typed_answer(self, session_id: str, index: int) -> str | None:
        """What `keep_typed_answer` holds for the question; None if nothing."""
        row = await self._fetchone(
            "SELECT typed FROM quiz_typed_answers WHERE session_id = ? AND question_index = ?",
            (session_id, index),
        )
        return None if row is None else str(row[0])

    async def session_answers(self, session_id: str) -> list[Answer]:
        rows = await self._fetchall(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE session_id = ? ORDER BY question_index",
            (session_id,),
        )
        return [answer_from_row(row) for row in rows]

    # -- the bot's own bookkeeping -----------------------------------------

    async def get_state(self, key: str) -> str | None:
        row = await self._fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        return str(row[0]) if row is not None else None

    async def set_state(self, key: str, value: str, now: datetime) -> None:
        await self._execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (key, value, to_ms(now)),
        )


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
