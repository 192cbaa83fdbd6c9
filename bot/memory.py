"""Every stored answer also moves the member's memory of that card (spaced repetition)."""

from __future__ import annotations

from bot.domain.review import MemoryState, ReviewEvent, grade_for_answer, review
from bot.storage import Answer, Database


async def remember_answer(db: Database, answer: Answer) -> MemoryState | None:
    """Schedule the card's next review from this answer; None if it was already counted."""
    grade = grade_for_answer(
        mode=answer.mode,
        correct=answer.correct,
        self_grade=answer.grade,
        response_ms=answer.response_ms,
    )
    event = ReviewEvent(answer.card_id, grade, answer.answered_at, answer.response_ms)
    previous = await db.memory_state(answer.user_id, answer.deck_id, answer.card_id)
    state = review(previous, event, desired_retention=await db.desired_retention(answer.guild_id))
    saved = await db.save_review(answer.user_id, answer.deck_id, state, event, answer_id=answer.id)
    return state if saved else None
