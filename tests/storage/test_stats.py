"""Points, seasons, leaderboards, member statistics and forgetting, on a real SQLite file."""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from bot.domain.answers import Mode
from bot.domain.leaderboard import (
    Board,
    Standing,
    Window,
    page_of,
    study_streak_standing,
)
from bot.domain.quiz import SessionStatus
from bot.domain.streaks import StreakState
from bot.storage import Database, NewAnswer, boards, members
from bot.storage import stats as queries
from bot.storage.migrations import MIGRATIONS_DIR
from tests.engines import rows, target_of, url_of
from tests.factories import quiz_session
from tests.helpers.database import answers_of, seed_daily_streak

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GUILD, OTHER_GUILD = 10, 20
T = TypeVar("T")
pytestmark = pytest.mark.engines
ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4


@pytest.fixture
async def db(bot_database: Path | str) -> AsyncIterator[Database]:
    database = await Database.connect(url_of(bot_database))
    for guild_id, name in ((GUILD, "Study Hall"), (OTHER_GUILD, "Other")):
        await database.members.upsert_guild(guild_id, name, NOW)
    for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
        await database.members.upsert_user(user_id, name, NOW)
    yield database
    await database.close()


_counter = iter(range(1, 10**9))


async def answer(
    db: Database,
    user_id: int,
    at: datetime,
    *,
    guild_id: int | None = GUILD,
    correct: bool = True,
    mode: str = "multiple-choice",
    card_id: str = "c-1",
    deck_id: str = "aws",
    points: int | None = None,
) -> None:
    if points is None:
        points = (3 if mode == "daily" else 1) if correct and Mode(mode).judged else 0
    stored = await db.answers.record(
        NewAnswer(
            user_id=user_id,
            guild_id=guild_id,
            deck_id=deck_id,
            card_id=card_id,
            mode=mode,
            correct=correct,
            answered_at=at,
            points=points,
            grade=("good" if correct else "again") if mode == "flashcard" else None,
            session_id=f"s{next(_counter)}",
            question_index=0,
        )
    )
    assert stored is not None


def ranks(rows: boards.BoardRows) -> list[tuple[int, str | None, Fraction]]:
    return [(row.rank, row.name, row.value) for row in rows.rows]


# --- the points board ---------------------------------------------------------------------


async def test_points_count_quiz_answers_only_and_rank_high_first(db: Database) -> None:
    for _ in range(3):
        await answer(db, BOB, NOW)
    await answer(db, ALICE, NOW)
    await answer(db, ALICE, NOW, correct=False)
    await answer(db, ALICE, NOW, mode="flashcard")  # self-graded: no points
    await answer(db, ALICE, NOW, mode="review")  # nor reviews
    await answer(db, CAROL, NOW, mode="flashcard")
    await answer(db, CAROL, NOW, guild_id=None)  # a DM: no server's board
    await answer(db, CAROL, NOW, guild_id=OTHER_GUILD)
    page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=CAROL)
    assert ranks(page) == [(1, "bob", 3), (2, "alice", 1)]
    assert page.total == 2 and page.own is None
    # Only the judged answers make up the season totals (the migration's trigger
    # lists the judged modes).
    assert (page.rows[1].graded, page.rows[1].correct) == (2, 1)
    other = await db.boards.page(Board.POINTS, OTHER_GUILD, window=None, page=0, viewer_id=CAROL)
    assert ranks(other) == [(1, "carol", 1)]
    assert other.own is not None and other.own.rank == 1


async def test_daily_challenge_answers_score_three(db: Database) -> None:
    await answer(db, ALICE, NOW, mode="daily")
    await answer(db, BOB, NOW)
    page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
    assert ranks(page) == [(1, "alice", 3), (2, "bob", 1)]


