"""Leaderboards and seasons: points, accuracy and study-streak boards.

The points and accuracy boards rank in SQL with the order `bot.domain.leaderboard`
defines (value descending, earlier reached first, then user id), so only one page
and the viewer's row leave the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.leaderboard import (
    MIN_ACCURACY_ANSWERS,
    PAGE_SIZE,
    Board,
    Standing,
    StreakView,
    Window,
    rank_range,
)
from bot.domain.timezones import local_date, zone_or_utc
from bot.storage.base import SQLITE, Conn, Dialect, Repository, Row, fetchall, fetchone
from bot.storage.models import JUDGED_MODES_SQL, from_ms, to_ms
from bot.storage.stats import QUARTER_MS, ms_or

# No timestamp comes near this; it stands for "no end" in range conditions.
_FAR_FUTURE_MS = 2**62
_DAY_MS = 86_400_000

# The columns every board source yields, whatever it reads from.
_SEASON_SOURCE = (
    "SELECT user_id, points, points_at, graded, correct, graded_at "
    "FROM season_totals WHERE guild_id = :guild"
)
# A period's judged answers in the server. Named index: without statistics the planner
# would rather walk the whole server in user order (to skip a sort) than read only the
# period's range.
_PERIOD_ANSWERS = (
    "FROM answers {indexed_by} "
    "WHERE guild_id = :guild AND answered_at >= :start AND answered_at < :end "
    f"AND mode IN {JUDGED_MODES_SQL}"
)
# What each board of a period ranks by, and nothing more: every sum a hash table keeps
# per member costs time on a big server's month. Points come only from judged answers
# with points, so the points board reads only those.
_PERIOD_POINTS_SOURCE = (
    "SELECT user_id, SUM(points) AS points, MAX(answered_at) AS points_at "
    f"{_PERIOD_ANSWERS} AND points > 0 GROUP BY user_id"
)
_PERIOD_ACCURACY_SOURCE = (
    "SELECT user_id, COUNT(*) AS graded, SUM(correct) AS correct, MAX(answered_at) AS graded_at "
    f"{_PERIOD_ANSWERS} GROUP BY user_id"
)


def accuracy_sql(*, season: bool, dialect: Dialect = SQLITE) -> str:
    """The accuracy board over the season or a period: its page, the viewer's row and
    the last row (for the total), ranked with the order `bot.domain.leaderboard` defines.

    Equal ratios give equal doubles (division is correctly rounded), so ties are exact;
    different ratios of realistic counts never round together.
    """
    source = (
        _SEASON_SOURCE
        if season
        else _PERIOD_ACCURACY_SOURCE.format(indexed_by=dialect.indexed_by("answers_by_guild_time"))
    )
    return (
        f"WITH source AS ({source}), ranked AS ("
        "SELECT user_id, graded_at, graded, correct, ROW_NUMBER() OVER ("
        "ORDER BY CAST(correct AS DOUBLE PRECISION) / graded DESC, graded_at, user_id) AS rank, "
        f"COUNT(*) OVER () AS total FROM source WHERE graded >= {MIN_ACCURACY_ANSWERS}) "
        "SELECT rank, ranked.user_id, users.display_name, graded_at, graded, correct, total "
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


def period_points_sql(dialect: Dialect = SQLITE) -> str:
    """The points board of a period: its page, the viewer's row and the count of members
    ahead of them, and the total, in one statement.

    The period's sums are made once; only the page is sorted (a top-N cut) and the
    viewer's rank is a count, so the cost is not a sort of every member. The judged
    answers the board shows beside the points are counted for the rows it shows only.
    Rows come tagged: 0 the page in board order, 1 the viewer, 2 the total and the
    viewer's count of members ahead (in the user id and points columns).
    """
    source = _PERIOD_POINTS_SOURCE.format(indexed_by=dialect.indexed_by("answers_by_guild_time"))
    columns = "user_id, points, points_at"
    # The member's judged answers of the period (their own index, so not the named one).
    judged = (
        f"(SELECT {{what}} {_PERIOD_ANSWERS.format(indexed_by='')} AND user_id = found.user_id)"
    )
    return (
        f"WITH board AS ({source}), "
        f"page AS (SELECT {columns} FROM board "
        "ORDER BY points DESC, points_at, user_id LIMIT :limit OFFSET :offset), "
        f"own AS (SELECT {columns} FROM board WHERE user_id = :viewer), "
        f"found AS (SELECT 0 AS part, {columns} FROM page "
        f"UNION ALL SELECT 1 AS part, {columns} FROM own "
        "UNION ALL SELECT 2 AS part, (SELECT COUNT(*) FROM board), "
        "(SELECT COUNT(*) FROM board, own WHERE board.points > own.points "
        "OR board.points = own.points "
        "AND (board.points_at, board.user_id) < (own.points_at, own.user_id)), 0) "
        "SELECT part, found.user_id, users.display_name, points, points_at, "
        f"CASE WHEN part < 2 THEN {judged.format(what='COUNT(*)')} END, "
        f"CASE WHEN part < 2 THEN {judged.format(what='SUM(correct)')} END "
        "FROM found LEFT JOIN users ON found.part < 2 AND users.id = found.user_id "
        "ORDER BY part, points DESC, points_at, found.user_id"
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
# The local days read first, of every member who answered in them, and then, for those whose
# run reaches back to the first of them, the days read next; a run that reaches back so
# far is read from the member's whole history in the server. A member's days come back as
# the bits of one number, so the longer read stays within 62 days.
STREAK_RECENT_DAYS = 4
STREAK_DEEPER_DAYS = 60
# Where a zone's clocks change within the days read, answers come by quarter hours
# instead, over this long at first (it settles fewer runs: see `StreakView.at`).
STREAK_RECENT = timedelta(days=15)
_USERS_PER_QUERY = 500
RECENT_ZONES_SQL = (
    "SELECT id, timezone FROM users WHERE timezone IS NOT NULL AND id IN "
    "(SELECT user_id FROM answers WHERE guild_id = :guild AND answered_at >= :since)"
)


def _members(count: int) -> str:
    return ", ".join(f":user_{i}" for i in range(1, count + 1))


def study_days_sql(shift_ms: int, members: int | None = None, dialect: Dialect = SQLITE) -> str:
    """The local days on which members answered in the server from ``:answered_from``
    until ``:until`` (instants in ms), in a zone ``shift_ms`` ahead of UTC that keeps that
    offset all through: one row per member with the days as the bits of one number (bit n
    for n days before the local day ``:today``, counted from 1970-01-01), and the first
    instants of the local day ``:today`` (from ``:today_from``) and of the day before (from
    ``:yesterday_from``) they answered on. Only members who answered on one of those two
    days have a current run, so only they come back. The members are ``:user_1`` to
    ``:user_<members>``, or with None all who answered in those days (a plain range of
    the server's answers, so no plan PostgreSQL keeps for it turns it into a join).
    One grouping by member, with no grouping by day under it: PostgreSQL's second
    grouping cost as much as the first."""
    who = "" if members is None else f"AND user_id IN ({_members(members)}) "
    index = "answers_by_guild_time" if members is None else "answers_by_member"
    day = f"(answered_at + {int(shift_ms)}) / {_DAY_MS}"
    bit = f"CAST(1 AS BIGINT) << CAST(:today - {day} AS INTEGER)"
    return (
        f"SELECT user_id, {dialect.bit_or(bit)}, "
        "MIN(CASE WHEN answered_at >= :today_from THEN answered_at END), "
        "MIN(CASE WHEN answered_at >= :yesterday_from THEN answered_at END) "
        f"FROM answers {dialect.indexed_by(index)} "
        "WHERE guild_id = :guild AND answered_at >= :answered_from AND answered_at < :until "
        f"{who}GROUP BY user_id HAVING MAX(answered_at) >= :yesterday_from"
    )


def study_history_sql(members: int, shift_ms: int | None = None, *, since: bool = False) -> str:
    """Quarter hours studied in a server by members ``:user_1`` to ``:user_<members>``
    (from ``:answered_from`` on, with ``since``); with ``shift_ms``, days of a zone that
    far ahead of UTC instead."""
    bucket = (
        f"answered_at / {QUARTER_MS}"
        if shift_ms is None
        else f"(answered_at + {int(shift_ms)}) / {_DAY_MS}"
    )
    from_ = " AND answered_at >= :answered_from" if since else ""
    return (
        "SELECT user_id, MIN(answered_at) FROM answers "
        f"WHERE guild_id = :guild AND user_id IN ({_members(members)}){from_} "
        f"GROUP BY user_id, {bucket}"
    )


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


_EPOCH_DAY = date(1970, 1, 1).toordinal()


class _LocalDays:
    """Local dates (as ordinals) of millisecond instants in one zone.

    The zone's UTC offset is looked up once per UTC day and reused for every instant of
    that day; on a day whose first and last millisecond have different offsets (the
    clocks change) each instant is converted on its own.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._offsets: dict[int, int | None] = {}

    def day(self, ms: int) -> int:
        offset = self._offset(ms // _DAY_MS)
        if offset is None:
            return local_date(from_ms(ms), self._zone).toordinal()
        return (ms + offset) // _DAY_MS + _EPOCH_DAY

    def fixed_offset(self, start_ms: int, end_ms: int) -> int | None:
        """The zone's offset (ms) if it is the same all through these instants' UTC days."""
        offsets = {self._offset(day) for day in range(start_ms // _DAY_MS, end_ms // _DAY_MS + 1)}
        return next(iter(offsets)) if len(offsets) == 1 else None

    def _offset(self, utc_day: int) -> int | None:
        if utc_day not in self._offsets:
            self._offsets[utc_day] = self._offset_all_day(utc_day)
        return self._offsets[utc_day]

    def _offset_all_day(self, utc_day: int) -> int | None:
        start = from_ms(utc_day * _DAY_MS).astimezone(self._zone).utcoffset()
        end = from_ms((utc_day + 1) * _DAY_MS - 1).astimezone(self._zone).utcoffset()
        if start is None or start != end:
            return None
        return start // timedelta(milliseconds=1)


def _first_of_each_day(
    rows: Iterable[Sequence[Any]], zone_of: Callable[[int], _LocalDays]
) -> dict[int, dict[date, int]]:
    """For each member in ``rows`` (user id, instant in ms): the first instant (ms) of
    each local day, in the member's zone, on which they answered."""
    found: dict[int, tuple[_LocalDays, dict[int, int]]] = {}
    for user_id, at in rows:
        member = int(user_id)
        entry = found.get(member)
        if entry is None:
            entry = found[member] = (zone_of(member), {})
        instant = int(at)
        day = entry[0].day(instant)
        earlier = entry[1].get(day)
        if earlier is None or instant < earlier:
            entry[1][day] = instant
    dates: dict[int, date] = {}
    for _days, firsts in found.values():
        for day in firsts:
            if day not in dates:
                dates[day] = date.fromordinal(day)
    return {
        member: {dates[day]: at for day, at in firsts.items()}
        for member, (_days, firsts) in found.items()
    }


def _current_streaks(
    firsts: dict[int, dict[date, int]],
    view_of: Callable[[int], StreakView],
    standings: list[Standing],
) -> list[int]:
    """Add the current streak of each member in ``firsts`` to ``standings``; returns the
    members whose run may reach back beyond the answers read."""
    unsettled: list[int] = []
    for user_id, first in firsts.items():
        run = view_of(user_id).run(first)
        if not run.settled:
            unsettled.append(user_id)
        elif run.last_day is not None:
            standings.append(Standing(user_id, Fraction(run.days), from_ms(first[run.last_day])))
    return unsettled


class _DayBits(Container[date]):
    """Local days as bits: bit n for n days before ``today``."""

    __slots__ = ("bits", "today")

    def __init__(self, bits: int, today: date) -> None:
        self.bits = bits
        self.today = today

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        back = (self.today - day).days
        return back >= 0 and (self.bits >> back) & 1 == 1


class _StreakRead:
    """One read of a server's current study streaks: each member's zone (their own, else
    the server's), and the standings found so far."""

    def __init__(
        self,
        conn: Conn,
        dialect: Dialect,
        guild_id: int,
        now: datetime,
        server_zone: ZoneInfo,
        own_zones: dict[int, str],
    ) -> None:
        self._conn = conn
        self._dialect = dialect
        self._guild_id = guild_id
        self._now = now
        self._server_zone = server_zone
        self._own = {user_id: zone_or_utc(name) for user_id, name in own_zones.items()}
        self._local_days: dict[ZoneInfo, _LocalDays] = {}
        self.standings: list[Standing] = []

    def _zone_of(self, user_id: int) -> ZoneInfo:
        return self._own.get(user_id, self._server_zone)

    def _days_in(self, zone: ZoneInfo) -> _LocalDays:
        if zone not in self._local_days:
            self._local_days[zone] = _LocalDays(zone)
        return self._local_days[zone]

    async def recent(self, members: list[int] | None, days: int) -> list[int]:
        """Add the streaks that the last ``days`` local days of these members settle (with
        None, every member who answered in them); returns the members whose run may reach back
        further."""
        unsettled: list[int] = []
        if members is None:
            # Everyone in the server's zone, leaving out the members with a zone of their
            # own; then those in theirs.
            unsettled += await self._recent_in(self._server_zone, None, days)
            members = sorted(self._own)
        groups: dict[ZoneInfo, list[int]] = defaultdict(list)
        for user_id in members:
            groups[self._zone_of(user_id)].append(user_id)
        for zone, group in groups.items():
            unsettled += await self._recent_in(zone, group, days)
        return unsettled

    async def _recent_in(self, zone: ZoneInfo, members: list[int] | None, days: int) -> list[int]:
        now_ms = to_ms(self._now)
        shift = self._days_in(zone).fixed_offset(now_ms - (days + 1) * _DAY_MS, now_ms)
        if shift is None:
            return await self._recent_by_quarters(zone, members, days)
        today = (now_ms + shift) // _DAY_MS
        params: dict[str, Any] = {
            "guild": self._guild_id,
            "today": today,
            "answered_from": (today - days + 1) * _DAY_MS - shift,
            "yesterday_from": today * _DAY_MS - _DAY_MS - shift,
            "today_from": today * _DAY_MS - shift,
            "until": (today + 1) * _DAY_MS - shift,
        }
        days_sql = partial(study_days_sql, shift, dialect=self._dialect)
        if members is None:
            rows = await self._without_own_zones(days_sql(), params)
        else:
            rows = await self._by_members(members, days_sql, params)
        local_today = date.fromordinal(today + _EPOCH_DAY)
        # Every answer of the days read was read, so an older one falls on an earlier day.
        view = StreakView(local_today, local_today - timedelta(days=days))
        # Most members share a handful of day patterns: each pattern's run is found once,
        # with its length as a board value (None: no current run).
        runs: dict[int, tuple[bool, Fraction | None]] = {}
        unsettled: list[int] = []
        for user_id, bits, first_today, first_yesterday in rows:
            pattern = int(bits)
            found = runs.get(pattern)
            if found is None:
                run = view.run(_DayBits(pattern, local_today))
                value = None if run.last_day is None else Fraction(run.days)
                found = runs[pattern] = (run.settled, value)
            settled, value = found
            if not settled:
                unsettled.append(int(user_id))
            elif value is not None:
                # The run ends on the latest day read: today if they answered today.
                latest = first_yesterday if first_today is None else first_today
                self.standings.append(Standing(int(user_id), value, from_ms(latest)))
        return unsettled

    async def _recent_by_quarters(
        self, zone: ZoneInfo, members: list[int] | None, days: int
    ) -> list[int]:
        """As `_recent_in`, for a zone whose clocks change in the days read: by quarter
        hours, over at least `STREAK_RECENT`."""
        since = self._now - max(STREAK_RECENT, timedelta(days=days))
        params = {"guild": self._guild_id, "answered_from": to_ms(since)}
        if members is None:
            params["since"] = to_ms(self._now - STREAK_ACTIVE_WITHIN)
            rows = await self._without_own_zones(RECENT_STUDY_SQL, params)
        else:
            rows = await self._by_members(
                members, lambda count: study_history_sql(count, since=True), params
            )
        view = StreakView.at(zone, self._now, since)
        return _current_streaks(
            _first_of_each_day(rows, lambda _user_id: self._days_in(zone)),
            lambda _user_id: view,
            self.standings,
        )

    async def whole(self, members: list[int]) -> None:
        """Add the streaks of these members from their whole history in the server: one row
        per day for those whose zone kept one offset since the server's first answer, else
        per quarter hour."""
        (earliest,) = await fetchall(
            self._conn, "SELECT MIN(answered_at) FROM answers WHERE guild_id = ?", (self._guild_id,)
        )
        now_ms = to_ms(self._now)
        start = now_ms if earliest[0] is None else min(int(earliest[0]), now_ms)
        groups: dict[int | None, list[int]] = defaultdict(list)
        for user_id in members:
            shift = self._days_in(self._zone_of(user_id)).fixed_offset(start, now_ms)
            groups[shift].append(user_id)
        rows: list[Row] = []
        for shift, group in groups.items():
            rows += await self._by_members(
                group, partial(study_history_sql, shift_ms=shift), {"guild": self._guild_id}
            )
        views: dict[ZoneInfo, StreakView] = {}

        def view_of(user_id: int) -> StreakView:
            zone = self._zone_of(user_id)
            if zone not in views:
                views[zone] = StreakView.at(zone, self._now, None)
            return views[zone]

        _current_streaks(
            _first_of_each_day(rows, lambda user_id: self._days_in(self._zone_of(user_id))),
            view_of,
            self.standings,
        )

    async def _without_own_zones(self, sql: str, params: dict[str, Any]) -> list[Row]:
        """The rows of ``sql`` (user id first) of the members without a zone of their own."""
        rows = await fetchall(self._conn, sql, params)
        return [row for row in rows if int(row[0]) not in self._own]

    async def _by_members(
        self, members: list[int], sql_for: Callable[[int], str], params: dict[str, Any]
    ) -> list[Row]:
        """The rows of ``sql_for(n)`` for these members, bound as ``:user_1`` to
        ``:user_<n>``, up to `_USERS_PER_QUERY` at a time."""
        rows: list[Row] = []
        for first in range(0, len(members), _USERS_PER_QUERY):
            chunk = members[first : first + _USERS_PER_QUERY]
            chunk_params = params | {f"user_{i}": u for i, u in enumerate(chunk, 1)}
            rows += await fetchall(self._conn, sql_for(len(chunk)), chunk_params)
        return rows


class Boards(Repository):
    """The server's boards and seasons."""

    async def season(self, guild_id: int) -> Season | None:
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
        return await self.season(guild_id)

    async def page(
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
        if board is Board.POINTS:
            if window is None:
                return await self._season_points_page(guild_id, page, viewer_id)
            return await self._period_points_page(guild_id, window, page, viewer_id)
        first, last = rank_range(page)
        params: dict[str, Any] = {
            "guild": guild_id,
            "first": first,
            "last": last,
            "viewer": viewer_id,
        }
        if window is not None:
            params["start"] = ms_or(window.start, 0)
            params["end"] = ms_or(window.end, _FAR_FUTURE_MS)
        rows = await self._fetchall(
            accuracy_sql(season=window is None, dialect=self._connection.dialect), params
        )
        found: list[BoardRow] = []
        own: BoardRow | None = None
        total = 0
        for row in rows:
            graded, correct = int(row[4]), int(row[5])
            item = BoardRow(
                rank=int(row[0]),
                user_id=int(row[1]),
                name=None if row[2] is None else str(row[2]),
                value=Fraction(correct, graded),
                reached_at=from_ms(int(row[3])),
                graded=graded,
                correct=correct,
            )
            total = int(row[6])
            if first <= item.rank <= last:
                found.append(item)
            if item.user_id == viewer_id:
                own = item
        return BoardRows(found, own, total)

    async def _period_points_page(
        self, guild_id: int, window: Window, page: int, viewer_id: int
    ) -> BoardRows:
        first, _last = rank_range(page)
        params = {
            "guild": guild_id,
            "start": ms_or(window.start, 0),
            "end": ms_or(window.end, _FAR_FUTURE_MS),
            "viewer": viewer_id,
            "limit": PAGE_SIZE,
            "offset": first - 1,
        }
        rows = await self._fetchall(period_points_sql(self._connection.dialect), params)
        found: list[BoardRow] = []
        mine: Row | None = None
        total = ahead = 0
        for row in rows:
            part, rest = int(row[0]), row[1:]
            if part == 0:
                found.append(_points_row(first + len(found), rest))
            elif part == 1:
                mine = rest
            else:
                total, ahead = int(rest[0]), int(rest[2])
        own = None if mine is None else _points_row(ahead + 1, mine)
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

    async def study_streaks(
        self, guild_id: int, now: datetime, server_zone: ZoneInfo
    ) -> list[Standing]:
        """Every current study streak in the server, each in its member's own zone (the
        server's when they set none), unranked.

        Most current streaks are a few days long, so the read goes back in steps: the
        last few days of every member who answered in them; a longer stretch for those whose
        run reaches back to its start; the whole history of the few whose run reaches
        back beyond that. The cost grows with the recent answers and the long streaks, not
        with the server's whole history.
        """
        async with self.read() as conn:
            zones = await self._recent_zones(guild_id, now - STREAK_ACTIVE_WITHIN, conn)
            read = _StreakRead(conn, self._connection.dialect, guild_id, now, server_zone, zones)
            unsettled = await read.recent(None, STREAK_RECENT_DAYS)
            if unsettled:
                unsettled = await read.recent(unsettled, STREAK_DEEPER_DAYS)
            if unsettled:
                await read.whole(unsettled)
        return read.standings

    async def _recent_zones(self, guild_id: int, since: datetime, conn: Conn) -> dict[int, str]:
        """Own time zones of the members who answered in the server since ``since``."""
        params = {"guild": guild_id, "since": to_ms(since)}
        rows = await fetchall(conn, RECENT_ZONES_SQL, params)
        return {int(row[0]): str(row[1]) for row in rows}
