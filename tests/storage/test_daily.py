"""Daily challenge storage: schedules, intents, one post per day, answers and reveals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.domain.daily import CardRecord, ChallengeState, DailyQuestion
from bot.domain.shards import ShardScope
from bot.domain.streaks import StreakState
from bot.storage import Database, MemberName, NewAnswer
from bot.storage.daily import (
    DailyAnswerOutcome,
    DailyAnswerResult,
    DailyChallenge,
    question_from_json,
    question_to_json,
)
from tests.engines import INTEGRITY_ERRORS, execute, inserts_refused, rows, target_of, url_of
from tests.helpers.database import memory_state, review_events, seed_daily_streak

pytestmark = pytest.mark.engines

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
GUILD = 10
OTHER_GUILD = 20
DAY = date(2026, 3, 2)
QUESTION = DailyQuestion(
    card_id="c-1",
    prompt="Which service stores model artifacts?",
    options=("Amazon S3", "Amazon SQS", "AWS Glue", "Amazon SNS"),
    correct_index=0,
    explanation="S3 holds the artifacts SageMaker loads.",
)


@pytest.fixture
async def db(bot_database: Path | str) -> AsyncIterator[Database]:
    database = await Database.connect(url_of(bot_database))
    for user_id, name in ((1, "alice"), (2, "bob"), (3, "carol"), (4, "dave")):
        await database.members.upsert_user(user_id, name, NOW)
    await database.members.upsert_guild(GUILD, "Study Hall", NOW)
    await database.members.upsert_guild(OTHER_GUILD, "Other", NOW)
    yield database
    await database.close()


async def _schedule(db: Database, guild_id: int = GUILD, *, next_post_at: datetime) -> None:
    await db.daily.save_schedule(
        guild_id=guild_id,
        channel_id=100 + guild_id,
        post_time=time(9, 0),
        timezone="Europe/Berlin",
        deck_id="aws",
        topic=None,
        role_id=None,
        reveal_after=None,
        next_post_at=next_post_at,
        reveal_by=next_post_at - timedelta(minutes=1),
        updated_by=1,
        now=NOW,
    )


async def _intent(db: Database, day: date = DAY, guild_id: int = GUILD, card: str = "c-1") -> int:
    question = DailyQuestion(card, QUESTION.prompt, QUESTION.options, 0, QUESTION.explanation)
    challenge = await db.daily.create_intent(
        guild_id=guild_id,
        day=day,
        channel_id=100 + guild_id,
        deck_id="aws",
        topic=None,
        question=question,
        role_id=None,
        now=NOW,
    )
    return challenge.id


async def _post(db: Database, challenge_id: int, *, reveal_at: datetime) -> None:
    assert await db.daily.begin_send(challenge_id, attempts=0, channel_id=100 + GUILD, role_id=None)
    assert await db.daily.mark_posted(
        challenge_id,
        message_id=5000 + challenge_id,
        posted_at=NOW,
        reveal_at=reveal_at,
        next_post_at=NOW + timedelta(days=1),
    )


def _answer(challenge_id: int, user_id: int, correct: bool, minute: int = 0) -> NewAnswer:
    return NewAnswer(
        user_id=user_id,
        guild_id=GUILD,
        deck_id="aws",
        card_id="c-1",
        mode="daily",
        correct=correct,
        answered_at=NOW + timedelta(minutes=minute),
        points=3 if correct else 0,
        challenge_id=challenge_id,
    )


async def _record(
    db: Database, challenge_id: int, user_id: int, correct: bool, minute: int = 0
) -> DailyAnswerResult:
    def answer_for(challenge: DailyChallenge) -> NewAnswer:
        assert challenge.id == challenge_id
        return _answer(challenge_id, user_id, correct, minute)

    recorded = await db.daily.answer(
        challenge_id, answer_for, member=MemberName(user_id, f"member {user_id}", GUILD, "Hall")
    )
    assert recorded is not None, "the challenge exists"
    return recorded


def test_questions_survive_json() -> None:
    assert question_from_json(question_to_json(QUESTION)) == QUESTION


async def test_schedule_round_trip_and_due_queries(db: Database) -> None:
    assert await db.daily.schedule(GUILD) is None
    assert await db.daily.next_due() is None
    await _schedule(db, next_post_at=NOW + timedelta(hours=1))
    await _schedule(db, OTHER_GUILD, next_post_at=NOW + timedelta(hours=3))
    schedule = await db.daily.schedule(GUILD)
    assert schedule is not None
    assert (schedule.channel_id, schedule.post_time, schedule.timezone) == (
        110,
        time(9, 0),
        "Europe/Berlin",
    )
    assert (schedule.enabled, schedule.paused, schedule.failures) == (True, False, 0)
    assert await db.daily.next_due() == NOW + timedelta(hours=1)
    assert await db.daily.due_schedules(NOW) == []
    due = await db.daily.due_schedules(NOW + timedelta(hours=3))
    assert [s.guild_id for s in due] == [GUILD, OTHER_GUILD]
    assert await db.daily.disable(GUILD, NOW)
    assert not await db.daily.disable(GUILD, NOW)
    assert await db.daily.next_due() == NOW + timedelta(hours=3)
    disabled = await db.daily.schedule(GUILD)
    assert disabled is not None and not disabled.enabled and disabled.next_post_at is None


async def test_reschedule_only_moves_what_it_expects(db: Database) -> None:
    due = NOW + timedelta(hours=1)
    await _schedule(db, next_post_at=due)
    later = due + timedelta(days=1)
    assert not await db.daily.reschedule(GUILD, later, expected=due - timedelta(seconds=1))
    assert await db.daily.reschedule(GUILD, later, expected=due)
    schedule = await db.daily.schedule(GUILD)
    assert schedule is not None and schedule.next_post_at == later


async def test_one_challenge_per_server_and_day(db: Database) -> None:
    first = await _intent(db)
    again = await _intent(db, card="c-2")  # a second run for the same day gets the same row
    assert again == first
    other_day = await _intent(db, DAY + timedelta(days=1))
    other_guild = await _intent(db, guild_id=OTHER_GUILD)
    assert len({first, other_day, other_guild}) == 3
    challenge = await db.daily.challenge(first)
    assert challenge is not None
    assert (challenge.state, challenge.attempts, challenge.card_id) == (
        ChallengeState.INTENT,
        0,
        "c-1",
    )
    assert challenge.question == QUESTION
    with pytest.raises(INTEGRITY_ERRORS):
        execute(
            target_of(db),
            "INSERT INTO daily_challenges (guild_id, local_date, channel_id, deck_id, card_id, "
            "question, state, created_at) VALUES (?, ?, 1, 'aws', 'c', '{}', 'intent', 0)",
            GUILD,
            DAY.isoformat(),
        )


async def test_intent_then_posted_moves_the_schedule_and_clears_failures(db: Database) -> None:
    await _schedule(db, next_post_at=NOW)
    await db.daily.record_failure(
        GUILD,
        None,
        error="boom",
        nothing_sent=False,
        failures=2,
        paused=False,
        next_post_at=NOW,
        now=NOW,
    )
    yesterday = await _intent(db, DAY - timedelta(days=1))
    challenge_id = await _intent(db)
    assert await db.daily.begin_send(challenge_id, attempts=0, channel_id=999, role_id=7)
    # A second run that saw the same intent does not start a second send.
    assert not await db.daily.begin_send(challenge_id, attempts=0, channel_id=999, role_id=7)
    sending = await db.daily.challenge(challenge_id)
    assert sending is not None and (sending.attempts, sending.channel_id, sending.role_id) == (
        1,
        999,
        7,
    )
    assert await db.daily.mark_posted(
        challenge_id,
        message_id=42,
        posted_at=NOW,
        reveal_at=NOW + timedelta(hours=5),
        next_post_at=NOW + timedelta(days=1),
    )
    # A second marking (an overlapping run) changes nothing.
    assert not await db.daily.mark_posted(
        challenge_id,
        message_id=43,
        posted_at=NOW,
        reveal_at=NOW,
        next_post_at=NOW,
    )
    posted = await db.daily.challenge(challenge_id)
    assert posted is not None
    assert (posted.state, posted.message_id, posted.reveal_at) == (
        ChallengeState.POSTED,
        42,
        NOW + timedelta(hours=5),
    )
    assert not await db.daily.begin_send(challenge_id, attempts=1, channel_id=1, role_id=None)
    missed = await db.daily.challenge(yesterday)
    assert missed is not None and missed.state is ChallengeState.MISSED
    schedule = await db.daily.schedule(GUILD)
    assert schedule is not None
    assert (schedule.next_post_at, schedule.failures, schedule.last_error) == (
        NOW + timedelta(days=1),
        0,
        None,
    )
    latest = await db.daily.latest(GUILD, posted_only=True)
    assert latest is not None and latest.id == challenge_id


async def test_failures_pause_and_setup_resumes(db: Database) -> None:
    await _schedule(db, next_post_at=NOW)
    challenge_id = await _intent(db)
    assert await db.daily.begin_send(challenge_id, attempts=0, channel_id=110, role_id=None)
    await db.daily.record_failure(
        GUILD,
        challenge_id,
        error="The channel is gone.",
        nothing_sent=True,
        failures=3,
        paused=True,
        next_post_at=None,
        now=NOW,
    )
    schedule = await db.daily.schedule(GUILD)
    assert schedule is not None
    assert (schedule.paused, schedule.failures, schedule.last_error) == (
        True,
        3,
        "The channel is gone.",
    )
    assert await db.daily.due_schedules(NOW + timedelta(days=9)) == []
    unsent = await db.daily.challenge(challenge_id)
    assert unsent is not None and unsent.state is ChallengeState.UNSENT
    await _schedule(db, next_post_at=NOW + timedelta(hours=2))
    resumed = await db.daily.schedule(GUILD)
    assert resumed is not None
    assert (resumed.paused, resumed.failures, resumed.last_error) == (False, 0, None)
    # The failed day can be sent again.
    assert await db.daily.begin_send(challenge_id, attempts=1, channel_id=110, role_id=None)


async def test_a_failure_with_doubt_keeps_the_intent(db: Database) -> None:
    await _schedule(db, next_post_at=NOW)
    challenge_id = await _intent(db)
    assert await db.daily.begin_send(challenge_id, attempts=0, channel_id=110, role_id=None)
    await db.daily.record_failure(
        GUILD,
        challenge_id,
        error="Discord did not answer in time.",
        nothing_sent=False,
        failures=1,
        paused=False,
        next_post_at=NOW + timedelta(minutes=15),
        now=NOW,
    )
    challenge = await db.daily.challenge(challenge_id)
    assert challenge is not None and challenge.state is ChallengeState.INTENT


async def test_answers_once_each_then_closed(db: Database) -> None:
    challenge_id = await _intent(db)
    # Not posted yet: closed.
    recorded = await _record(db, challenge_id, 1, True)
    assert recorded.outcome is DailyAnswerOutcome.CLOSED and recorded.streak is None
    await _post(db, challenge_id, reveal_at=NOW + timedelta(hours=2))
    outcomes = await asyncio.gather(*(_record(db, challenge_id, 1, True, m) for m in range(3)))
    assert sorted(o.outcome.value for o in outcomes) == ["duplicate", "duplicate", "recorded"]
    assert [o.streak for o in outcomes if o.streak] == [StreakState(1, 1, DAY)]
    # A duplicate carries the answer stored first, not the one it was refused.
    (first,) = [o.answer for o in outcomes if o.outcome is DailyAnswerOutcome.RECORDED]
    assert first is not None
    assert [o.answer for o in outcomes if o.outcome is DailyAnswerOutcome.DUPLICATE] == [first] * 2
    recorded = await _record(db, challenge_id, 2, False, 1)
    assert recorded.outcome is DailyAnswerOutcome.RECORDED
    assert recorded.streak == StreakState(0, 0, DAY)
    recorded = await _record(db, challenge_id, 3, True, 2)
    assert recorded.outcome is DailyAnswerOutcome.RECORDED
    assert await db.daily.streak(GUILD, 1) == StreakState(1, 1, DAY)
    assert await db.daily.count_answers(challenge_id) == 3
    again = await _record(db, challenge_id, 2, True, 5)
    assert again.outcome is DailyAnswerOutcome.DUPLICATE and again.streak is None
    assert again.answer is not None and (again.answer.user_id, again.answer.correct) == (2, False)
    assert await db.daily.close(challenge_id, NOW + timedelta(hours=2))
    assert not await db.daily.close(challenge_id, NOW + timedelta(hours=2))
    recorded = await _record(db, challenge_id, 4, True, 3)
    assert recorded.outcome is DailyAnswerOutcome.CLOSED
    results = await db.daily.results(challenge_id)
    assert (results.answered, results.right, results.first_right) == (3, 2, (1, 3))
    assert results.share_right == pytest.approx(2 / 3)
    points = rows(
        target_of(db),
        "SELECT user_id, points, mode FROM answers WHERE challenge_id = ? ORDER BY user_id",
        challenge_id,
    )
    assert points == [(1, 3, "daily"), (2, 0, "daily"), (3, 3, "daily")]
    # Each stored answer moved its member's memory of the card once (spaced repetition),
    # in the answer's own transaction.
    reviews = rows(
        target_of(db),
        "SELECT r.user_id, r.grade FROM review_log AS r JOIN answers AS a "
        "ON a.id = r.answer_id WHERE a.challenge_id = ? ORDER BY r.user_id",
        challenge_id,
    )
    assert reviews == [(1, 3), (2, 1), (3, 3)]


async def test_answer_streak_and_name_land_together_or_not_at_all(db: Database) -> None:
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW + timedelta(hours=2))
    with inserts_refused(target_of(db), "daily_streaks"):
        with pytest.raises(Exception, match="no room for daily_streaks"):
            await _record(db, challenge_id, 1, True)
        assert await db.daily.count_answers(challenge_id) == 0
        user = await db.members.user(1)
        assert user is not None and user.display_name == "alice"  # the new name went with it
    recorded = await _record(db, challenge_id, 1, True)
    assert recorded.outcome is DailyAnswerOutcome.RECORDED
    assert await db.daily.count_answers(challenge_id) == 1
    assert await db.daily.streak(GUILD, 1) == recorded.streak
    user = await db.members.user(1)
    assert user is not None and user.display_name == "member 1"


async def test_an_answer_whose_review_cannot_be_written_is_not_stored(db: Database) -> None:
    """The answer, its streak and its review land together or not at all."""
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW + timedelta(hours=2))
    with inserts_refused(target_of(db), "review_states"):
        with pytest.raises(Exception, match="no room for review_states"):
            await _record(db, challenge_id, 1, True)
        assert await db.daily.count_answers(challenge_id) == 0
        assert await db.daily.streak(GUILD, 1) == StreakState()
    recorded = await _record(db, challenge_id, 1, True)
    assert recorded.outcome is DailyAnswerOutcome.RECORDED
    state = await memory_state(db, 1, "aws", "c-1")
    assert state is not None and state.reviews == 1
    assert len(review_events(db, 1, "aws", "c-1")) == 1


async def test_an_answer_to_no_challenge_is_none(db: Database) -> None:
    def never(challenge: DailyChallenge) -> NewAnswer:
        raise AssertionError("no challenge to answer")

    assert await db.daily.answer(424242, never, member=MemberName(1, "a", GUILD)) is None


async def test_first_right_are_the_earliest_three(db: Database) -> None:
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW)
    for user_id, minute in ((4, 5), (2, 1), (3, 9), (1, 3)):
        await _record(db, challenge_id, user_id, True, minute)
    results = await db.daily.results(challenge_id)
    assert results.first_right == (2, 1, 4)


async def test_reveals_due_until_shown(db: Database) -> None:
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW + timedelta(hours=2))
    assert await db.daily.next_due() == NOW + timedelta(hours=2)
    assert await db.daily.due_reveals(NOW) == []
    due = await db.daily.due_reveals(NOW + timedelta(hours=2))
    assert [c.id for c in due] == [challenge_id]
    await db.daily.close(challenge_id, NOW + timedelta(hours=2))
    # Closed but its message not edited yet (a crash, a Discord error): still due.
    assert [c.id for c in await db.daily.due_reveals(NOW + timedelta(hours=2))] == [challenge_id]
    await db.daily.postpone_reveal(challenge_id, NOW + timedelta(hours=3))
    assert await db.daily.due_reveals(NOW + timedelta(hours=2)) == []
    await db.daily.mark_reveal_shown(challenge_id)
    assert await db.daily.due_reveals(NOW + timedelta(days=2)) == []
    assert await db.daily.next_due() is None


async def test_setup_pulls_an_open_reveal_before_the_next_post(db: Database) -> None:
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW + timedelta(hours=20))
    await _schedule(db, next_post_at=NOW + timedelta(hours=4))
    challenge = await db.daily.challenge(challenge_id)
    assert challenge is not None
    assert challenge.reveal_at == NOW + timedelta(hours=4) - timedelta(minutes=1)


async def test_breaking_streaks_settles_holders_who_did_not_answer_once(db: Database) -> None:
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW)
    running = StreakState(current=2, best=2, last_day=DAY - timedelta(days=1))
    for user_id in (1, 2, 3):
        await seed_daily_streak(db, GUILD, user_id, running, NOW)
    await seed_daily_streak(db, GUILD, 4, StreakState(0, 5, DAY - timedelta(days=1)), NOW)
    await seed_daily_streak(db, OTHER_GUILD, 2, running, NOW)
    await _record(db, challenge_id, 1, True)
    challenge = await db.daily.challenge(challenge_id)
    assert challenge is not None
    assert await db.daily.break_missed_streaks(challenge, NOW) == [2, 3]
    assert await db.daily.streak(GUILD, 1) == StreakState(3, 3, DAY)
    for user_id in (2, 3):
        assert await db.daily.streak(GUILD, user_id) == StreakState(0, 2, DAY)
    assert await db.daily.streak(GUILD, 4) == StreakState(0, 5, DAY - timedelta(days=1))
    assert await db.daily.streak(OTHER_GUILD, 2) == running
    # Settled once: a second run (after a crash) finds nothing left to break.
    assert await db.daily.break_missed_streaks(challenge, NOW) == []


async def test_card_history_and_records(db: Database) -> None:
    first = await _intent(db, DAY, card="c-1")
    await _post(db, first, reveal_at=NOW)
    await _intent(db, DAY + timedelta(days=1), card="c-2")  # never posted: not history
    assert await db.daily.card_history(GUILD, "aws") == ["c-1"]
    assert await db.daily.card_history(GUILD, "other") == []
    await _record(db, first, 1, True)
    await _record(db, first, 2, False)
    await db.answers.record(
        NewAnswer(
            user_id=3,
            guild_id=GUILD,
            deck_id="aws",
            card_id="c-9",
            mode="multiple-choice",
            correct=False,
            answered_at=NOW,
            session_id="s",
            question_index=0,
        )
    )
    records = await db.daily.card_records(GUILD, "aws")
    assert records == {"c-1": CardRecord(2, 1), "c-9": CardRecord(1, 1)}
    assert await db.daily.card_records(OTHER_GUILD, "aws") == {}
    opened = await db.daily.open_challenges(GUILD, before=DAY + timedelta(days=1))
    assert [c.id for c in opened] == [first]


async def test_a_days_post_is_claimed_by_one_holder_until_its_lease_ends(db: Database) -> None:
    challenge_id = await _intent(db)
    lease = NOW + timedelta(minutes=2)
    assert await db.daily.claim(challenge_id, holder="a", now=NOW, until=lease)
    assert not await db.daily.claim(challenge_id, holder="b", now=NOW, until=lease)
    claim = await db.daily.claim_of(challenge_id)
    assert claim is not None and (claim.holder, claim.until) == ("a", lease)
    # The holder may renew; nobody else may send under its claim.
    assert await db.daily.claim(challenge_id, holder="a", now=NOW, until=lease)
    assert not await db.daily.begin_send(
        challenge_id, attempts=0, channel_id=1, role_id=None, holder="b"
    )
    # The lease ended: the holder is taken to be dead, and another takes over.
    later = lease + timedelta(seconds=1)
    assert await db.daily.claim(challenge_id, holder="b", now=later, until=later)
    assert not await db.daily.begin_send(
        challenge_id, attempts=0, channel_id=1, role_id=None, holder="a"
    )
    assert await db.daily.begin_send(
        challenge_id, attempts=0, channel_id=1, role_id=None, holder="b"
    )


async def test_a_posted_day_cannot_be_claimed(db: Database) -> None:
    challenge_id = await _intent(db)
    await _post(db, challenge_id, reveal_at=NOW + timedelta(hours=1))
    assert not await db.daily.claim(challenge_id, holder="a", now=NOW, until=NOW)


async def test_due_work_is_filtered_to_a_processs_shards(db: Database) -> None:
    on_zero, on_one = 0 << 22 | 77, 1 << 22 | 77
    for guild_id in (on_zero, on_one):
        await db.members.upsert_guild(guild_id, str(guild_id), NOW)
        await _schedule(db, guild_id, next_post_at=NOW)
    zero, one = ShardScope(2, (0,)), ShardScope(2, (1,))
    due = {s.guild_id for s in await db.daily.due_schedules(NOW, shards=zero)}
    assert on_zero in due and on_one not in due
    due = {s.guild_id for s in await db.daily.due_schedules(NOW, shards=one)}
    assert on_one in due and on_zero not in due
    assert await db.daily.next_due(shards=one) == NOW