async def test_equal_points_rank_who_reached_them_first(db: Database) -> None:
    await answer(db, ALICE, NOW)
    await answer(db, BOB, NOW - timedelta(hours=1))
    await answer(db, BOB, NOW + timedelta(hours=1), correct=False)  # no points: reached earlier
    await answer(db, CAROL, NOW - timedelta(hours=2))
    await answer(db, CAROL, NOW + timedelta(hours=2))
    await answer(db, ALICE, NOW - timedelta(hours=5))
    # Alice and Carol both have 2; Alice reached 2 at NOW, Carol at NOW + 2 h.
    for window in (None, Window(None, None)):
        page = await db.boards.page(Board.POINTS, GUILD, window=window, page=0, viewer_id=BOB)
        assert ranks(page) == [(1, "alice", 2), (2, "carol", 2), (3, "bob", 1)]


async def test_a_tie_at_the_same_instant_falls_back_to_the_user_id(db: Database) -> None:
    await answer(db, BOB, NOW)
    await answer(db, ALICE, NOW)
    page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=BOB)
    assert ranks(page) == [(1, "alice", 1), (2, "bob", 1)]
    assert page.own is not None and page.own.rank == 2


async def _crowd(db: Database, size: int) -> None:
    """Members 100.. with 1..size points: member 100 + k has k + 1 points."""
    for k in range(size):
        await db.members.upsert_user(100 + k, f"member {k}", NOW)
        for _ in range(k + 1):
            await answer(db, 100 + k, NOW - timedelta(minutes=k))


@pytest.mark.parametrize("window", [None, Window(None, None)])
async def test_pages_and_the_viewers_own_row_outside_them(
    db: Database, window: Window | None
) -> None:
    await _crowd(db, 25)
    first = await db.boards.page(Board.POINTS, GUILD, window=window, page=0, viewer_id=102)
    assert [r.rank for r in first.rows] == list(range(1, 11))
    assert first.rows[0].name == "member 24" and first.rows[0].value == 25
    assert first.total == 25
    assert first.own is not None
    assert (first.own.rank, first.own.name, first.own.value) == (23, "member 2", 3)
    last = await db.boards.page(Board.POINTS, GUILD, window=window, page=2, viewer_id=102)
    assert [(r.rank, r.name) for r in last.rows] == [
        (21, "member 4"),
        (22, "member 3"),
        (23, "member 2"),
        (24, "member 1"),
        (25, "member 0"),
    ]
    assert last.own is not None and last.own.rank == 23
    beyond = await db.boards.page(Board.POINTS, GUILD, window=window, page=5, viewer_id=ALICE)
    assert beyond.rows == [] and beyond.own is None and beyond.total == 25


async def test_the_sql_order_is_the_domain_order(db: Database) -> None:
    rng = random.Random(7)
    users = list(range(200, 240))
    for user_id in users:
        await db.members.upsert_user(user_id, f"u{user_id}", NOW)
    expected: dict[int, tuple[int, datetime]] = {}
    for _ in range(300):
        user_id = rng.choice(users)
        at = NOW - timedelta(minutes=rng.randrange(0, 30))  # many equal instants
        correct = rng.random() < 0.6
        await answer(db, user_id, at, correct=correct)
        if correct:
            points, reached = expected.get(user_id, (0, at))
            expected[user_id] = (points + 1, max(reached, at))
    standings = [Standing(u, Fraction(p), r) for u, (p, r) in expected.items()]
    for window in (None, Window(None, None)):
        for page in range(4):
            for viewer in (users[0], users[17]):
                want = page_of(standings, page, viewer)
                got = await db.boards.page(
                    Board.POINTS, GUILD, window=window, page=page, viewer_id=viewer
                )
                assert [(r.rank, r.user_id, r.value, r.reached_at) for r in got.rows] == [
                    (r.rank, r.standing.user_id, r.standing.value, r.standing.reached_at)
                    for r in want.rows
                ]
                assert got.total == want.total
                own = None if got.own is None else (got.own.rank, got.own.user_id)
                mine = None if want.own is None else (want.own.rank, want.own.standing.user_id)
                assert own == mine


