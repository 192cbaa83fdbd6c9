"""Queries for daily challenges: schedules, posts and their answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from functools import lru_cache
from typing import Any

from bot.domain.daily import CardRecord, ChallengeState, DailyQuestion
from bot.domain.shards import ShardScope
from bot.domain.streaks import StreakState, record_daily_result
from bot.storage.answers import insert_answer
from bot.storage.base import Conn, Repository, Row, fetchall, fetchone
from bot.storage.members import write_member
from bot.storage.models import (
    ANSWER_COLUMNS,
    Answer,
    MemberName,
    NewAnswer,
    answer_from_row,
    from_ms,
    to_ms,
)
from bot.storage.reviews import remember


@dataclass(frozen=True)
class DailySchedule:
    """A server's daily challenge settings and where its schedule stands."""

    guild_id: int
    channel_id: int
    post_time: time
    timezone: str
    deck_id: str
    topic: str | None
    role_id: int | None
    reveal_after: int | None
    enabled: bool
    paused: bool
    next_post_at: datetime | None
    failures: int
    last_error: str | None
    last_error_at: datetime | None
    updated_by: int | None
    updated_at: datetime


@dataclass(frozen=True)
class DailyChallenge:
    """One server's challenge of one local date."""

    id: int
    guild_id: int
    local_date: date
    channel_id: int
    deck_id: str
    topic: str | None
    question: DailyQuestion
    role_id: int | None
    state: ChallengeState
    attempts: int
    message_id: int | None
    created_at: datetime
    posted_at: datetime | None
    reveal_at: datetime | None
    revealed_at: datetime | None
    reveal_shown: bool

    @property
    def card_id(self) -> str:
        return self.question.card_id


@dataclass(frozen=True)
class DailyResults:
    """The numbers a reveal shows."""

    answered: int
    right: int
    first_right: tuple[int, ...]  # user ids of the first right answers, earliest first

    @property
    def share_right(self) -> float:
        return self.right / self.answered if self.answered else 0.0


