"""Reviews follow answers: written in the background once answers pause, never lost."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain import review as domain_review
from bot.storage import Database, NewAnswer
from bot.storage import reviews as reviews_module
from tests.storage.conftest import NOW


def _answer(index: int) -> NewAnswer:
    return NewAnswer(
        user_id=1,
        guild_id=10,
        deck_id="aws",
        card_id=f"c-{index}",
        mode="multiple-choice",
        correct=True,
        answered_at=NOW + timedelta(seconds=index),
        points=1,
        response_ms=1000,
        session_id="s1",
        question_index=index,
    )


def _logged(path: Path) -> int:
    """Review log rows, read by another connection: no read of the bot's catches up."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0])


async def _until_logged(path: Path, count: int, within: float) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while _logged(path) < count:
        assert loop.time() - started < within, f"{_logged(path)} of {count} reviews written"
        await asyncio.sleep(0.01)


async def test_reviews_are_written_once_answers_pause(db: Database) -> None:
    for index in range(5):
        await db.record_answer(_answer(index))
    await _until_logged(db.path, 5, within=2.0)  # with no read to ask for them


async def test_answers_that_never_pause_still_get_their_reviews(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reviews_module, "REVIEW_WHEN_QUIET", 10.0)
    monkeypatch.setattr(reviews_module, "REVIEW_AT_LEAST_EVERY", 0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    index = 0
    while _logged(db.path) == 0:  # an answer every 20 ms: never quiet for 10 s
        assert loop.time() - started < 3.0, "no review written under a steady stream"
        await db.record_answer(_answer(index))
        index += 1
        await asyncio.sleep(0.02)


async def test_a_read_sees_the_review_of_an_answer_just_stored(db: Database) -> None:
    await db.record_answer(_answer(0))
    state = await db.memory_state(1, "aws", "c-0")
    assert state is not None and state.reviews == 1
    assert _logged(db.path) == 1


async def test_closing_writes_the_reviews_still_owed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reviews_module, "REVIEW_WHEN_QUIET", 60.0)
    monkeypatch.setattr(reviews_module, "REVIEW_AT_LEAST_EVERY", 60.0)
    path = tmp_path / "bot.sqlite3"
    async with await Database.open(path) as db:
        await db.upsert_user(1, "alice", NOW)
        await db.upsert_guild(10, "Study Hall", NOW)
        for index in range(3):
            await db.record_answer(_answer(index))
        assert _logged(path) == 0
    assert _logged(path) == 3


async def test_an_answer_that_cannot_be_reviewed_holds_up_no_other(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in reviewing one answer is logged; the reviews after it go on."""
    real_review = domain_review.review

    def review(previous: Any, event: Any, **kwargs: Any) -> Any:
        if event.card_id == "c-1":
            raise ValueError("a card the scheduler cannot take")
        return real_review(previous, event, **kwargs)

    monkeypatch.setattr(reviews_module, "review", review)
    for index in range(3):
        await db.record_answer(_answer(index))
    assert await db.memory_state(1, "aws", "c-1") is None
    assert [await db.memory_state(1, "aws", f"c-{i}") is not None for i in (0, 2)] == [True, True]
    assert _logged(db.path) == 2
    assert "left without a review" in caplog.text
    await db.record_answer(_answer(3))  # and later answers are reviewed as usual
    assert await db.memory_state(1, "aws", "c-3") is not None
