"""Queries for points, streaks, leaderboards and statistics.

The points and accuracy boards rank in SQL with the order `bot.domain.leaderboard`
defines (value descending, earlier reached first, then user id), so only one page
and the viewer's row leave the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.leaderboard import (
    MIN_ACCURACY_ANSWERS,
    PAGE_SIZE,
    Board,
    Standing,
    Window,
    rank_range,
    recent_streak_standing,
    study_streak_standing,
)
from bot.domain.streaks import StreakState
from bot.domain.timezones import zone_or_utc
from bot.storage.base import SQLITE, Conn, Connection, Dialect, Row, fetchall, fetchone
from bot.storage.models import JUDGED_MODES_SQL, from_ms, to_ms

QUARTER_MS = 900_000
# No timestamp comes near this; it stands for "no end" in range conditions.
_FAR_FUTURE_MS = 2**62

# The columns every board source yields, whatever it reads from.
_SEASON_SOURCE = (
    "SELECT user_id, points, points_at, graded, correct, graded_at "
    "FROM season_totals WHERE guild_id = :guild"
)
_PERIOD_SOURCE = (
    "SELECT user_id, SUM(points) AS points, "
    "MAX(CASE WHEN points > 0 THEN answered_at END) AS points_at, "
    "COUNT(*) AS graded, SUM(correct) AS correct, MAX(answered_at) AS graded_at "
    # Named: without statistics the planner would rather walk the whole server in
    # user order (to skip a sort) than read only the period's range.
    "FROM answers {indexed_by} "
    "WHERE guild_id = :guild AND answered_at >= :start AND answered_at < :end "
    f"AND mode IN {JUDGED_MODES_SQL} GROUP BY user_id"
)
_BOARD_RULES = {
    Board.POINTS: ("points > 0", "points DESC, points_at, user_id", "points", "points_at"),
    Board.ACCURACY: (
        f"graded >= {MIN_ACCURACY_ANSWERS}",
        "CAST(correct AS DOUBLE PRECISION) / graded DESC, graded_at, user_id",
        "correct",
        "graded_at",
    ),
}


def board_sql(board: Board, *, season: bool, dialect: Dialect = SQLITE) -> str:
    """The ranking query of a points or accuracy board, over the season or a period.

    Equal ratios give equal doubles (division is correctly rounded), so accuracy ties
    are exact; different ratios of realistic counts never round together.
    """
    where, order, value, reached = _BOARD_RULES[board]
    source = (
        _SEASON_SOURCE
        if season
        else _PERIOD_SOURCE.format(indexed_by=dialect.indexed_by("answers_by_guild_time"))
    )
    return (
        f"WITH source AS ({source}), ranked AS ("
        f"SELECT user_id, {value} AS value, {reached} AS reached, graded, correct, "
        f"ROW_NUMBER() OVER (ORDER BY {order}) AS rank, COUNT(*) OVER () AS total "
        f"FROM source WHERE {where}) "
        "SELECT rank, ranked.user_id, users.display_name, value, reached, graded, correct, total "
        "FROM ranked LEFT JOIN users ON users.id = ranked.user_id "
        # The last row comes along so the total is known even past the last page.
        "WHERE rank BETWEEN :first AND :last OR ranked.user_id = :viewer OR rank = total "
        "ORDER BY rank"
    )


# The season's points board, the default one, reads its index in board order: a
# page is a slice of it and a rank is the count of entries before the member's.
SEASON_POINTS_PAGE_SQL = (
    "SELECT user_id, users.display_name, points, points_at, graded, correct "
    "FROM season_totals LEFT JOIN users ON users.id = season_totals.user_id "
    "WHERE guild_id = :guild AND points > 0 "
    "ORDER BY points DESC, points_at, user_id LIMIT :limit OFFSET :offset"
)
SEASON_POINTS_COUNT_SQL = (
    "SELECT COUNT(*) FROM season_totals WHERE guild_id = :guild AND points > 0"
)
SEASON_POINTS_VIEWER_SQL = (
    "SELECT user_id, users.display_name, points, points_at, graded, correct "
    "FROM season_totals LEFT JOIN users ON users.id = season_totals.user_id "
    "WHERE guild_id = :guild AND user_id = :viewer AND points > 0"
)
SEASON_POINTS_AHEAD_SQL = (
    "SELECT (SELECT COUNT(*) FROM season_totals "
    "WHERE guild_id = :guild AND points > :points) + (SELECT COUNT(*) FROM season_totals "
    "WHERE guild_id = :guild AND points = :points AND (points_at, user_id) < (:at, :viewer))"
)

RECENT_STUDY_SQL = (
    "SELECT user_id, MIN(answered_at) FROM answers WHERE guild_id = :guild "
    "AND answered_at >= :answered_from AND user_id IN "
    "(SELECT user_id FROM answers WHERE guild_id = :guild AND answered_at >= :since) "
    f"GROUP BY user_id, answered_at / {QUARTER_MS}"
)
# Only members who answered since the start of yesterday in their zone can have a current
# study streak; that start is less than 50 hours ago in every zone, even on a 25-hour day.
STREAK_ACTIVE_WITHIN = timedelta(hours=50)
# Their answers of this many days settle most streaks; a run that reaches back so far is
# read again from the member's whole history in the server.
STREAK_RECENT = timedelta(days=15)
_USERS_PER_QUERY = 500
RECENT_ZONES_SQL = (
    "SELECT id, timezone FROM users WHERE timezone IS NOT NULL AND id IN "
    "(SELECT user_id FROM answers WHERE guild_id = :guild AND answered_at >= :since)"
)


def _scope(user_id: int, guild_id: int | None) -> tuple[str, dict[str, Any]]:
    """The condition for one member's answers in a server, or everywhere when None."""
    if guild_id is None:
        return "user_id = :user", {"user": user_id}
    return "guild_id = :guild AND user_id = :user", {"user": user_id, "guild": guild_id}