class DailyAnswerOutcome(Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # the member had answered this challenge already
    CLOSED = "closed"  # revealed, missed, or not (yet) posted


@dataclass(frozen=True)
class DailyAnswerResult:
    outcome: DailyAnswerOutcome
    challenge: DailyChallenge  # as the answer found it
    # The member's stored answer: this one when recorded, the earlier one on a duplicate.
    answer: Answer | None = None
    streak: StreakState | None = None  # only when recorded


def question_to_json(question: DailyQuestion) -> str:
    return json.dumps(
        {
            "card_id": question.card_id,
            "prompt": question.prompt,
            "options": list(question.options),
            "correct_index": question.correct_index,
            "explanation": question.explanation,
        },
        ensure_ascii=False,
    )


def question_from_json(text: str) -> DailyQuestion:
    data: dict[str, Any] = json.loads(text)
    options = [str(option) for option in data["options"]]
    return DailyQuestion(
        card_id=str(data["card_id"]),
        prompt=str(data["prompt"]),
        options=(options[0], options[1], options[2], options[3]),
        correct_index=int(data["correct_index"]),
        explanation=None if data.get("explanation") is None else str(data["explanation"]),
    )


def _ms(instant: datetime | None) -> int | None:
    return None if instant is None else to_ms(instant)


def _instant(value: Any) -> datetime | None:
    return None if value is None else from_ms(int(value))


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


_SCHEDULE_COLUMNS = (
    "guild_id, channel_id, post_time, timezone, deck_id, topic, role_id, reveal_after, "
    "enabled, paused, next_post_at, failures, last_error, last_error_at, updated_by, updated_at"
)

_CHALLENGE_COLUMNS = (
    "id, guild_id, local_date, channel_id, deck_id, topic, question, role_id, state, attempts, "
    "message_id, created_at, posted_at, reveal_at, revealed_at, reveal_shown"
)


# A server's shard, in SQL both engines read alike: guild_id >> 22 is a division of a
# positive BIGINT by 2^22, which both truncate.
_SHARD_OF = "(({column} / 4194304) % ?)"


def _on_shards(scope: ShardScope | None, column: str = "guild_id") -> tuple[str, tuple[int, ...]]:
    """An ``AND`` clause keeping the rows of servers on ``scope``'s shards, and its values."""
    if scope is None:
        return "", ()
    marks = ", ".join("?" for _ in scope.shard_ids)
    clause = f" AND {_SHARD_OF.format(column=column)} IN ({marks})"
    return clause, (scope.shard_count, *scope.shard_ids)


@dataclass(frozen=True)
class DailyClaim:
    """Who is sending a day's post, and until when their claim holds."""

    holder: str | None
    until: datetime | None
    state: ChallengeState


def _schedule(row: Row) -> DailySchedule:
    hours, minutes = str(row[2]).split(":")
    return DailySchedule(
        guild_id=int(row[0]),
        channel_id=int(row[1]),
        post_time=time(int(hours), int(minutes)),
        timezone=str(row[3]),
        deck_id=str(row[4]),
        topic=row[5],
        role_id=_optional_int(row[6]),
        reveal_after=_optional_int(row[7]),
        enabled=bool(row[8]),
        paused=bool(row[9]),
        next_post_at=_instant(row[10]),
        failures=int(row[11]),
        last_error=row[12],
        last_error_at=_instant(row[13]),
        updated_by=_optional_int(row[14]),
        updated_at=from_ms(int(row[15])),
    )


@lru_cache(maxsize=256)
def _cached_challenge(row: tuple[Any, ...]) -> DailyChallenge:
    return _challenge(row)


def _challenge(row: Sequence[Any]) -> DailyChallenge:
    return DailyChallenge(
        id=int(row[0]),
        guild_id=int(row[1]),
        local_date=date.fromisoformat(str(row[2])),
        channel_id=int(row[3]),
        deck_id=str(row[4]),
        topic=row[5],
        question=question_from_json(str(row[6])),
        role_id=_optional_int(row[7]),
        state=ChallengeState(str(row[8])),
        attempts=int(row[9]),
        message_id=_optional_int(row[10]),
        created_at=from_ms(int(row[11])),
        posted_at=_instant(row[12]),
        reveal_at=_instant(row[13]),
        revealed_at=_instant(row[14]),
        reveal_shown=bool(row[15]),
    )


class Daily(Repository):
    """Daily challenge storage. Writes that must agree with each other share a transaction."""

    async def save_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        post_time: time,
        timezone: str,
        deck_id: str,
        topic: str | None,
        role_id: int | None,
        reveal_after: int | None,
        next_post_at: datetime,
        reveal_by: datetime,
        updated_by: int | None,
        now: datetime,
    ) -> DailySchedule:
        """Create or replace a server's schedule; enables it and forgets past failures.

        An open challenge is revealed by ``reveal_by`` at the latest, so a post time moved
        earlier does not post the next challenge while the previous one is still open.
        """

        async with self.write() as conn:
            await conn.execute(
                f"INSERT INTO daily_schedules ({_SCHEDULE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?, 0, NULL, NULL, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "post_time = excluded.post_time, timezone = excluded.timezone, "
                "deck_id = excluded.deck_id, topic = excluded.topic, role_id = excluded.role_id, "
                "reveal_after = excluded.reveal_after, enabled = 1, paused = 0, "
                "next_post_at = excluded.next_post_at, failures = 0, last_error = NULL, "
                "last_error_at = NULL, updated_by = excluded.updated_by, "
                "updated_at = excluded.updated_at",
                (
                    guild_id,
                    channel_id,
                    post_time.strftime("%H:%M"),
                    timezone,
                    deck_id,
                    topic,
                    role_id,
                    reveal_after,
                    to_ms(next_post_at),
                    updated_by,
                    to_ms(now),
                ),
            )
            await conn.execute(
                "UPDATE daily_challenges SET reveal_at = ? "
                "WHERE guild_id = ? AND state = 'posted' AND reveal_at > ?",
                (to_ms(reveal_by), guild_id, to_ms(reveal_by)),
            )
        schedule = await self.schedule(guild_id)
        assert schedule is not None
        return schedule

    async def schedule(self, guild_id: int) -> DailySchedule | None:
        row = await self._fetchone(
            f"SELECT {_SCHEDULE_COLUMNS} FROM daily_schedules WHERE guild_id = ?", (guild_id,)
        )
        return None if row is None else _schedule(row)

    async def disable(self, guild_id: int, now: datetime) -> bool:
        """Stop posting; False when the server had no enabled schedule."""
        changed = await self._execute(
            "UPDATE daily_schedules SET enabled = 0, next_post_at = NULL, updated_at = ? "
            "WHERE guild_id = ? AND enabled = 1",
            (to_ms(now), guild_id),
        )
        return changed == 1

    async def due_schedules(
        self, now: datetime, *, shards: ShardScope | None = None
    ) -> list[DailySchedule]:
        """Schedules due by ``now``; with ``shards``, only of servers on those shards."""
        on_shards, values = _on_shards(shards)
        rows = await self._fetchall(
            f"SELECT {_SCHEDULE_COLUMNS} FROM daily_schedules "
            f"WHERE enabled = 1 AND paused = 0 AND next_post_at <= ?{on_shards} "
            "ORDER BY next_post_at, guild_id",
            (to_ms(now), *values),
        )
        return [_schedule(row) for row in rows]

    async def next_due(self, *, shards: ShardScope | None = None) -> datetime | None:
        """The earliest instant anything is due: a post, or a reveal (shown or not yet);
        with ``shards``, of servers on those shards only."""
        on_shards, values = _on_shards(shards)
        row = await self._fetchone(
            "SELECT MIN(due) FROM ("
            "SELECT MIN(next_post_at) AS due FROM daily_schedules "
            f"WHERE enabled = 1 AND paused = 0{on_shards} "
            "UNION ALL SELECT MIN(reveal_at) FROM daily_challenges "
            f"WHERE state = 'posted'{on_shards} "
            "UNION ALL SELECT MIN(reveal_at) FROM daily_challenges "
            f"WHERE state = 'revealed' AND reveal_shown = 0{on_shards}) AS due_times",
            values * 3,
        )
        return None if row is None else _instant(row[0])

    async def reschedule(
        self, guild_id: int, next_post_at: datetime, *, expected: datetime | None
    ) -> bool:
        """Move the next post, only if it is still ``expected`` (another run may have moved it)."""
        changed = await self._execute(
            "UPDATE daily_schedules SET next_post_at = ? "
            "WHERE guild_id = ? AND next_post_at IS NOT DISTINCT FROM ? AND enabled = 1",
            (to_ms(next_post_at), guild_id, _ms(expected)),
        )
        return changed == 1

    async def record_failure(
        self,
        guild_id: int,
        challenge_id: int | None,
        *,
        error: str,
        nothing_sent: bool,
        failures: int,
        paused: bool,
        next_post_at: datetime | None,
        now: datetime,
    ) -> None:
        """Remember a failed post; ``nothing_sent`` when the failure proves no message exists."""

        async with self.write() as conn:
            await conn.execute(
                "UPDATE daily_schedules SET failures = ?, paused = ?, last_error = ?, "
                "last_error_at = ?, next_post_at = ? WHERE guild_id = ?",
                (failures, int(paused), error[:500], to_ms(now), _ms(next_post_at), guild_id),
            )
            if challenge_id is not None:
                # The retry is a new attempt: whoever owns the server then may claim it.
                await conn.execute(
                    "UPDATE daily_challenges SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE id = ?",
                    (challenge_id,),
                )
            if challenge_id is not None and nothing_sent:
                await conn.execute(
                    "UPDATE daily_challenges SET state = 'unsent' "
                    "WHERE id = ? AND state = 'intent'",
                    (challenge_id,),
                )

    async def create_intent(
        self,
        *,
        guild_id: int,
        day: date,
        channel_id: int,
        deck_id: str,
        topic: str | None,
        question: DailyQuestion,
        role_id: int | None,
        now: datetime,
    ) -> DailyChallenge:
        """The challenge of ``day``: a new intent, or the row that already exists for it."""
        await self._execute(
            "INSERT INTO daily_challenges (guild_id, local_date, channel_id, deck_id, topic, "
            "card_id, question, role_id, state, attempts, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'intent', 0, ?) "
            "ON CONFLICT (guild_id, local_date) DO NOTHING",
            (
                guild_id,
                day.isoformat(),
                channel_id,
                deck_id,
                topic,
                question.card_id,
                question_to_json(question),
                role_id,
                to_ms(now),
            ),
        )
        challenge = await self.challenge_for_day(guild_id, day)
        assert challenge is not None
        return challenge

    async def claim(
        self, challenge_id: int, *, holder: str, now: datetime, until: datetime
    ) -> bool:
        """Claim the sending of a day's post until ``until``: when nobody holds it, when
        ``holder`` does already, or when the holder's lease has ended (it died, or hung).
        False when another holder's lease still runs, or the post is no longer to send."""
        changed = await self._execute(
            "UPDATE daily_challenges SET claimed_by = ?, claimed_until = ? "
            "WHERE id = ? AND state IN ('intent', 'unsent') "
            "AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)",
            (holder, to_ms(until), challenge_id, holder, to_ms(now)),
        )
        return changed == 1

    async def claim_of(self, challenge_id: int) -> DailyClaim | None:
        """Who holds the claim on a day's post (for the log of one that stood down)."""
        row = await self._fetchone(
            "SELECT claimed_by, claimed_until, state FROM daily_challenges WHERE id = ?",
            (challenge_id,),
        )
        if row is None:
            return None
        return DailyClaim(
            holder=None if row[0] is None else str(row[0]),
            until=_instant(row[1]),
            state=ChallengeState(row[2]),
        )

    async def begin_send(
        self,
        challenge_id: int,
        *,
        attempts: int,
        channel_id: int,
        role_id: int | None,
        holder: str | None = None,
    ) -> bool:
        """Mark that a send to ``channel_id`` starts now: from here on a message may exist.

        ``attempts`` is the count the caller saw; if another run started a send since, this
        one must not. The channel and role are the schedule's current ones, so a setup
        that moved the challenge after a failed attempt is honoured. False when the
        challenge is no longer waiting to be sent by this caller.
        """
        update = (
            "UPDATE daily_challenges SET state = 'intent', attempts = attempts + 1, "
            "channel_id = ?, role_id = ? "
            "WHERE id = ? AND attempts = ? AND state IN ('intent', 'unsent')"
        )
        values: tuple[Any, ...] = (channel_id, role_id, challenge_id, attempts)
        if holder is not None:  # only while the caller's claim holds
            update += " AND claimed_by = ?"
            values += (holder,)
        return await self._execute(update, values) == 1

    async def mark_posted(
        self,
        challenge_id: int,
        *,
        message_id: int,
        posted_at: datetime,
        reveal_at: datetime,
        next_post_at: datetime,
    ) -> bool:
        """Record the sent message and move the schedule on, in one transaction.

        Earlier days left without a post become missed. False if the challenge was not
        an intent (nothing is changed then).
        """

        async with self.write() as conn:
            row = await fetchone(
                conn,
                "UPDATE daily_challenges SET state = 'posted', message_id = ?, posted_at = ?, "
                "reveal_at = ? WHERE id = ? AND state = 'intent' RETURNING guild_id, local_date",
                (message_id, to_ms(posted_at), to_ms(reveal_at), challenge_id),
            )
            if row is None:
                return False
            guild_id, day = int(row[0]), str(row[1])
            await conn.execute(
                "UPDATE daily_challenges SET state = 'missed' "
                "WHERE guild_id = ? AND local_date < ? AND state IN ('intent', 'unsent')",
                (guild_id, day),
            )
            await conn.execute(
                "UPDATE daily_schedules SET next_post_at = ?, failures = 0, last_error = NULL, "
                "last_error_at = NULL WHERE guild_id = ? AND enabled = 1",
                (to_ms(next_post_at), guild_id),
            )
            return True

    async def challenge(self, challenge_id: int) -> DailyChallenge | None:
        row = await self._fetchone(
            f"SELECT {_CHALLENGE_COLUMNS} FROM daily_challenges WHERE id = ?", (challenge_id,)
        )
        return None if row is None else _challenge(row)

    async def challenge_for_day(self, guild_id: int, day: date) -> DailyChallenge | None:
        row = await self._fetchone(
            f"SELECT {_CHALLENGE_COLUMNS} FROM daily_challenges "
            "WHERE guild_id = ? AND local_date = ?",
            (guild_id, day.isoformat()),
        )
        return None if row is None else _challenge(row)

    async def latest(self, guild_id: int, *, posted_only: bool = False) -> DailyChallenge | None:
        """The newest challenge of a server (only those that reached the channel if asked)."""
        where = " AND state IN ('posted', 'revealed')" if posted_only else ""
        row = await self._fetchone(
            f"SELECT {_CHALLENGE_COLUMNS} FROM daily_challenges WHERE guild_id = ?{where} "
            "ORDER BY local_date DESC LIMIT 1",
            (guild_id,),
        )
        return None if row is None else _challenge(row)

    async def open_challenges(self, guild_id: int, *, before: date) -> list[DailyChallenge]:
        """A server's challenges before ``before`` that still take answers."""
        rows = await self._fetchall(
            f"SELECT {_CHALLENGE_COLUMNS} FROM daily_challenges "
            "WHERE guild_id = ? AND local_date < ? AND state = 'posted' ORDER BY local_date",
            (guild_id, before.isoformat()),
        )
        return [_challenge(row) for row in rows]

    async def card_history(self, guild_id: int, deck_id: str) -> list[str]:
        """Card ids of a server's posted challenges from one deck, oldest first."""
        rows = await self._fetchall(
            "SELECT card_id FROM daily_challenges WHERE guild_id = ? AND deck_id = ? "
            "AND state IN ('posted', 'revealed') ORDER BY local_date",
            (guild_id, deck_id),
        )
        return [str(row[0]) for row in rows]

    async def card_records(self, guild_id: int, deck_id: str) -> dict[str, CardRecord]:
        """How the server's members did on each card of a deck, in every mode."""
        rows = await self._fetchall(
            "SELECT card_id, COUNT(*), COUNT(*) - SUM(correct) FROM answers "
            "WHERE guild_id = ? AND deck_id = ? GROUP BY card_id",
            (guild_id, deck_id),
        )
        return {str(row[0]): CardRecord(int(row[1]), int(row[2])) for row in rows}

    async def answer(
        self,
        challenge_id: int,
        answer_for: Callable[[DailyChallenge], NewAnswer],
        *,
        member: MemberName,
    ) -> DailyAnswerResult | None:
        """A member's answer to a daily challenge, in one transaction.

        Reads the challenge; if it is open, remembers the member's name, lets the pure
        `answer_for` build the answer, and stores it with the member's daily streak, unless
        they had answered already (with the card's spaced-repetition review). The
        reveal closes the challenge in a transaction too, so an answer either lands
        before it (and is counted by it) or is refused; only the answer that is stored
        settles the streak, so a double click or a replay never counts a day twice.
        None if there is no such challenge.
        """

        async with self.write() as conn:
            row = await fetchone(
                conn,
                f"SELECT {_CHALLENGE_COLUMNS} FROM daily_challenges WHERE id = ?",
                (challenge_id,),
            )
            if row is None:
                return None
            challenge = _cached_challenge(tuple(row))
            if challenge.state is not ChallengeState.POSTED:
                return DailyAnswerResult(DailyAnswerOutcome.CLOSED, challenge)
            answer = answer_for(challenge)
            if answer.challenge_id != challenge.id or answer.guild_id != challenge.guild_id:
                raise ValueError("an answer to another challenge than the one read")
            await write_member(conn, member, answer.answered_at)
            answer_id = await insert_answer(conn, answer)
            if answer_id is None:
                earlier = await fetchone(
                    conn,
                    f"SELECT {ANSWER_COLUMNS} FROM answers WHERE challenge_id = ? AND user_id = ?",
                    (challenge.id, answer.user_id),
                )
                stored = None if earlier is None else answer_from_row(earlier)
                return DailyAnswerResult(DailyAnswerOutcome.DUPLICATE, challenge, stored)
            streak = await _settle_daily_streak(
                conn, challenge, answer.user_id, answer.correct, answer.answered_at
            )
            stored = answer.stored_as(answer_id)
            await remember(conn, stored)
            return DailyAnswerResult(DailyAnswerOutcome.RECORDED, challenge, stored, streak)

    async def count_answers(self, challenge_id: int) -> int:
        row = await self._fetchone(
            "SELECT COUNT(*) FROM answers WHERE challenge_id = ?", (challenge_id,)
        )
        return 0 if row is None else int(row[0])

    async def results(self, challenge_id: int, *, first: int = 3) -> DailyResults:
        async with self.read() as conn:
            row = await fetchone(
                conn,
                "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM answers WHERE challenge_id = ?",
                (challenge_id,),
            )
            assert row is not None
            firsts = await fetchall(
                conn,
                "SELECT user_id FROM answers WHERE challenge_id = ? AND correct = 1 "
                "ORDER BY answered_at, id LIMIT ?",
                (challenge_id, first),
            )
        return DailyResults(int(row[0]), int(row[1]), tuple(int(r[0]) for r in firsts))

    async def close(self, challenge_id: int, now: datetime) -> bool:
        """Stop taking answers. False if it was not open (already closed by another run)."""
        changed = await self._execute(
            "UPDATE daily_challenges SET state = 'revealed', revealed_at = ? "
            "WHERE id = ? AND state = 'posted'",
            (to_ms(now), challenge_id),
        )
        return changed == 1

    async def mark_reveal_shown(self, challenge_id: int) -> None:
        await self._execute(
            "UPDATE daily_challenges SET reveal_shown = 1 WHERE id = ?", (challenge_id,)
        )

    async def postpone_reveal(self, challenge_id: int, reveal_at: datetime) -> None:
        """Try showing a reveal again later (its message could not be edited just now)."""
        await self._execute(
            "UPDATE daily_challenges SET reveal_at = ? WHERE id = ?",
            (to_ms(reveal_at), challenge_id),
        )

    async def due_reveals(
        self, now: datetime, *, shards: ShardScope | None = None
    ) -> list[DailyChallenge]:
        """Open challenges past their reveal time, and closed ones whose reveal is not shown;
        with ``shards``, of servers on those shards only."""
        on_shards, values = _on_shards(shards)
        rows = await self._fetchall(
            f"SELECT {_CHALLENGE_COLUMNS} FROM daily_challenges "
            "WHERE reveal_at <= ? AND (state = 'posted' OR (state = 'revealed' "
            f"AND reveal_shown = 0)){on_shards} ORDER BY reveal_at, id",
            (to_ms(now), *values),
        )
        return [_challenge(row) for row in rows]

    async def break_missed_streaks(self, challenge: DailyChallenge, now: datetime) -> list[int]:
        """Settle the challenge as unanswered for the members of its server with a running
        daily streak who did not answer it, in one transaction; returns whose streak broke.

        Repeating it (after a crash) changes nothing: a streak that already counts the
        challenge's day is left as it is.
        """

        async with self.write() as conn:
            rows = await fetchall(
                conn,
                "SELECT s.user_id FROM daily_streaks AS s WHERE s.guild_id = ? "
                "AND s.current > 0 AND NOT EXISTS (SELECT 1 FROM answers AS a "
                "WHERE a.challenge_id = ? AND a.user_id = s.user_id) ORDER BY s.user_id",
                (challenge.guild_id, challenge.id),
            )
            broken = []
            for (user_id,) in rows:
                settled = await _settle_daily_streak(conn, challenge, int(user_id), None, now)
                if settled.current == 0:
                    broken.append(int(user_id))
            return broken

    async def streak(self, guild_id: int, user_id: int) -> StreakState:
        """A member's daily-challenge streak in one server (zero when never answered)."""
        async with self.read() as conn:
            return await read_daily_streak(conn, guild_id, user_id)

    async def claim_reveal(
        self, challenge_id: int, *, holder: str, now: datetime, until: datetime
    ) -> bool:
        """Claim the reveal of a day's challenge until ``until`` (the claim of its post,
        long over by then, is reused): False while another holder's lease runs, or when
        the reveal is shown already."""
        changed = await self._execute(
            "UPDATE daily_challenges SET claimed_by = ?, claimed_until = ? "
            "WHERE id = ? AND (state = 'posted' OR (state = 'revealed' AND reveal_shown = 0)) "
            "AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until IS NULL "
            "OR claimed_until <= ?)",
            (holder, to_ms(until), challenge_id, holder, to_ms(now)),
        )
        return changed == 1