async def test_a_period_counts_only_its_answers(db: Database) -> None:
    await answer(db, ALICE, NOW - timedelta(days=3))
    await answer(db, ALICE, NOW - timedelta(days=3))
    await answer(db, BOB, NOW)
    window = Window(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    page = await db.boards.page(Board.POINTS, GUILD, window=window, page=0, viewer_id=ALICE)
    assert ranks(page) == [(1, "bob", 1)]
    assert page.own is None
    everything = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
    assert ranks(everything) == [(1, "alice", 2), (2, "bob", 1)]


async def test_a_period_points_row_counts_the_members_judged_answers_of_the_period(
    db: Database,
) -> None:
    window = Window(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    await answer(db, ALICE, NOW)
    await answer(db, ALICE, NOW, correct=False)  # judged, no points
    await answer(db, ALICE, NOW, mode="daily", correct=False)
    await answer(db, ALICE, NOW, mode="flashcard")  # self-graded: not judged
    await answer(db, ALICE, NOW - timedelta(days=1))  # before the period
    await answer(db, ALICE, NOW, guild_id=OTHER_GUILD)  # another server
    await _crowd(db, 12)  # members 100..111 with 1..12 points, all in the period
    page = await db.boards.page(Board.POINTS, GUILD, window=window, page=0, viewer_id=ALICE)
    assert [(r.name, r.value, r.graded, r.correct) for r in page.rows[:2]] == [
        ("member 11", 12, 12, 12),
        ("member 10", 11, 11, 11),
    ]
    assert page.own is not None
    assert (page.own.rank, page.own.value, page.own.graded, page.own.correct) == (12, 1, 3, 1)


async def test_members_who_left_keep_their_last_name(db: Database) -> None:
    # Nothing tells the bot someone left; the board shows the name stored last.
    await answer(db, ALICE, NOW)
    await db.members.upsert_user(ALICE, "alice (renamed)", NOW + timedelta(days=1))
    page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=BOB)
    assert ranks(page) == [(1, "alice (renamed)", 1)]


# --- the accuracy board -------------------------------------------------------------------


async def test_accuracy_needs_twenty_judged_answers(db: Database) -> None:
    for i in range(20):
        await answer(db, ALICE, NOW + timedelta(seconds=i), correct=i < 15)  # 75%
    for _ in range(19):
        await answer(db, BOB, NOW, correct=True)  # 100%, but one short
    for _ in range(30):
        await answer(db, BOB, NOW, mode="flashcard")  # self-graded: does not count
    for i in range(40):
        await answer(db, CAROL, NOW + timedelta(seconds=i), correct=i < 30)  # 75% too
    for window in (None, Window(None, None)):
        page = await db.boards.page(Board.ACCURACY, GUILD, window=window, page=0, viewer_id=BOB)
        # Equal 75%: Alice's last judged answer (NOW + 19 s) precedes Carol's (NOW + 39 s).
        assert [(r.rank, r.name, r.value, r.correct, r.graded) for r in page.rows] == [
            (1, "alice", Fraction(3, 4), 15, 20),
            (2, "carol", Fraction(3, 4), 30, 40),
        ]
        assert page.own is None and page.total == 2


# --- seasons ------------------------------------------------------------------------------


async def test_a_season_counts_from_its_start_and_keeps_old_answers(db: Database) -> None:
    await answer(db, ALICE, NOW - timedelta(days=2))
    await answer(db, ALICE, NOW - timedelta(days=2))
    assert await db.boards.season(GUILD) is None
    season = await db.boards.start_season(
        GUILD, NOW, unless_started_since=NOW - timedelta(minutes=1)
    )
    assert season is not None and (season.number, season.started_at) == (1, NOW)
    empty = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
    assert empty.rows == [] and empty.total == 0
    await answer(db, BOB, NOW + timedelta(minutes=5))
    page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
    assert ranks(page) == [(1, "bob", 1)]
    assert len(answers_of(db, ALICE)) == 2  # kept
    # The other server's board is untouched.
    await answer(db, ALICE, NOW + timedelta(minutes=5), guild_id=OTHER_GUILD)
    other = await db.boards.page(Board.POINTS, OTHER_GUILD, window=None, page=0, viewer_id=ALICE)
    assert ranks(other) == [(1, "alice", 1)]


async def test_a_second_confirmation_of_the_same_prompt_starts_nothing(db: Database) -> None:
    shown = NOW - timedelta(seconds=30)
    first = await db.boards.start_season(GUILD, NOW, unless_started_since=shown)
    again = await db.boards.start_season(
        GUILD, NOW + timedelta(seconds=1), unless_started_since=shown
    )
    assert first is not None and again is None
    later = await db.boards.start_season(
        GUILD, NOW + timedelta(days=30), unless_started_since=NOW + timedelta(days=29)
    )
    assert later is not None and later.number == 2


async def test_answers_recorded_before_the_upgrade_count(tmp_path: Path) -> None:
    old = tmp_path / "old-migrations"
    old.mkdir()
    for script in sorted(MIGRATIONS_DIR.glob("000[123]_*.sql*")):
        shutil.copy(script, old / script.name)
    path = tmp_path / "upgraded.sqlite3"
    async with await Database.connect(f"sqlite:///{path}", migrations_dir=old) as before:
        await before.members.upsert_guild(GUILD, "Study Hall", NOW)
        await before.members.upsert_user(ALICE, "alice", NOW)
    # Stored as that release did: the answer rows alone.
    with sqlite3.connect(path) as raw:
        for minutes, correct in ((0, 1), (1, 0)):
            raw.execute(
                "INSERT INTO answers (user_id, guild_id, deck_id, card_id, mode, correct, "
                "points, answered_at) VALUES (?, ?, 'aws', 'c-1', 'multiple-choice', ?, ?, ?)",
                (
                    ALICE,
                    GUILD,
                    correct,
                    correct,
                    int((NOW + timedelta(minutes=minutes)).timestamp() * 1000),
                ),
            )
    async with await Database.connect(f"sqlite:///{path}") as after:
        page = await after.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
        assert [(r.rank, r.value, r.graded, r.reached_at) for r in page.rows] == [(1, 1, 2, NOW)]


# --- one member ---------------------------------------------------------------------------


async def test_member_totals_cards_and_activity(db: Database) -> None:
    await answer(db, ALICE, NOW - timedelta(days=40), card_id="a")
    await answer(db, ALICE, NOW - timedelta(days=1), card_id="a", correct=False)
    await answer(db, ALICE, NOW, card_id="b", mode="typed")
    await answer(db, ALICE, NOW, card_id="b", mode="flashcard")
    await answer(db, ALICE, NOW + timedelta(minutes=20), card_id="c", deck_id="other")
    await answer(db, ALICE, NOW, guild_id=None, card_id="a")
    await answer(db, BOB, NOW, card_id="a")
    totals = await db.stats.totals(ALICE, GUILD)
    assert totals == queries.MemberTotals(answers=5, graded=4, correct=3, points=3)
    recent = await db.stats.totals(ALICE, GUILD, since=NOW - timedelta(days=2))
    assert recent == queries.MemberTotals(answers=4, graded=3, correct=2, points=2)
    everywhere = await db.stats.totals(ALICE, None)
    assert everywhere == queries.MemberTotals(answers=6, graded=5, correct=4, points=4)
    cards = sorted(await db.stats.cards(ALICE, GUILD, "aws"), key=lambda c: c.card_id)
    assert cards == [queries.CardResult("a", 2, 1), queries.CardResult("b", 1, 1)]
    activity = await db.stats.activity(ALICE, GUILD, NOW - timedelta(days=2))
    assert sorted(activity) == [
        (NOW - timedelta(days=1), 1),
        (NOW, 2),
        (NOW + timedelta(minutes=15), 1),
    ]
    assert len(await db.stats.quarters(ALICE, GUILD)) == 4
    assert len(await db.stats.quarters(ALICE, None)) == 4  # the DM answer shares NOW's quarter


async def test_streaks_are_read_for_members_active_lately_each_in_their_own_zone(
    db: Database,
) -> None:
    await answer(db, ALICE, NOW - timedelta(days=5))
    await answer(db, ALICE, NOW - timedelta(hours=19))  # 23:00 on 1 March in Tokyo
    await answer(db, ALICE, NOW - timedelta(hours=16, minutes=55))
    await answer(db, ALICE, NOW - timedelta(hours=17))  # same quarter, 01:00 on 2 March there
    await answer(db, BOB, NOW - timedelta(days=5))  # not lately
    await answer(db, CAROL, NOW, guild_id=OTHER_GUILD)  # elsewhere
    await db.members.set_timezone(ALICE, "Asia/Tokyo", NOW)
    await db.members.set_timezone(CAROL, "Asia/Tokyo", NOW)
    found = await db.boards.study_streaks(GUILD, NOW, ZoneInfo("UTC"))
    # In UTC all three answers fell on 1 March: a streak of one, reached at 14:00.
    assert found == [Standing(ALICE, Fraction(2), NOW - timedelta(hours=17))]


async def test_streak_standings_read_a_long_run_whole_and_a_short_one_from_recent_days(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boards, "STREAK_DEEPER_DAYS", 10)
    # Alice: every day for 40 days, so her run reaches past both the recent days read
    # first and the longer stretch read next.
    for days_ago in range(40):
        await answer(db, ALICE, NOW - timedelta(days=days_ago, hours=1))
    # Dave: every day for 7 days, past the recent days but within the longer stretch.
    await db.members.upsert_user(DAVE, "dave", NOW)
    for days_ago in range(7):
        await answer(db, DAVE, NOW - timedelta(days=days_ago, hours=3))
    # Bob: a run of 3 days, after a break; in Tokyo his days end at 15:00 UTC.
    for days_ago in (30, 2, 1, 0):
        await answer(db, BOB, NOW - timedelta(days=days_ago, hours=2))
    await db.members.set_timezone(BOB, "Asia/Tokyo", NOW)
    # Carol: studied every day until four days ago: no current streak.
    for days_ago in range(4, 20):
        await answer(db, CAROL, NOW - timedelta(days=days_ago))
    await answer(db, CAROL, NOW, guild_id=OTHER_GUILD)  # elsewhere: not this server's

    found = await db.boards.study_streaks(GUILD, NOW, ZoneInfo("UTC"))

    assert sorted(found, key=lambda s: s.user_id) == [
        Standing(ALICE, Fraction(40), NOW - timedelta(hours=1)),
        Standing(BOB, Fraction(3), NOW - timedelta(hours=2)),
        Standing(DAVE, Fraction(7), NOW - timedelta(hours=3)),
    ]


@pytest.mark.parametrize(
    ("server_zone", "now"),
    [
        # A fixed offset: answers come one per day; and a zone whose clocks changed (8
        # March 2026 in New York) in the days read: answers come per quarter hour.
        ("Asia/Kathmandu", datetime(2026, 3, 12, 18, 20, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 12, 18, 20, tzinfo=UTC)),
        ("UTC", datetime(2026, 3, 12, 23, 50, tzinfo=UTC)),
    ],
)
async def test_streak_standings_match_each_members_whole_history(
    db: Database, monkeypatch: pytest.MonkeyPatch, server_zone: str, now: datetime
) -> None:
    # Short reads, so the runs of up to 12 days go through each of them.
    monkeypatch.setattr(boards, "STREAK_RECENT", timedelta(days=4))
    monkeypatch.setattr(boards, "STREAK_RECENT_DAYS", 2)
    monkeypatch.setattr(boards, "STREAK_DEEPER_DAYS", 5)
    rng = random.Random(11)
    own_zones = {101: "Asia/Tokyo", 102: "America/New_York", 103: "Asia/Kathmandu"}
    instants: dict[int, list[datetime]] = {}
    for user_id in range(100, 112):
        await db.members.upsert_user(user_id, f"u{user_id}", now)
        if user_id in own_zones:
            await db.members.set_timezone(user_id, own_zones[user_id], now)
        days = rng.randrange(1, 12)
        for days_ago in range(days):
            if rng.random() < 0.15 and days_ago:
                continue  # a break: the current run is shorter
            # Near local midnights of every zone in play, so a wrong day shows.
            at = now - timedelta(days=days_ago, minutes=rng.randrange(0, 24 * 60, 15))
            instants.setdefault(user_id, []).append(at)
            await answer(db, user_id, at)
    found = await db.boards.study_streaks(GUILD, now, ZoneInfo(server_zone))
    expected = []
    for user_id, times in instants.items():
        zone = ZoneInfo(own_zones.get(user_id, server_zone))
        standing = study_streak_standing(user_id, times, zone, now)
        if standing is not None:
            expected.append(standing)
    assert len(expected) > 3
    assert sorted(found, key=lambda s: s.user_id) == sorted(expected, key=lambda s: s.user_id)


# --- forgetting ---------------------------------------------------------------------------


async def _session(db: Database, user_id: int, session_id: str) -> None:
    await db.sessions.create(
        quiz_session(
            id=session_id,
            user_id=user_id,
            guild_id=GUILD,
            channel_id=5,
            deck_id="aws",
            status=SessionStatus.FINISHED,
            started_at=NOW,
            updated_at=NOW,
            question_shown_at=NOW,
        ),
        replace_active=False,
    )


def _rows_of(db: Database, user_id: int) -> dict[str, int]:
    return {
        table: rows(target_of(db), f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", user_id)[0][
            0
        ]
        for table, column in (
            ("answers", "user_id"),
            ("quiz_sessions", "user_id"),
            ("daily_streaks", "user_id"),
            ("season_totals", "user_id"),
            ("users", "id"),
        )
    }


async def test_forgetting_deletes_that_user_everywhere_and_nobody_else(db: Database) -> None:
    for user_id in (ALICE, BOB):
        await answer(db, user_id, NOW)
        await answer(db, user_id, NOW, guild_id=OTHER_GUILD)
        await answer(db, user_id, NOW, guild_id=None)
        await _session(db, user_id, f"sess{user_id}")
        await seed_daily_streak(db, GUILD, user_id, StreakState(2, 3, NOW.date()), NOW)
    before = await db.members.stored(ALICE)
    assert before == members.UserData(
        answers=3, servers=2, dm_answers=1, sessions=1, daily_streaks=1, profile=True
    )
    deleted = await db.members.forget(ALICE)
    assert deleted == before
    assert _rows_of(db, ALICE) == {
        "answers": 0,
        "quiz_sessions": 0,
        "daily_streaks": 0,
        "season_totals": 0,
        "users": 0,
    }
    assert _rows_of(db, BOB) == {
        "answers": 3,
        "quiz_sessions": 1,
        "daily_streaks": 1,
        "season_totals": 2,
        "users": 1,
    }
    assert rows(target_of(db), "SELECT session_id FROM quiz_session_questions") == [(f"sess{BOB}",)]
    assert (await db.members.stored(ALICE)).empty
    page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
    assert ranks(page) == [(1, "bob", 1)]


# --- query plans --------------------------------------------------------------------------

PARAMS: dict[str, Any] = {
    "guild": GUILD,
    "user": ALICE,
    "viewer": ALICE,
    "first": 1,
    "last": 10,
    "start": 0,
    "end": 2**40,
    "since": 0,
    "answered_from": 0,
    "user_1": ALICE,
    "user_2": BOB,
    "deck": "aws",
    "limit": 10,
    "offset": 0,
    "points": 3,
    "at": 5,
    "today": 20_000,
    "today_from": 20_000 * 86_400_000,
    "yesterday_from": 19_999 * 86_400_000,
    "until": 2**40,
}
PLANNED = {
    "points page of a period": (boards.period_points_sql(), "answers_by_guild_time"),
    "accuracy by period": (boards.accuracy_sql(season=False), "answers_by_guild_time"),
    "accuracy of the season": (boards.accuracy_sql(season=True), None),
    "season points page": (boards.SEASON_POINTS_PAGE_SQL, None),
    "season points count": (boards.SEASON_POINTS_COUNT_SQL, None),
    "season points viewer": (boards.SEASON_POINTS_VIEWER_SQL, None),
    "season points ahead": (boards.SEASON_POINTS_AHEAD_SQL, None),
    "recent study": (boards.RECENT_STUDY_SQL, "answers_by_member"),
    "recent zones": (boards.RECENT_ZONES_SQL, "answers_by_guild_time"),
    "study history": (boards.study_history_sql(2), "answers_by_member"),
    "study history since": (boards.study_history_sql(2, since=True), "answers_by_member"),
    "recent study days": (boards.study_days_sql(3_600_000), "answers_by_guild_time"),
    "recent study days of members": (boards.study_days_sql(-3_600_000, 2), "answers_by_member"),
    "study history by days": (boards.study_history_sql(2, -3_600_000), "answers_by_member"),
    "member totals": (queries.member_totals_sql(GUILD), "answers_by_member"),
    "member cards": (queries.card_results_sql(GUILD), "answers_by_member"),
    "member activity": (queries.activity_sql(GUILD), "answers_by_member"),
    "member study quarters": (queries.study_quarters_sql(GUILD), "answers_by_member"),
    "totals everywhere": (queries.member_totals_sql(None), "answers_by_user"),
    "activity everywhere": (queries.activity_sql(None), "answers_by_user"),
    "study quarters everywhere": (queries.study_quarters_sql(None), "answers_by_user"),
}


@pytest.mark.sqlite_only  # SQLite's planner, whose choices the index hints steer
@pytest.mark.parametrize("name", sorted(PLANNED))
async def test_leaderboard_and_stats_queries_search_indexes(db: Database, name: str) -> None:
    sql, index = PLANNED[name]
    params = {key: value for key, value in PARAMS.items() if f":{key}" in sql}
    with sqlite3.connect(db.path) as conn:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    touching = [step for step in plan if " answers " in f" {step} " or "season_totals" in step]
    assert touching, plan
    for step in touching:
        assert step.startswith("SEARCH "), plan  # never a SCAN of answers or season totals
        assert "USING" in step and "INDEX" in step or "PRIMARY KEY" in step, plan
    if index is not None:
        assert any(f"INDEX {index} " in step for step in touching), plan


async def _read_while(
    db: Database, write: asyncio.Task[Any], read: Callable[[], Awaitable[T]]
) -> list[T]:
    """What sixteen readers saw, each reading over and over until the write is done.

    Reader k first makes k one-statement reads, so the readers are at different points
    of their reads whenever the write moves on."""
    seen: list[T] = []

    async def reader(offset: int) -> None:
        for _ in range(offset):
            await db.members.guild(GUILD)
        seen.append(await read())
        while not write.done():
            seen.append(await read())

    await asyncio.gather(*(reader(k) for k in range(16)))
    return seen


async def test_a_read_during_forgetting_sees_all_of_the_member_or_none(db: Database) -> None:
    """Reads run while /forgetme deletes: each sees the member as before or as gone,
    never "no answers, but the profile still there"."""
    for at in range(3):
        await answer(db, ALICE, NOW + timedelta(seconds=at))
    await answer(db, ALICE, NOW, guild_id=None)
    await _session(db, ALICE, "sessalice")
    await seed_daily_streak(db, GUILD, ALICE, StreakState(2, 3, NOW.date()), NOW)
    before = await db.members.stored(ALICE)
    gone = members.UserData(0, 0, 0, 0, 0, False)
    forgetting = asyncio.create_task(db.members.forget(ALICE))
    seen = await _read_while(db, forgetting, lambda: db.members.stored(ALICE))
    assert await forgetting == before
    seen.append(await db.members.stored(ALICE))
    assert seen[-1] == gone
    assert [s for s in seen if s not in (before, gone)] == []


async def test_a_points_page_and_its_total_come_from_one_moment(db: Database) -> None:
    """While a member on the board is forgotten, each read of the all-time points board
    shows its rows and its member count from the same moment."""
    for number, user_id in enumerate((ALICE, BOB, CAROL) * 20):
        await answer(db, user_id, NOW + timedelta(seconds=number))

    async def board() -> tuple[int, int]:
        page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=BOB)
        return len(page.rows), page.total

    forgetting = asyncio.create_task(db.members.forget(CAROL))
    seen = await _read_while(db, forgetting, board)
    await forgetting
    assert set(seen) <= {(3, 3), (2, 2)}
    assert await board() == (2, 2)