def study_history_sql(members: int) -> str:
    """Quarter hours studied in a server by members ``:user_1`` to ``:user_<members>``."""
    marks = ", ".join(f":user_{i}" for i in range(1, members + 1))
    return (
        "SELECT user_id, MIN(answered_at) FROM answers "
        f"WHERE guild_id = :guild AND user_id IN ({marks}) "
        f"GROUP BY user_id, answered_at / {QUARTER_MS}"
    )


def member_totals_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN mode IN {JUDGED_MODES_SQL} THEN correct END), 0), "
        f"COALESCE(SUM(points), 0) FROM answers WHERE {where} AND answered_at >= :since"
    )


def card_results_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        "SELECT card_id, COUNT(*), SUM(correct) FROM answers "
        f"WHERE {where} AND deck_id = :deck AND mode IN {JUDGED_MODES_SQL} GROUP BY card_id"
    )


def decks_by_recency_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        "SELECT deck_id FROM answers "
        f"WHERE {where} GROUP BY deck_id ORDER BY MAX(answered_at) DESC, MAX(id) DESC"
    )


def activity_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return (
        f"SELECT answered_at / {QUARTER_MS}, COUNT(*) FROM answers "
        f"WHERE {where} AND answered_at >= :since GROUP BY 1"
    )


def study_quarters_sql(guild_id: int | None) -> str:
    where, _ = _scope(0, guild_id)
    return f"SELECT DISTINCT answered_at / {QUARTER_MS} FROM answers WHERE {where}"


@dataclass(frozen=True)
class BoardRow:
    """One ranked member as stored: value, when it was reached, and the judged answers."""

    rank: int
    user_id: int
    name: str | None  # None only if the member's row vanished mid-query
    value: Fraction
    reached_at: datetime
    graded: int
    correct: int


@dataclass(frozen=True)
class BoardRows:
    rows: list[BoardRow]
    own: BoardRow | None
    total: int


@dataclass(frozen=True)
class Season:
    number: int
    started_at: datetime


@dataclass(frozen=True)
class MemberTotals:
    answers: int
    graded: int
    correct: int
    points: int


@dataclass(frozen=True)
class CardResult:
    card_id: str
    graded: int
    correct: int


@dataclass(frozen=True)
class UserData:
    """How much a user has stored: what /forgetme deletes."""

    answers: int
    servers: int
    dm_answers: int
    sessions: int
    daily_streaks: int
    profile: bool
    exam_dates: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.answers or self.sessions or self.daily_streaks or self.profile or self.exam_dates
        )


def _points_row(rank: int, row: Row) -> BoardRow:
    return BoardRow(
        rank=rank,
        user_id=int(row[0]),
        name=None if row[1] is None else str(row[1]),
        value=Fraction(int(row[2])),
        reached_at=from_ms(int(row[3])),
        graded=int(row[4]),
        correct=int(row[5]),
    )