async def _settle_daily_streak(
    conn: Conn,
    challenge: DailyChallenge,
    user_id: int,
    correct: bool | None,
    now: datetime,
) -> StreakState:
    """Fold a member's result of one challenge (None: unanswered) into their daily streak."""
    before = await read_daily_streak(conn, challenge.guild_id, user_id)
    after = record_daily_result(before, challenge.local_date, correct)
    if after != before:
        await write_daily_streak(conn, challenge.guild_id, user_id, after, now)
    return after


async def read_daily_streak(conn: Conn, guild_id: int, user_id: int) -> StreakState:
    row = await fetchone(
        conn,
        "SELECT current, best, last_day FROM daily_streaks WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    if row is None:
        return StreakState()
    last_day = None if row[2] is None else date.fromisoformat(str(row[2]))
    return StreakState(int(row[0]), int(row[1]), last_day)


async def write_daily_streak(
    conn: Conn, guild_id: int, user_id: int, state: StreakState, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO daily_streaks (guild_id, user_id, current, best, last_day, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "current = excluded.current, best = excluded.best, last_day = excluded.last_day, "
        "updated_at = excluded.updated_at",
        (
            guild_id,
            user_id,
            state.current,
            state.best,
            None if state.last_day is None else state.last_day.isoformat(),
            to_ms(now),
        ),
    )
