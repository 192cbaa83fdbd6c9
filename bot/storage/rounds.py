"""Live rounds and stored deadlines: every SQL statement of `/round` lives here.

A round's every step is one write transaction that checks the round is where the step
expects it (running, at that question, in that phase), so a step replayed after a restart
or raced by a click does nothing twice. A member's answer is stored with the bot's usual
answer row (points, leaderboards, spaced repetition) and a round row keyed by (round,
question, member); both in one transaction, so it lands once or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from bot.domain.answers import Mode
from bot.domain.quiz import Question
from bot.domain.rounds import (
    PAUSE,
    EndReason,
    Phase,
    RoundAnswerRow,
    RoundState,
    Standing,
    deadline_after_restart,
    ends_after,
    reveal_early,
    scoreboard,
    winner,
)
from bot.domain.shards import ShardScope
from bot.storage.answers import insert_answer
from bot.storage.base import Conn, Repository, fetchall, fetchone
from bot.storage.fleet import on_shards
from bot.storage.members import write_guild, write_member
from bot.storage.models import MemberName, NewAnswer, from_ms, to_ms
from bot.storage.reviews import remember

ROUND_TIMER = "round"

_ROUND_COLUMNS = (
    "id, guild_id, channel_id, started_by, deck_id, topic, mode, seconds, requested, "
    "questions, state, phase, position, message_id, shown_at, closes_at, hint_shown, "
    "unanswered, end_reason, ended_by, winner_id, started_at, ended_at"
)


@lru_cache(maxsize=256)
def _questions(text: str) -> tuple[Question, ...]:
    """A round's frozen questions (decoded once per round, not at every click)."""
    return tuple(Question.from_json(item) for item in json.loads(text))


def _ms(value: Any) -> datetime | None:
    return None if value is None else from_ms(int(value))


@dataclass(frozen=True)
class Round:
    id: int
    guild_id: int
    channel_id: int
    started_by: int
    deck_id: str
    topic: str | None
    mode: Mode
    seconds: int
    requested: int
    questions: tuple[Question, ...]
    state: RoundState
    phase: Phase
    position: int
    message_id: int | None
    shown_at: datetime | None
    closes_at: datetime | None
    hint_shown: bool
    unanswered: int
    end_reason: EndReason | None
    ended_by: int | None
    winner_id: int | None
    started_at: datetime
    ended_at: datetime | None

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def current(self) -> Question:
        return self.questions[self.position]

    @property
    def running(self) -> bool:
        return self.state is RoundState.RUNNING

    def is_at(self, phase: Phase, index: int) -> bool:
        """Running, at ``phase`` of question ``index``."""
        return self.running and self.phase is phase and self.position == index

    def is_open(self, index: int) -> bool:
        """Question ``index`` takes answers now."""
        return self.is_at(Phase.QUESTION, index)


def _round(row: Sequence[Any]) -> Round:
    return Round(
        id=int(row[0]),
        guild_id=int(row[1]),
        channel_id=int(row[2]),
        started_by=int(row[3]),
        deck_id=str(row[4]),
        topic=row[5],
        mode=Mode(row[6]),
        seconds=int(row[7]),
        requested=int(row[8]),
        questions=_questions(str(row[9])),
        state=RoundState(row[10]),
        phase=Phase(row[11]),
        position=int(row[12]),
        message_id=None if row[13] is None else int(row[13]),
        shown_at=_ms(row[14]),
        closes_at=_ms(row[15]),
        hint_shown=bool(row[16]),
        unanswered=int(row[17]),
        end_reason=None if row[18] is None else EndReason(row[18]),
        ended_by=None if row[19] is None else int(row[19]),
        winner_id=None if row[20] is None else int(row[20]),
        started_at=from_ms(int(row[21])),
        ended_at=_ms(row[22]),
    )


class _Refused(Exception):
    """Rolls back the transaction of an answer that was not stored."""


