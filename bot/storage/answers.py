"""Answers: storing one (with its spaced-repetition review) and reading a session's."""

from __future__ import annotations

from bot.storage.base import Conn, Repository, fetchone
from bot.storage.models import ANSWER_COLUMNS, Answer, NewAnswer, answer_from_row, to_ms
from bot.storage.reviews import remember


class Answers(Repository):
    """Every answer of every mode: the rows points, boards and reviews come from."""

    async def record(self, answer: NewAnswer) -> Answer | None:
        """Store an answer once; None when that question was already answered.

        The uniqueness of (session, question) and (challenge, user) is enforced
        by the schema, so racing clicks cannot both land. The card's memory moves in
        the same transaction (spaced repetition, see `remember` in reviews.py).
        """

        async with self.write() as conn:
            answer_id = await insert_answer(conn, answer)
            if answer_id is None:
                return None
            stored = answer.stored_as(answer_id)
            await remember(conn, stored)
            return stored

    async def of_session(self, session_id: str) -> list[Answer]:
        rows = await self._fetchall(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE session_id = ? ORDER BY question_index",
            (session_id,),
        )
        return [answer_from_row(row) for row in rows]


async def insert_answer(conn: Conn, answer: NewAnswer) -> int | None:
    """INSERT one answer (inside a write); its id, or None on a duplicate."""
    row = await fetchone(
        conn,
        "INSERT INTO answers (user_id, guild_id, deck_id, card_id, mode, correct, grade, "
        "points, answered_at, response_ms, session_id, question_index, challenge_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (
            answer.user_id,
            answer.guild_id,
            answer.deck_id,
            answer.card_id,
            answer.mode,
            int(answer.correct),
            answer.grade,
            answer.points,
            to_ms(answer.answered_at),
            answer.response_ms,
            answer.session_id,
            answer.question_index,
            answer.challenge_id,
        ),
    )
    return None if row is None else int(row[0])