def _ms(instant: datetime | None, default: int) -> int:
    return default if instant is None else to_ms(instant)


class StatsQueries(Connection):
    async def _named_rows(self, sql: str, params: dict[str, Any]) -> list[Row]:
        """Rows of a query with :named parameters."""
        return await self._fetchall(sql, params)

    async def get_daily_streak(self, guild_id: int, user_id: int) -> StreakState:
        """A member's daily-challenge streak in one server (zero when never answered)."""
        async with self.read() as conn:
            return await read_daily_streak(conn, guild_id, user_id)

    # -- time zones -----------------------------------------------------------------

    async def set_user_timezone(self, user_id: int, zone: str | None, now: datetime) -> None:
        """A member's own zone for their study streak; None falls back to the server's."""
        await self._execute(
            "UPDATE users SET timezone = ?, updated_at = ? WHERE id = ?",
            (zone, to_ms(now), user_id),
        )

    async def set_guild_timezone(self, guild_id: int, zone: str) -> None:
        await self._execute("UPDATE guilds SET timezone = ? WHERE id = ?", (zone, guild_id))

    # -- seasons --------------------------------------------------------------------

    async def current_season(self, guild_id: int) -> Season | None:
        """The server's latest season; None before the first `/season start`."""
        row = await self._fetchone(
            "SELECT COUNT(*), MAX(started_at) FROM seasons WHERE guild_id = ?", (guild_id,)
        )
        if row is None or not row[0]:
            return None
        return Season(int(row[0]), from_ms(int(row[1])))

    async def start_season(
        self, guild_id: int, now: datetime, *, unless_started_since: datetime
    ) -> Season | None:
        """Start a new season at ``now``; None if one already started since the given instant.

        The condition makes a double-clicked confirmation start one season, not two.
        Answers are kept; the season totals are rebuilt from those at or after ``now``.
        """

        async with self.write() as conn:
            started = await fetchone(
                conn,
                "SELECT 1 FROM seasons WHERE guild_id = ? AND started_at >= ?",
                (guild_id, to_ms(unless_started_since)),
            )
            if started is not None:
                return None
            await conn.execute(
                "INSERT INTO seasons (guild_id, started_at) VALUES (?, ?)", (guild_id, to_ms(now))
            )
            await conn.execute("DELETE FROM season_totals WHERE guild_id = ?", (guild_id,))
            await conn.execute(
                "INSERT INTO season_totals "
                "(guild_id, user_id, points, points_at, graded, correct, graded_at) "
                "SELECT guild_id, user_id, SUM(points), "
                "MAX(CASE WHEN points > 0 THEN answered_at END), COUNT(*), SUM(correct), "
                "MAX(answered_at) FROM answers WHERE guild_id = ? AND answered_at >= ? "
                f"AND mode IN {JUDGED_MODES_SQL} GROUP BY guild_id, user_id",
                (guild_id, to_ms(now)),
            )
        return await self.current_season(guild_id)

    # -- leaderboards ---------------------------------------------------------------

    async def board_page(
        self,
        board: Board,
        guild_id: int,
        *,
        window: Window | None,
        page: int,
        viewer_id: int,
    ) -> BoardRows:
        """One page of the points or accuracy board, plus the viewer's row.

        ``window`` None reads the season totals (the all-time board); a window sums the
        server's answers in it.
        """
        if board is Board.POINTS and window is None:
            return await self._season_points_page(guild_id, page, viewer_id)
        first, last = rank_range(page)
        params: dict[str, Any] = {
            "guild": guild_id,
            "first": first,
            "last": last,
            "viewer": viewer_id,
        }
        if window is not None:
            params["start"] = _ms(window.start, 0)
            params["end"] = _ms(window.end, _FAR_FUTURE_MS)
        rows = await self._named_rows(
            board_sql(board, season=window is None, dialect=self.dialect), params
        )
        found: list[BoardRow] = []
        own: BoardRow | None = None
        total = 0
        for row in rows:
            graded, correct = int(row[5]), int(row[6])
            value = Fraction(int(row[3])) if board is Board.POINTS else Fraction(correct, graded)
            item = BoardRow(
                rank=int(row[0]),
                user_id=int(row[1]),
                name=None if row[2] is None else str(row[2]),
                value=value,
                reached_at=from_ms(int(row[4])),
                graded=graded,
                correct=correct,
            )
            total = int(row[7])
            if first <= item.rank <= last:
                found.append(item)
            if item.user_id == viewer_id:
                own = item
        return BoardRows(found, own, total)

    async def _season_points_page(self, guild_id: int, page: int, viewer_id: int) -> BoardRows:
        """The page, its total and the viewer's rank, all from one snapshot."""
        first, _last = rank_range(page)
        async with self.read() as conn:
            (count,) = await fetchall(conn, SEASON_POINTS_COUNT_SQL, {"guild": guild_id})
            rows = await fetchall(
                conn,
                SEASON_POINTS_PAGE_SQL,
                {"guild": guild_id, "limit": PAGE_SIZE, "offset": first - 1},
            )
            found = [_points_row(first + i, row) for i, row in enumerate(rows)]
            own = next((row for row in found if row.user_id == viewer_id), None)
            if own is None:
                mine = await fetchall(
                    conn, SEASON_POINTS_VIEWER_SQL, {"guild": guild_id, "viewer": viewer_id}
                )
                if mine:
                    (ahead,) = await fetchall(
                        conn,
                        SEASON_POINTS_AHEAD_SQL,
                        {
                            "guild": guild_id,
                            "viewer": viewer_id,
                            "points": mine[0][2],
                            "at": mine[0][3],
                        },
                    )
                    own = _points_row(int(ahead[0]) + 1, mine[0])
        return BoardRows(found, own, int(count[0]))

    async def study_streak_standings(
        self, guild_id: int, now: datetime, server_zone: ZoneInfo
    ) -> list[Standing]:
        """Every current study streak in the server, each in its member's own zone (the
        server's when they set none), unranked.

        Reads the recent answers of the recently active members; only those whose run
        reaches back beyond them are read again in full. The cost grows with the recent
        answers and the long streaks, not with the server's whole history.
        """
        recent_from = now - STREAK_RECENT
        active_since = now - STREAK_ACTIVE_WITHIN
        recent = await self.recent_study(guild_id, active_since, answered_from=recent_from)
        own_zones = await self.recent_members_zones(guild_id, active_since)

        def zone_of(user_id: int) -> ZoneInfo:
            own = own_zones.get(user_id)
            return server_zone if own is None else zone_or_utc(own)

        standings: list[Standing] = []
        unsettled: list[int] = []
        for user_id, instants in recent.items():
            found = recent_streak_standing(user_id, instants, zone_of(user_id), now, recent_from)
            if not found.settled:
                unsettled.append(user_id)
            elif found.standing is not None:
                standings.append(found.standing)
        for user_id, instants in (await self.study_history(guild_id, unsettled)).items():
            standing = study_streak_standing(user_id, instants, zone_of(user_id), now)
            if standing is not None:
                standings.append(standing)
        return standings

    async def recent_study(
        self, guild_id: int, since: datetime, *, answered_from: datetime | None = None
    ) -> dict[int, list[datetime]]:
        """For every member who answered in the server since ``since``: the first instant
        of each quarter hour in which they answered there (since ``answered_from``, or
        ever when None)."""
        params = {
            "guild": guild_id,
            "since": to_ms(since),
            "answered_from": 0 if answered_from is None else to_ms(answered_from),
        }
        return _quarters_by_member(await self._named_rows(RECENT_STUDY_SQL, params))

    async def study_history(self, guild_id: int, user_ids: list[int]) -> dict[int, list[datetime]]:
        """For each of these members, the first instant of each quarter hour in which they
        ever answered in the server."""
        rows: list[Any] = []
        for first in range(0, len(user_ids), _USERS_PER_QUERY):
            chunk = user_ids[first : first + _USERS_PER_QUERY]
            params = {"guild": guild_id} | {f"user_{i}": u for i, u in enumerate(chunk, 1)}
            rows += await self._named_rows(study_history_sql(len(chunk)), params)
        return _quarters_by_member(rows)

    async def recent_members_zones(self, guild_id: int, since: datetime) -> dict[int, str]:
        """Own time zones of the members who answered in the server since ``since``."""
        rows = await self._named_rows(RECENT_ZONES_SQL, {"guild": guild_id, "since": to_ms(since)})
        return {int(row[0]): str(row[1]) for row in rows}

    async def display_names(self, user_ids: list[int]) -> dict[int, str]:
        """Last known names; ask for a page's worth at a time."""
        if not user_ids:
            return {}
        marks = ", ".join("?" for _ in user_ids)
        rows = await self._fetchall(
            f"SELECT id, display_name FROM users WHERE id IN ({marks})", tuple(user_ids)
        )
        return {int(row[0]): str(row[1]) for row in rows}

    # -- one member -----------------------------------------------------------------

    async def member_totals(
        self, user_id: int, guild_id: int | None, *, since: datetime | None = None
    ) -> MemberTotals:
        """A member's answers in a server (everywhere when ``guild_id`` is None)."""
        _, params = _scope(user_id, guild_id)
        params["since"] = _ms(since, 0)
        (row,) = await self._named_rows(member_totals_sql(guild_id), params)
        return MemberTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def card_results(
        self, user_id: int, guild_id: int | None, deck_id: str
    ) -> list[CardResult]:
        """Judged answers per card of one deck."""
        _, params = _scope(user_id, guild_id)
        params["deck"] = deck_id
        rows = await self._named_rows(card_results_sql(guild_id), params)
        return [CardResult(str(row[0]), int(row[1]), int(row[2])) for row in rows]

    async def decks_by_recency(self, user_id: int, guild_id: int | None) -> list[str]:
        """The decks a member answered in, the one studied most recently first."""
        _, params = _scope(user_id, guild_id)
        rows = await self._named_rows(decks_by_recency_sql(guild_id), params)
        return [str(row[0]) for row in rows]

    async def activity(
        self, user_id: int, guild_id: int | None, since: datetime
    ) -> list[tuple[datetime, int]]:
        """Answers per quarter hour since ``since``: (start of the quarter, count)."""
        _, params = _scope(user_id, guild_id)
        params["since"] = to_ms(since)
        rows = await self._named_rows(activity_sql(guild_id), params)
        return [(from_ms(int(row[0]) * QUARTER_MS), int(row[1])) for row in rows]

    async def study_quarters(self, user_id: int, guild_id: int | None) -> list[datetime]:
        """One instant per quarter hour in which the member answered in the server
        (anywhere, DMs included, when ``guild_id`` is None)."""
        _, params = _scope(user_id, guild_id)
        rows = await self._named_rows(study_quarters_sql(guild_id), params)
        return [from_ms(int(row[0]) * QUARTER_MS) for row in rows]

    # -- forgetting -----------------------------------------------------------------

    async def user_data(self, user_id: int) -> UserData:
        """What the bot stores about a user, counted."""
        async with self.read() as conn:
            return await _count_user_data(conn, user_id)

    async def forget_user(self, user_id: int) -> UserData:
        """Delete a user's answers, quiz sessions, streaks, totals and profile everywhere.

        Returns what was deleted. One transaction: either all of it goes or nothing does.
        """

        async with self.write() as conn:
            found = await _count_user_data(conn, user_id)
            for sql in (
                "DELETE FROM answers WHERE user_id = ?",
                "DELETE FROM quiz_sessions WHERE user_id = ?",
                "DELETE FROM daily_streaks WHERE user_id = ?",
                "DELETE FROM season_totals WHERE user_id = ?",
                "DELETE FROM exam_dates WHERE user_id = ?",
                "DELETE FROM users WHERE id = ?",
            ):
                await conn.execute(sql, (user_id,))
            return found