# Rounds as they started, by (database, id): their questions, channel and deck never change.
_FIXED: dict[tuple[str, int], Round] = {}
_FIXED_KEPT = 256


@dataclass(frozen=True)
class NewRound:
    id: int
    guild_id: int
    channel_id: int
    started_by: int
    deck_id: str
    topic: str | None
    mode: Mode
    seconds: int
    requested: int
    questions: tuple[Question, ...]


class RoundAnswerOutcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # this member answered this question already
    CLOSED = "closed"  # the question is not open (revealed, not yet asked, round over)
    ELSEWHERE = "elsewhere"  # the click came from another channel than the round's
    WRONG_KIND = "wrong-kind"  # a letter for a typed question, or a typed answer for letters


@dataclass(frozen=True)
class RoundAnswerResult:
    outcome: RoundAnswerOutcome
    round: Round
    choice: str | None = None  # what the member chose (the earlier choice on a duplicate)
    reveal_now: bool = False  # everyone who plays has answered: the question closes now


@dataclass(frozen=True)
class QuestionResults:
    answered: int
    right: int
    first_right: tuple[tuple[int, int], ...]  # (user id, response ms), fastest first

    @property
    def share_right(self) -> float:
        return self.right / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class Reveal:
    round: Round  # as it was while the question was open
    results: QuestionResults
    ended: EndReason | None
    standings: list[Standing] = field(default_factory=list)


async def _set_timer(conn: Conn, target: int, due: datetime | None) -> None:
    if due is None:
        await conn.execute(
            "DELETE FROM timers WHERE kind = ? AND target = ?", (ROUND_TIMER, target)
        )
        return
    # With the round's server: the process that runs its shard serves it.
    await conn.execute(
        "INSERT INTO timers (kind, target, due_at, guild_id) "
        "SELECT CAST(? AS TEXT), r.id, CAST(? AS BIGINT), r.guild_id FROM rounds r "
        "WHERE r.id = ? "
        "ON CONFLICT (kind, target) DO UPDATE SET due_at = excluded.due_at",
        (ROUND_TIMER, to_ms(due), target),
    )


