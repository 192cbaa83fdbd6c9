"""Every stored answer has exactly one review, written in the answer's own transaction,
and no answer id is ever handed out twice, whatever /forgetme deletes meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import review as domain_review
from bot.storage import Database, NewAnswer
from bot.storage import reviews as reviews_module
from tests.engines import rows, target_of
from tests.helpers.database import answers_of, memory_state
from tests.storage.conftest import NOW

pytestmark = pytest.mark.engines


def _answer(index: int, *, user_id: int = 1, session: str = "s1") -> NewAnswer:
    return NewAnswer(
        user_id=user_id,
        guild_id=10,
        deck_id="aws",
        card_id=f"c-{index}",
        mode="multiple-choice",
        correct=True,
        answered_at=NOW + timedelta(seconds=index),
        points=1,
        response_ms=1000,
        session_id=f"{session}-u{user_id}",
        question_index=index,
    )


def _reviews_per_answer(path: Path | str) -> list[tuple[int, int]]:
    """(answer id, review log rows) of every stored answer, read by another connection."""
    return rows(
        path,
        "SELECT a.id, (SELECT COUNT(*) FROM review_log AS r WHERE r.answer_id = a.id) "
        "FROM answers AS a ORDER BY a.id",
    )


def _orphan_reviews(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM review_log WHERE answer_id IS NOT NULL "
                "AND answer_id NOT IN (SELECT id FROM answers)"
            ).fetchone()[0]
        )


async def test_a_read_sees_the_review_of_an_answer_just_stored(db: Database) -> None:
    await db.answers.record(_answer(0))
    state = await memory_state(db, 1, "aws", "c-0")
    assert state is not None and state.reviews == 1
    assert _reviews_per_answer(target_of(db)) == [(1, 1)]


async def test_the_answer_after_the_last_answerer_forgets_gets_a_new_id_and_its_review(
    db: Database,
) -> None:
    """The member who answered last runs /forgetme: the next answer's id is above every id
    handed out before, and it moves its member's memory as any answer does."""
    await db.members.upsert_user(2, "bob", NOW)
    for index in range(3):
        await db.answers.record(_answer(index, user_id=2))
    for index in range(3):
        await db.answers.record(_answer(index))  # alice answered last: ids 4 to 6
    handed_out = max(answer_id for answer_id, _ in _reviews_per_answer(target_of(db)))
    await db.members.forget(1)
    await db.members.upsert_user(1, "alice", NOW)
    stored = await db.answers.record(_answer(7, session="again"))
    state = await memory_state(db, 1, "aws", "c-7")
    assert state is not None and state.reviews == 1
    assert stored is not None and stored.id > handed_out
    assert [count for _, count in _reviews_per_answer(target_of(db))] == [1, 1, 1, 1]


async def test_an_answer_whose_review_fails_is_not_stored(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer and its review land together or not at all: a review that cannot be
    worked out refuses the answer (the member is told), and holds up no other."""
    real_review = domain_review.review

    def review(previous: Any, event: Any, **kwargs: Any) -> Any:
        if event.card_id == "c-1":
            raise ValueError("a card the scheduler cannot take")
        return real_review(previous, event, **kwargs)

    monkeypatch.setattr(reviews_module, "review", review)
    await db.answers.record(_answer(0))
    with pytest.raises(ValueError, match="scheduler cannot take"):
        await db.answers.record(_answer(1))
    await db.answers.record(_answer(2))
    assert [a.card_id for a in answers_of(db, 1)] == ["c-0", "c-2"]
    assert [count for _, count in _reviews_per_answer(target_of(db))] == [1, 1]


Step = tuple[str, int]  # ("answer", member) or ("forget", member)

_steps = st.lists(
    st.tuples(st.sampled_from(["answer", "answer", "forget"]), st.integers(1, 3)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps)
def test_any_interleaving_of_answers_and_forgetting_leaves_one_review_per_answer(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Step]
) -> None:
    """Whatever order members answer and forget themselves in, every stored answer has
    exactly one review, no review outlives its answer, and ids only ever go up."""
    path = tmp_path_factory.mktemp("interleaving") / "bot.sqlite3"

    async def play() -> None:
        async with await Database.connect(f"sqlite:///{path}") as db:
            await db.members.upsert_guild(10, "Study Hall", NOW)
            highest = 0
            for number, (step, member) in enumerate(steps):
                if step == "forget":
                    await db.members.forget(member)
                    continue
                await db.members.upsert_user(member, f"member {member}", NOW)
                stored = await db.answers.record(_answer(number, user_id=member))
                assert stored is not None and stored.id > highest
                highest = stored.id
                state = await memory_state(db, member, "aws", f"c-{number}")
                assert state is not None
            assert all(count == 1 for _, count in _reviews_per_answer(path))
            assert _orphan_reviews(path) == 0

    asyncio.run(play())
