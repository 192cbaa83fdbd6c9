"""The rules of a live round: options, card order, points, reveal, end, hint, scoreboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.answers import Mode
from bot.domain.grading import grade_typed_answer
from bot.domain.rounds import (
    RESTART_GRACE,
    EndReason,
    InvalidRoundOptionsError,
    RoundAnswerRow,
    Standing,
    check_round_options,
    choose_cards,
    deadline_after_restart,
    ends_after,
    hint,
    hint_at,
    points_for,
    reveal_early,
    scoreboard,
    typed_is_right,
    winner,
)

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_options_are_checked() -> None:
    assert check_round_options("typed", 1, 5) is Mode.TYPED
    assert check_round_options("multiple-choice", 50, 120) is Mode.MULTIPLE_CHOICE
    for mode, questions, seconds in (
        ("flashcard", 10, 20),
        ("typed", 0, 20),
        ("typed", 51, 20),
        ("typed", 10, 4),
        ("typed", 10, 121),
    ):
        with pytest.raises(InvalidRoundOptionsError):
            check_round_options(mode, questions, seconds)


def test_cards_never_repeat_and_the_longest_unseen_come_first() -> None:
    cards = [f"c{i}" for i in range(8)]
    seen = {"c0": 500, "c1": 100, "c2": 300, "c3": 200, "c4": 400}
    chosen = choose_cards(cards, seen, 8, seed="s")
    assert len(chosen) == len(set(chosen)) == 8
    assert set(chosen[:3]) == {"c5", "c6", "c7"}  # never seen in this channel
    assert chosen[3:] == ["c1", "c3", "c2", "c4", "c0"]  # then the oldest seen
    assert choose_cards(cards, seen, 4, seed="s") == chosen[:4]
    assert choose_cards(cards + cards, {}, 20, seed="t") == choose_cards(cards, {}, 20, seed="t")
    assert len(choose_cards(cards, {}, 20, seed="t")) == 8


def test_points_one_for_right_and_one_more_for_the_first() -> None:
    assert points_for(True, first_right=True) == 2
    assert points_for(True, first_right=False) == 1
    assert points_for(False, first_right=True) == 0


def test_a_close_call_counts_as_wrong() -> None:
    back = "Amazon SageMaker Model Monitor"
    assert typed_is_right(grade_typed_answer("sagemaker model monitor", back))
    assert not typed_is_right(grade_typed_answer("CloudWatch", back))
    unsure = grade_typed_answer("model monitor", back)
    assert unsure.verdict.value == "unsure"
    assert not typed_is_right(unsure)


def test_early_reveal_only_when_every_earlier_player_answered() -> None:
    assert not reveal_early(0, 0)  # the first question runs its time
    assert not reveal_early(3, 1)
    assert reveal_early(3, 0)


def test_the_end_conditions() -> None:
    assert ends_after(0, 10, 0) is None
    assert ends_after(0, 10, 1) is None
    assert ends_after(3, 10, 2) is EndReason.UNANSWERED
    assert ends_after(9, 10, 0) is EndReason.LAST_QUESTION
    assert ends_after(9, 10, 2) is EndReason.UNANSWERED


def test_the_hint_shows_a_quarter_of_the_letters() -> None:
    assert hint("SageMaker endpoint") == "S___M___r ___p___t"
    assert hint("S3") == "S_"
    assert hint("a, b") == "a, _"
    shown = hint("Model deployment, endpoint creation")
    letters = [c for c in "Model deployment, endpoint creation" if c.isalnum()]
    assert sum(c != "_" and c.isalnum() for c in shown) == -(-len(letters) // 4)
    assert hint_at(NOON, NOON + timedelta(seconds=20)) == NOON + timedelta(seconds=10)


def test_a_restart_keeps_the_time_left_or_gives_a_fresh_short_time() -> None:
    later = NOON + timedelta(seconds=7)
    assert deadline_after_restart(later, NOON) == later
    assert deadline_after_restart(NOON, later) == later + RESTART_GRACE


def test_the_scoreboard_ranks_by_points_right_answers_and_speed() -> None:
    answers = [
        RoundAnswerRow(1, 0, True, 2, 1000),
        RoundAnswerRow(2, 0, True, 1, 3000),
        RoundAnswerRow(3, 0, False, 0, 500),
        RoundAnswerRow(2, 1, True, 2, 1000),
        RoundAnswerRow(1, 1, True, 1, 2000),
        RoundAnswerRow(4, 1, True, 1, 4000),
        RoundAnswerRow(5, 1, True, 1, 4000),
    ]
    board = scoreboard(answers)
    assert board == [
        Standing(1, 1, 3, 2, 2, 1500),
        Standing(2, 2, 3, 2, 2, 2000),
        Standing(3, 4, 1, 1, 1, 4000),
        Standing(3, 5, 1, 1, 1, 4000),
        Standing(5, 3, 0, 0, 1, 0),
    ]
    assert winner(board) == 1
    assert winner(board[2:4]) is None  # a tie at the top
    assert winner([Standing(1, 3, 0, 0, 1, 0)]) is None
    assert winner([]) is None