async def _read_round(conn: Conn, round_id: int) -> Round | None:
    row = await fetchone(conn, f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", (round_id,))
    return None if row is None else _round(row)


async def _answer_rows(conn: Conn, round_id: int) -> list[RoundAnswerRow]:
    rows = await fetchall(
        conn,
        "SELECT user_id, question_index, correct, points, response_ms FROM round_answers "
        "WHERE round_id = ?",
        (round_id,),
    )
    return [RoundAnswerRow(int(r[0]), int(r[1]), bool(r[2]), int(r[3]), int(r[4])) for r in rows]


async def _results(conn: Conn, round_id: int, index: int) -> QuestionResults:
    counts = await fetchone(
        conn,
        "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM round_answers "
        "WHERE round_id = ? AND question_index = ?",
        (round_id, index),
    )
    assert counts is not None
    first = await fetchall(
        conn,
        "SELECT user_id, response_ms FROM round_answers "
        "WHERE round_id = ? AND question_index = ? AND correct = 1 "
        "ORDER BY response_ms, answered_at, user_id LIMIT 3",
        (round_id, index),
    )
    return QuestionResults(
        int(counts[0]), int(counts[1]), tuple((int(u), int(t)) for u, t in first)
    )


async def _end(
    conn: Conn,
    round_id: int,
    state: RoundState,
    reason: EndReason,
    now: datetime,
    by: int | None = None,
) -> list[Standing]:
    standings = scoreboard(await _answer_rows(conn, round_id))
    await conn.execute(
        "UPDATE rounds SET state = ?, end_reason = ?, ended_by = ?, winner_id = ?, "
        "ended_at = ? WHERE id = ?",
        (state.value, reason.value, by, winner(standings), to_ms(now), round_id),
    )
    await _set_timer(conn, round_id, None)
    return standings


class Rounds(Repository):
    """Live rounds in a channel: every step one transaction that checks where the round is."""

    async def start(self, new: NewRound, member: MemberName, now: datetime) -> tuple[Round, bool]:
        """Store a new round, due to ask its first question now. When the channel has a
        running round already, that one and False."""
        async with self.write() as conn:
            await write_member(conn, member, now)
            await write_guild(conn, new.guild_id, member.guild_name, now)
            inserted = await fetchone(
                conn,
                "INSERT INTO rounds (id, guild_id, channel_id, started_by, deck_id, topic, "
                "mode, seconds, requested, questions, state, phase, position, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 'ask', 0, ?) "
                "ON CONFLICT DO NOTHING RETURNING id",
                (
                    new.id,
                    new.guild_id,
                    new.channel_id,
                    new.started_by,
                    new.deck_id,
                    new.topic,
                    new.mode.value,
                    new.seconds,
                    new.requested,
                    json.dumps([q.to_json() for q in new.questions], ensure_ascii=False),
                    to_ms(now),
                ),
            )
            if inserted is None:
                row = await fetchone(
                    conn,
                    f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE channel_id = ? "
                    "AND state = 'running'",
                    (new.channel_id,),
                )
                if row is None:  # the same interaction replayed: its round
                    found = await _read_round(conn, new.id)
                    assert found is not None
                    return found, False
                return _round(row), False
            await _set_timer(conn, new.id, now)
            started = await _read_round(conn, new.id)
            assert started is not None
            return started, True

    async def get(self, round_id: int) -> Round | None:
        async with self.read() as conn:
            return await _read_round(conn, round_id)

    async def latest(self, channel_id: int) -> Round | None:
        """The channel's running round, else its last one."""
        row = await self._fetchone(
            f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE channel_id = ? "
            "ORDER BY CASE WHEN state = 'running' THEN 0 ELSE 1 END, started_at DESC, id DESC "
            "LIMIT 1",
            (channel_id,),
        )
        return None if row is None else _round(row)

    async def seen_cards(self, channel_id: int, deck_id: str) -> dict[str, int]:
        """When the channel's rounds last asked each card of a deck (ms)."""
        rows = await self._fetchall(
            "SELECT card_id, seen_at FROM round_cards_seen WHERE channel_id = ? AND deck_id = ?",
            (channel_id, deck_id),
        )
        return {str(card): int(seen) for card, seen in rows}

    async def begin_ask(
        self,
        round_id: int,
        index: int,
        *,
        shown_at: datetime,
        closes_at: datetime,
        retry_at: datetime,
    ) -> bool:
        """Question ``index`` is about to be posted: its times are stored first, so a
        later attempt knows a message may exist (and looks for it before posting again).
        The step is retried at ``retry_at`` unless the post is stored before. False if
        the round is not waiting to ask that question."""
        async with self.write() as conn:
            changed = await conn.execute(
                "UPDATE rounds SET shown_at = ?, closes_at = ? WHERE id = ? "
                "AND state = 'running' AND phase = 'ask' AND position = ?",
                (to_ms(shown_at), to_ms(closes_at), round_id, index),
            )
            if changed != 1:
                return False
            await _set_timer(conn, round_id, retry_at)
            return True

    async def question_posted(
        self,
        round_id: int,
        index: int,
        *,
        message_id: int,
        now: datetime,
        closes_at: datetime,
        due_at: datetime,
    ) -> Round | None:
        """Question ``index`` is on its message and open until ``closes_at``; the next
        step is due at ``due_at``. None if the round was not waiting to ask it."""
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is None or not current.is_at(Phase.ASK, index):
                return None
            await conn.execute(
                "UPDATE rounds SET phase = 'question', message_id = ?, shown_at = ?, "
                "closes_at = ?, hint_shown = 0 WHERE id = ?",
                (message_id, to_ms(now), to_ms(closes_at), round_id),
            )
            await conn.execute(
                "INSERT INTO round_cards_seen (channel_id, deck_id, card_id, seen_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (channel_id, deck_id, card_id) "
                "DO UPDATE SET seen_at = excluded.seen_at",
                (current.channel_id, current.deck_id, current.questions[index].card_id, to_ms(now)),
            )
            await _set_timer(conn, round_id, due_at)
            return await _read_round(conn, round_id)

    async def hint_given(self, round_id: int, index: int, due_at: datetime) -> bool:
        """The open question's hint is shown; the next step is due at ``due_at``."""
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is None or not current.is_open(index) or current.hint_shown:
                return False
            await conn.execute("UPDATE rounds SET hint_shown = 1 WHERE id = ?", (round_id,))
            await _set_timer(conn, round_id, due_at)
            return True

    async def drop_timer(self, round_id: int) -> None:
        """Forget the deadline of a round that is no longer running."""
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is None or not current.running:
                await _set_timer(conn, round_id, None)

    async def answered_choice(self, round_id: int, index: int, user_id: int) -> str | None:
        row = await self._fetchone(
            "SELECT choice FROM round_answers "
            "WHERE round_id = ? AND question_index = ? AND user_id = ?",
            (round_id, index, user_id),
        )
        return None if row is None else str(row[0])

    async def reschedule(self, round_id: int, due_at: datetime) -> None:
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is not None and current.running:
                await _set_timer(conn, round_id, due_at)

    async def reveal_question(self, round_id: int, index: int, now: datetime) -> Reveal | None:
        """Close question ``index``: its results, and the round either pausing before the
        next question or ended. None if that question was not open."""
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is None or not current.is_open(index):
                return None
            results = await _results(conn, round_id, index)
            unanswered = 0 if results.answered else current.unanswered + 1
            ended = ends_after(index, current.total, unanswered)
            await conn.execute(
                "UPDATE rounds SET phase = 'pause', unanswered = ?, closes_at = ? WHERE id = ?",
                (unanswered, to_ms(min(now, current.closes_at or now)), round_id),
            )
            if ended is None:
                await _set_timer(conn, round_id, now + PAUSE)
                return Reveal(current, results, None)
            standings = await _end(conn, round_id, RoundState.FINISHED, ended, now)
            return Reveal(current, results, ended, standings)

    async def advance(self, round_id: int, index: int, now: datetime) -> bool:
        """After the pause that followed question ``index``: the next one is to be asked."""
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is None or not current.is_at(Phase.PAUSE, index):
                return False
            await conn.execute(
                "UPDATE rounds SET phase = 'ask', position = ?, message_id = NULL, "
                "shown_at = NULL, closes_at = NULL, hint_shown = 0 WHERE id = ?",
                (index + 1, round_id),
            )
            await _set_timer(conn, round_id, now)
            return True

    async def end(
        self,
        round_id: int,
        reason: EndReason,
        now: datetime,
        *,
        by: int | None = None,
    ) -> tuple[Round, list[Standing]] | None:
        """End a running round early (stopped, or its message or channel went away); the
        answers stored so far stay. None if it was not running."""
        state = RoundState.STOPPED if reason is EndReason.STOPPED else RoundState.FAILED
        async with self.write() as conn:
            current = await _read_round(conn, round_id)
            if current is None or not current.running:
                return None
            standings = await _end(conn, round_id, state, reason, now, by)
            ended = await _read_round(conn, round_id)
            assert ended is not None
            return ended, standings

    async def reopen_after_restart(
        self, now: datetime, *, shards: ShardScope | None = None
    ) -> list[Round]:
        """After a start: open questions whose time ran out while the bot was down get a
        fresh short time (only in servers on ``shards``). The rounds changed, as they are
        now."""
        changed: list[Round] = []
        clause, values = on_shards(shards)
        async with self.write() as conn:
            rows = await fetchall(
                conn,
                f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE state = 'running' "
                f"AND phase = 'question' AND closes_at <= ?{clause}",
                (to_ms(now), *values),
            )
            for row in rows:
                current = _round(row)
                assert current.closes_at is not None
                closes = deadline_after_restart(current.closes_at, now)
                await conn.execute(
                    "UPDATE rounds SET closes_at = ? WHERE id = ?",
                    (to_ms(closes), current.id),
                )
                await _set_timer(conn, current.id, closes)
                found = await _read_round(conn, current.id)
                assert found is not None
                changed.append(found)
        return changed

    async def answer(
        self,
        round_id: int,
        index: int,
        *,
        member: MemberName,
        channel_id: int | None,
        judge: Callable[[Question], tuple[str, bool] | None],
        now: datetime,
    ) -> RoundAnswerResult | None:
        """A member's answer to question ``index`` of a round, in one transaction.

        Stored only if that question is open, the click came from the round's channel
        and the member had not answered it: then with its points (1, and 1 more for the
        first right answer), as an answer row of the bot's (leaderboards, seasons,
        spaced repetition) and a round row. When everyone who answered an earlier
        question has answered this one, the question closes now. None if there is no
        such round. A refused answer stores nothing, not even the member's name.

        What never changes in a round (its questions, channel, deck) is read once and
        kept; whether the question is open is checked by the round row's own insert.
        """
        fixed = await self._fixed(round_id)
        if fixed is None:
            return None
        if channel_id != fixed.channel_id:
            return RoundAnswerResult(RoundAnswerOutcome.ELSEWHERE, fixed)
        if not 0 <= index < fixed.total:
            return RoundAnswerResult(RoundAnswerOutcome.CLOSED, fixed)
        question = fixed.questions[index]
        judged = judge(question)
        if judged is None:
            return RoundAnswerResult(RoundAnswerOutcome.WRONG_KIND, fixed)
        choice, correct = judged
        at = to_ms(now)
        user_id = member.user_id
        try:
            async with self.write() as conn:
                # The server's row exists since the round started: only the member's name.
                await write_member(conn, replace(member, guild_id=None), now)
                # The insert checks that the question is open and settles the fastest bonus;
                # its RETURNING says whether everyone who answered an earlier question has
                # answered this one. Its subqueries leave this member out, so they read the
                # same whether or not they see the new row (SQLite does, PostgreSQL not).
                row = await fetchone(
                    conn,
                    "INSERT INTO round_answers (round_id, question_index, user_id, choice, "
                    "correct, points, response_ms, answered_at) "
                    # Typed casts: PostgreSQL does not infer a select list's parameters.
                    "SELECT r.id, CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS TEXT), "
                    "CAST(? AS INTEGER), CASE WHEN ? = 0 THEN 0 WHEN EXISTS ("
                    "SELECT 1 FROM round_answers f WHERE f.round_id = r.id "
                    "AND f.question_index = ? AND f.correct = 1) THEN 1 ELSE 2 END, "
                    "CASE WHEN ? > r.shown_at THEN ? - r.shown_at ELSE 0 END, CAST(? AS BIGINT) "
                    "FROM rounds r WHERE r.id = ? AND r.state = 'running' "
                    "AND r.phase = 'question' AND r.position = ? "
                    "ON CONFLICT (round_id, question_index, user_id) DO NOTHING "
                    "RETURNING points, response_ms, "
                    "(SELECT COUNT(DISTINCT p.user_id) FROM round_answers p "
                    "WHERE p.round_id = ? AND p.question_index < ?), "
                    "(SELECT COUNT(DISTINCT p.user_id) FROM round_answers p "
                    "WHERE p.round_id = ? AND p.question_index < ? AND p.user_id <> ? "
                    "AND NOT EXISTS (SELECT 1 FROM round_answers a WHERE a.round_id = p.round_id "
                    "AND a.question_index = ? AND a.user_id = p.user_id))",
                    (index, user_id, choice, int(correct), int(correct), index,
                     at, at, at, round_id, index,
                     round_id, index, round_id, index, user_id, index),
                )  # fmt: skip
                if row is None:
                    # Rolls back: a refused answer stores nothing, not even the member's name.
                    raise _Refused()
                points, response_ms = int(row[0]), int(row[1])
                answer = NewAnswer(
                    user_id=user_id,
                    guild_id=fixed.guild_id,
                    deck_id=fixed.deck_id,
                    card_id=question.card_id,
                    mode=fixed.mode,
                    correct=correct,
                    answered_at=now,
                    points=points,
                    response_ms=response_ms,
                    session_id=f"round:{round_id}:{user_id}",
                    question_index=index,
                )
                answer_id = await insert_answer(conn, answer)
                if answer_id is None:  # the round row above is unique too: never here
                    raise ValueError("a round answer was stored twice")
                await remember(conn, answer.stored_as(answer_id))
                reveal_now = reveal_early(int(row[2]), int(row[3]))
                if reveal_now:
                    await conn.execute(
                        "UPDATE rounds SET closes_at = ? WHERE id = ?", (at, round_id)
                    )
                    await _set_timer(conn, round_id, now)
        except _Refused:
            return await self._refusal(round_id, index, user_id)
        return RoundAnswerResult(RoundAnswerOutcome.RECORDED, fixed, choice, reveal_now)

    async def _fixed(self, round_id: int) -> Round | None:
        """A round as it started: only its unchanging parts may be read from this."""
        key = (str(self._connection.path), round_id)
        found = _FIXED.get(key)
        if found is None:
            row = await self._fetchone(
                f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", (round_id,)
            )
            if row is None:
                return None
            found = _FIXED[key] = _round(row)
            while len(_FIXED) > _FIXED_KEPT:
                del _FIXED[next(iter(_FIXED))]
        return found

    async def _refusal(self, round_id: int, index: int, user_id: int) -> RoundAnswerResult | None:
        """Why an answer was refused, read once its transaction has let the writes go:
        the question not open, or the member's earlier answer to it. None if the round
        is gone (its server's data was deleted)."""
        row = await self._fetchone(
            f"SELECT {_ROUND_COLUMNS}, (SELECT choice FROM round_answers a "
            "WHERE a.round_id = rounds.id AND a.question_index = ? AND a.user_id = ?) "
            "FROM rounds WHERE id = ?",
            (index, user_id, round_id),
        )
        if row is None:
            return None
        current = _round(row)
        earlier = row[len(row) - 1]
        if current.is_open(index) and earlier is not None:
            return RoundAnswerResult(RoundAnswerOutcome.DUPLICATE, current, str(earlier))
        return RoundAnswerResult(RoundAnswerOutcome.CLOSED, current)

    async def with_count(self, round_id: int) -> tuple[Round, int] | None:
        """A round, and how many answered its current question, in one read."""
        row = await self._fetchone(
            f"SELECT {_ROUND_COLUMNS}, (SELECT COUNT(*) FROM round_answers a "
            "WHERE a.round_id = rounds.id AND a.question_index = rounds.position) "
            "FROM rounds WHERE id = ?",
            (round_id,),
        )
        return None if row is None else (_round(row), int(row[len(row) - 1]))

    async def standings(self, round_id: int) -> list[Standing]:
        async with self.read() as conn:
            return scoreboard(await _answer_rows(conn, round_id))

    async def record(self, guild_id: int | None, user_id: int) -> tuple[int, int]:
        """How many rounds a member played (answered at least once) and won, in a server
        (everywhere when ``guild_id`` is None)."""
        scope = "" if guild_id is None else " AND r.guild_id = ?"
        params: tuple[int, ...] = (user_id,) if guild_id is None else (user_id, guild_id)
        row = await self._fetchone(
            "SELECT COUNT(DISTINCT a.round_id) FROM round_answers a "
            f"JOIN rounds r ON r.id = a.round_id WHERE a.user_id = ?{scope}",
            params,
        )
        won = await self._fetchone(
            f"SELECT COUNT(*) FROM rounds r WHERE r.winner_id = ?{scope}", params
        )
        return (0 if row is None else int(row[0]), 0 if won is None else int(won[0]))