async def _count_user_data(conn: Conn, user_id: int) -> UserData:
    row = await fetchone(
        conn,
        "SELECT (SELECT COUNT(*) FROM answers WHERE user_id = :user), "
        "(SELECT COUNT(DISTINCT guild_id) FROM answers WHERE user_id = :user), "
        "(SELECT COUNT(*) FROM answers WHERE user_id = :user AND guild_id IS NULL), "
        "(SELECT COUNT(*) FROM quiz_sessions WHERE user_id = :user), "
        "(SELECT COUNT(*) FROM daily_streaks WHERE user_id = :user), "
        "(SELECT COUNT(*) FROM users WHERE id = :user), "
        "(SELECT COUNT(*) FROM exam_dates WHERE user_id = :user)",
        {"user": user_id},
    )
    assert row is not None
    return UserData(
        answers=int(row[0]),
        servers=int(row[1]),
        dm_answers=int(row[2]),
        sessions=int(row[3]),
        daily_streaks=int(row[4]),
        profile=bool(row[5]),
        exam_dates=int(row[6]),
    )


def _quarters_by_member(rows: Iterable[Sequence[Any]]) -> dict[int, list[datetime]]:
    found: dict[int, list[datetime]] = defaultdict(list)
    for user_id, first in rows:
        found[int(user_id)].append(from_ms(int(first)))
    return dict(found)


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
