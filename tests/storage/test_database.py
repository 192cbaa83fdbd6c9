"""Storage round trips on a real SQLite file in a temp dir."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage import Answer, Database, MemberName, NewAnswer
from tests.engines import rows, target_of, url_of
from tests.harness import cap_the_file, free_the_disk
from tests.helpers.database import answers_of
from tests.storage.conftest import NOW

pytestmark = pytest.mark.engines


def _answer(**overrides: object) -> NewAnswer:
    values: dict[str, object] = {
        "user_id": 1,
        "guild_id": 10,
        "deck_id": "aws",
        "card_id": "c-1",
        "mode": "multiple-choice",
        "correct": True,
        "answered_at": NOW,
        "points": 1,
        "response_ms": 1234,
        "session_id": "s1",
        "question_index": 0,
    }
    values.update(overrides)
    return NewAnswer(**values)  # type: ignore[arg-type]


async def test_users_and_guilds_round_trip(db: Database) -> None:
    user = await db.members.user(1)
    assert user is not None and user.display_name == "alice" and user.updated_at == NOW
    await db.members.upsert_user(1, "alice2", NOW + timedelta(hours=1))
    user = await db.members.user(1)
    assert user is not None and user.display_name == "alice2"
    guild = await db.members.guild(10)
    assert guild is not None and (guild.name, guild.timezone) == ("Study Hall", "UTC")
    assert await db.members.user(2) is None


async def test_answer_round_trip(db: Database) -> None:
    stored = await db.answers.record(_answer())
    assert stored is not None
    assert (stored.user_id, stored.guild_id, stored.deck_id, stored.card_id) == (
        1,
        10,
        "aws",
        "c-1",
    )
    assert (stored.correct, stored.points, stored.response_ms) == (True, 1, 1234)
    assert stored.answered_at == NOW
    assert answers_of(db, 1) == [stored]


async def test_a_question_is_answered_once(db: Database) -> None:
    first = await db.answers.record(_answer())
    again = await db.answers.record(_answer(correct=False, points=0))
    assert first is not None and again is None
    answers = answers_of(db, 1)
    assert [(a.correct, a.points) for a in answers] == [(True, 1)]


async def test_racing_answers_to_one_question_store_one(db: Database) -> None:
    results = await asyncio.gather(*(db.answers.record(_answer()) for _ in range(20)))
    assert sum(r is not None for r in results) == 1
    assert len(answers_of(db, 1)) == 1


async def test_a_daily_challenge_is_answered_once_per_user(db: Database) -> None:
    await db.members.upsert_user(2, "bob", NOW)
    daily = {"mode": "daily", "session_id": None, "question_index": None, "challenge_id": 7}
    assert await db.answers.record(_answer(**daily)) is not None
    assert await db.answers.record(_answer(**daily)) is None
    assert await db.answers.record(_answer(user_id=2, **daily)) is not None


async def test_dm_answers_have_no_guild(db: Database) -> None:
    stored = await db.answers.record(_answer(guild_id=None))
    assert stored is not None and stored.guild_id is None
    assert answers_of(db, 1, guild_id=10) == []


async def test_deck_progress(db: Database) -> None:
    await db.answers.record(_answer(question_index=0, card_id="a"))
    await db.answers.record(_answer(question_index=1, card_id="b", correct=False, points=0))
    await db.answers.record(_answer(question_index=2, card_id="a"))
    progress = await db.stats.deck_progress(1, "aws")
    assert (progress.answered, progress.correct, progress.distinct_cards) == (3, 2, 2)
    assert progress.judged == 3
    # A self-graded card is an answer, but not a judged one.
    flashcard = {"mode": "flashcard", "grade": "good", "points": 0, "question_index": 3}
    await db.answers.record(_answer(card_id="c", **flashcard))
    progress = await db.stats.deck_progress(1, "aws")
    assert (progress.answered, progress.judged, progress.correct) == (4, 3, 2)


async def test_invalid_answers_are_refused_before_sql() -> None:
    with pytest.raises(ValueError, match="unknown answer mode"):
        _answer(mode="guess")
    with pytest.raises(ValueError, match="needs its question index"):
        _answer(question_index=None)


async def test_state_round_trip(db: Database) -> None:
    assert await db.state.get("k") is None
    await db.state.set("k", "v1", NOW)
    await db.state.set("k", "v2", NOW)
    assert await db.state.get("k") == "v2"


async def test_data_survives_reopening(bot_database: Path | str) -> None:
    path = url_of(bot_database)
    async with await Database.connect(path) as first:
        await first.members.upsert_user(1, "alice", NOW)
        await first.answers.record(_answer(guild_id=None))
    async with await Database.connect(path) as second:
        assert len(answers_of(second, 1)) == 1


def _names(db: Database) -> dict[int, str]:
    """Every stored name, read from the file as another process would."""
    found = rows(target_of(db), "SELECT id, display_name FROM users")
    return {int(row[0]): str(row[1]) for row in found}


async def test_concurrent_writes_all_land(db: Database) -> None:
    await asyncio.gather(
        *(db.members.upsert(MemberName(uid, f"member {uid}", 10, "Hall"), NOW) for uid in range(20))
    )
    assert _names(db) == {uid: f"member {uid}" for uid in range(20)}


@pytest.mark.sqlite_only  # a trigger in SQLite's own syntax
async def test_a_failing_write_undoes_only_itself(db: Database) -> None:
    with sqlite3.connect(db.path) as raw:
        raw.execute(
            "CREATE TRIGGER refuse_third BEFORE INSERT ON users WHEN NEW.id = 102 "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    outcomes = await asyncio.gather(
        *(db.members.upsert_user(uid, f"member {uid}", NOW) for uid in range(100, 105)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[2], sqlite3.IntegrityError)
    assert [o for i, o in enumerate(outcomes) if i != 2] == [None] * 4
    assert sorted(_names(db)) == [1, 100, 101, 103, 104]


@pytest.mark.sqlite_only  # SQLite's page limit stands for the full disk
async def test_a_full_disk_fails_exactly_the_writes_it_reports(db: Database) -> None:
    """Whatever SQLite does on a full disk (fail the statement, or roll back the whole
    transaction), each writer is told the truth: stored, or an error and not stored."""
    await db.answers.record(_answer(question_index=0))
    await cap_the_file(db, extra_pages=3)  # an answer also writes its indexes and review
    filler = "x" * 1500  # a few of these fit in the pages left, not all
    outcomes = await asyncio.gather(
        *(
            db.answers.record(_answer(question_index=index, card_id=f"{filler}{index}"))
            for index in range(1, 9)
        ),
        return_exceptions=True,
    )
    failed = [i + 1 for i, o in enumerate(outcomes) if isinstance(o, sqlite3.OperationalError)]
    stored = [o.question_index for o in outcomes if isinstance(o, Answer)]
    assert failed and stored and len(failed) + len(stored) == 8, outcomes
    assert [a.question_index for a in answers_of(db, 1)] == [0, *stored]
    await free_the_disk(db)
    assert await db.answers.record(_answer(question_index=9)) is not None
    assert [a.question_index for a in answers_of(db, 1)] == [0, *stored, 9]