@pytest.mark.sqlite_only  # watches the SQLite write connection
async def test_a_write_cancelled_halfway_leaves_nothing_and_the_next_write_works(
    db: Database,
) -> None:
    """A forget cancelled inside its transaction (the member's interaction timed out, the
    bot shut down) is rolled back whole, and the write connection is free again."""
    for at in range(3):
        await answer(db, ALICE, NOW + timedelta(seconds=at))
    before = await db.members.stored(ALICE)
    forgetting = asyncio.create_task(db.members.forget(ALICE))
    for _ in range(10_000):  # until the transaction is open
        # The subject is a read in the middle of a write; only the write connection knows.
        if db._engine._writer.in_transaction:  # noqa: SLF001 - see above
            break
        await asyncio.sleep(0)
    assert db._engine._writer.in_transaction  # noqa: SLF001 - see above
    forgetting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await forgetting
    assert await db.members.stored(ALICE) == before
    await answer(db, ALICE, NOW + timedelta(seconds=9))
    assert (await db.members.stored(ALICE)).answers == before.answers + 1


async def test_a_board_read_while_a_season_starts_is_never_empty(db: Database) -> None:
    """The season totals are rebuilt in one transaction: a board read meanwhile shows
    the board as it was or as it is after, never the empty moment in between."""
    for number, user_id in enumerate((ALICE, BOB, CAROL, ALICE, BOB)):
        await answer(db, user_id, NOW + timedelta(seconds=number))

    async def board() -> list[tuple[int, Fraction]]:
        page = await db.boards.page(Board.POINTS, GUILD, window=None, page=0, viewer_id=ALICE)
        return [(row.user_id, row.value) for row in page.rows]

    before = await board()
    assert len(before) == 3
    starting = asyncio.create_task(
        db.boards.start_season(GUILD, NOW, unless_started_since=NOW - timedelta(minutes=1))
    )
    seen = await _read_while(db, starting, board)
    assert await starting is not None
    seen.append(await board())
    assert [rows for rows in seen if rows != before] == []


async def test_decks_by_recency_puts_the_deck_studied_last_first_per_server(db: Database) -> None:
    await answer(db, ALICE, NOW, deck_id="old")
    await answer(db, ALICE, NOW + timedelta(hours=1), deck_id="new")
    await answer(db, ALICE, NOW + timedelta(hours=2), deck_id="elsewhere", guild_id=OTHER_GUILD)
    await answer(db, ALICE, NOW + timedelta(hours=3), deck_id="dm", guild_id=None)
    await answer(db, BOB, NOW + timedelta(hours=4), deck_id="bobs")
    assert await db.stats.decks_by_recency(ALICE, GUILD) == ["new", "old"]
    assert await db.stats.decks_by_recency(ALICE, None) == ["dm", "elsewhere", "new", "old"]
    assert await db.stats.decks_by_recency(CAROL, GUILD) == []
