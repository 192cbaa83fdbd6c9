"""Embeds and buttons of the stats commands. Rendering only: no database, no decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import discord

from bot.domain.leaderboard import MIN_ACCURACY_ANSWERS, Board, Period
from bot.domain.markdown import literal, plain_name
from bot.domain.streaks import StreakState
from bot.domain.words import plural
from bot.exts.embeds import FIELD_LIMIT, clip, judged_accuracy, percent
from bot.exts.stats._buttons import ForgetButton, LeaderboardButton, SeasonButton
from bot.exts.stats._summary import ACTIVITY_DAYS, TopicResult, sparkline
from bot.storage.boards import Season
from bot.storage.members import UserData
from bot.storage.stats import MemberTotals

COLOUR = discord.Colour.gold()
DANGER_COLOUR = discord.Colour.red()
NAME_LIMIT = 40
TOPIC_LINES = 12


def safe_name(name: str | None) -> str:
    """A stored name, harmless in markdown and short enough for one line."""
    return literal(clip(plain_name(name or "") or "unknown member", NAME_LIMIT))


def stamp(instant: datetime, style: str = "f") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


# -- leaderboards ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    rank: int
    user_id: int
    name: str | None
    value: Fraction
    graded: int = 0
    correct: int = 0


@dataclass(frozen=True)
class BoardView:
    """Everything a leaderboard message shows."""

    board: Board
    period: Period
    lines: list[Line]
    own: Line | None
    viewer_id: int
    total: int
    page: int
    pages: int
    zone: str
    season: Season | None
    viewer_graded: int = 0  # the viewer's judged answers, to say how far from ranking they are


def value_text(board: Board, line: Line) -> str:
    if board is Board.POINTS:
        return plural(int(line.value), "point")
    if board is Board.STREAK:
        return plural(int(line.value), "day")
    return f"{percent(line.value)} ({line.correct}/{line.graded})"


def period_phrase(period: Period, season: Season | None) -> str:
    if period is Period.ALL_TIME:
        return f"season {season.number}" if season else "all time"
    return {Period.MONTH: "this month", Period.WEEK: "this week", Period.TODAY: "today"}[period]


def _title(view: BoardView) -> str:
    if view.board is Board.STREAK:
        return "Study streaks"
    name = "Points" if view.board is Board.POINTS else "Accuracy"
    return f"{name} · {period_phrase(view.period, view.season)}"


def _empty_text(view: BoardView) -> str:
    when = period_phrase(view.period, view.season)
    if view.board is Board.POINTS:
        return f"Nobody has scored points ({when}) yet. Answer with `/quiz` to get on the board."
    if view.board is Board.ACCURACY:
        return (
            f"Nobody has {MIN_ACCURACY_ANSWERS} judged answers ({when}) yet, "
            "so nobody ranks by accuracy."
        )
    return "Nobody has a study streak right now. Answer a card today to start one."


def _own_text(view: BoardView) -> str:
    if view.own is not None:
        return f"#{view.own.rank} of {view.total} · {value_text(view.board, view.own)}"
    when = period_phrase(view.period, view.season)
    if view.board is Board.POINTS:
        return f"No points ({when}) yet."
    if view.board is Board.ACCURACY:
        return (
            f"Not ranked: {view.viewer_graded} of the {MIN_ACCURACY_ANSWERS} judged answers "
            f"needed ({when})."
        )
    return "No current study streak: answer a card today to start one."


def leaderboard_embed(view: BoardView) -> discord.Embed:
    embed = discord.Embed(title=_title(view), colour=COLOUR)
    if view.lines:
        rows = []
        for line in view.lines:
            text = f"**{line.rank}.** {safe_name(line.name)} — {value_text(view.board, line)}"
            rows.append(f"__{text}__" if line.user_id == view.viewer_id else text)
        embed.description = "\n".join(rows)
    else:
        embed.description = _empty_text(view)
    embed.add_field(name="Your rank", value=_own_text(view), inline=False)
    footer = [f"Page {view.page + 1} of {view.pages}", f"days in {view.zone}"]
    if view.season is not None:
        footer.append(f"season {view.season.number} since {view.season.started_at:%Y-%m-%d}")
    if view.board is Board.STREAK and view.period is not Period.ALL_TIME:
        footer.append("streaks are always current, whatever the period")
    embed.set_footer(text=clip(" · ".join(footer), 2048))
    return embed


def leaderboard_buttons(view: BoardView, owner: int) -> discord.ui.View:
    first, last = view.page == 0, view.page >= view.pages - 1
    return _view(
        LeaderboardButton.make(
            view.board,
            view.period,
            max(view.page - 1, 0),
            owner,
            "p",
            label="Previous",
            disabled=first,
        ),
        LeaderboardButton.make(
            view.board,
            view.period,
            min(view.page + 1, view.pages - 1),
            owner,
            "n",
            label="Next",
            disabled=last,
        ),
    )


# -- /streak ----------------------------------------------------------------------------


def streak_embed(
    name: str,
    *,
    here: StreakState,
    overall: StreakState | None,
    daily: StreakState | None,
    today: date,
    breaks_at: datetime | None,
    zone: str,
    in_server: bool,
) -> discord.Embed:
    embed = discord.Embed(title=f"Streaks of {safe_name(name)}", colour=COLOUR)
    study = f"**{plural(here.current, 'day')}** · best {plural(here.best, 'day')}"
    if breaks_at is None:
        study += "\nAnswer a card to start one."
    elif here.last_day == today:
        study += f"\nDone for today. It breaks {stamp(breaks_at, 'R')} if a day is skipped."
    else:
        study += f"\nBreaks {stamp(breaks_at, 'R')} ({stamp(breaks_at)}) without an answer today."
    embed.add_field(
        name="Study streak" + (" in this server" if in_server else " (everywhere)"),
        value=study,
        inline=False,
    )
    if overall is not None:
        embed.add_field(
            name="Study streak everywhere",
            value=f"{plural(overall.current, 'day')} · best {plural(overall.best, 'day')}",
            inline=False,
        )
    if daily is not None:
        embed.add_field(
            name="Daily challenge streak",
            value=f"**{daily.current}** in a row · best {daily.best}",
            inline=False,
        )
    else:
        embed.add_field(
            name="Daily challenge streak", value="Daily challenges are per server.", inline=False
        )
    embed.set_footer(text=f"Days counted in {zone}")
    return embed


# -- /stats -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsView:
    name: str
    place: str  # "this server" or "everywhere"
    totals: MemberTotals
    season: Season | None
    season_points: int | None
    study: StreakState
    daily: StreakState | None
    deck_title: str | None
    topics: list[TopicResult]
    untouched: list[str]
    activity: list[tuple[date, int]]
    zone: str
    recalled: int = 0  # reviews over the last 30 days that were remembered (not Again)
    reviewed: int = 0
    mature: int = 0  # cards whose review interval reached 21 days
    deck_note: str | None = None  # which deck the topics are of, when none was named
    rounds_played: int = 0  # live rounds (`/round`) the member answered in
    rounds_won: int = 0


def stats_embed(view: StatsView) -> discord.Embed:
    embed = discord.Embed(title=clip(f"Stats of {safe_name(view.name)}", 256), colour=COLOUR)
    totals = view.totals
    embed.description = f"In {view.place}."
    if view.deck_note:
        embed.description += f" {view.deck_note}"
    embed.add_field(name="Answers", value=str(totals.answers))
    embed.add_field(name="Accuracy", value=judged_accuracy(totals.correct, totals.graded))
    points = str(totals.points)
    if view.season is not None and view.season_points is not None:
        points = f"{view.season_points} in season {view.season.number} · {totals.points} in all"
    embed.add_field(name="Points", value=points)
    embed.add_field(
        name="Study streak",
        value=f"{plural(view.study.current, 'day')} · best {plural(view.study.best, 'day')}",
    )
    if view.daily is not None:
        embed.add_field(name="Daily streak", value=f"{view.daily.current} · best {view.daily.best}")
    if view.reviewed:
        recalled = percent(Fraction(view.recalled, view.reviewed))
        retention = f"{recalled} of {plural(view.reviewed, 'review')}"
    else:
        retention = "no reviews in 30 days"
    embed.add_field(name="Retention (30 days)", value=retention)
    embed.add_field(name="Mature cards", value=str(view.mature))
    embed.add_field(name="Rounds", value=f"{view.rounds_played} played · {view.rounds_won} won")
    if view.deck_title is not None:
        embed.add_field(
            name=clip(f"Topics of {literal(view.deck_title)}, weakest first", 256),
            value=_topics_text(view),
            inline=False,
        )
    embed.add_field(
        name=f"Last {ACTIVITY_DAYS} days", value=_activity_text(view.activity), inline=False
    )
    embed.set_footer(text=f"Accuracy counts judged answers only · days in {view.zone}")
    return embed


def _topics_text(view: StatsView) -> str:
    lines = [
        f"{percent(t.accuracy)} · {clip(literal(t.topic), 120)} ({t.correct}/{t.graded})"
        for t in view.topics[:TOPIC_LINES]
    ]
    if len(view.topics) > TOPIC_LINES:
        lines.append(f"…and {len(view.topics) - TOPIC_LINES} more")
    if view.untouched:
        lines.append("Not quizzed yet: " + literal(", ".join(view.untouched)))
    return clip("\n".join(lines) or "No answers in this deck yet.", FIELD_LIMIT)


def _activity_text(days: list[tuple[date, int]]) -> str:
    counts = [count for _day, count in days]
    active = sum(1 for count in counts if count)
    first, last = days[0][0], days[-1][0]
    return (
        f"`{sparkline(counts)}`\n{first:%b %d} → {last:%b %d} · "
        f"active on {active} of {len(days)} days · {plural(sum(counts), 'answer')}"
    )


# -- /season start and /forgetme -------------------------------------------------------


def season_prompt(current: Season | None, owner: int, shown_ms: int) -> tuple[discord.Embed, Any]:
    now_text = (
        f"Season {current.number} started {stamp(current.started_at)}."
        if current
        else "No season has been started yet: boards count every answer."
    )
    embed = discord.Embed(
        title="Start a new leaderboard season?",
        description=(
            f"{now_text}\n\nA new season makes `period: all-time` and every other period "
            "count from now. No answer is deleted: `/stats` keeps the whole history, and "
            "study streaks carry on."
        ),
        colour=DANGER_COLOUR,
    )
    view = _view(
        SeasonButton.make(
            "go",
            owner,
            shown_ms,
            label="Start the new season",
            style=discord.ButtonStyle.danger,
        ),
        SeasonButton.make("no", owner, shown_ms, label="Cancel"),
    )
    return embed, view


def season_started(season: Season) -> str:
    return (
        f"Season {season.number} started {stamp(season.started_at)}. "
        "Leaderboards count from now; earlier answers are kept."
    )


def _data_lines(data: UserData) -> list[str]:
    where = plural(data.servers, "server")
    if data.dm_answers:
        where += f" and {plural(data.dm_answers, 'answer')} in DMs"
    lines = [f"• {plural(data.answers, 'answer')} ({where})"] if data.answers else []
    if data.sessions:
        lines.append(f"• {plural(data.sessions, 'quiz session')}")
    if data.daily_streaks:
        lines.append(f"• daily challenge streaks in {plural(data.daily_streaks, 'server')}")
    if data.exam_dates:
        lines.append(f"• {plural(data.exam_dates, 'exam date')}")
    if data.profile:
        lines.append("• your profile: stored name and settings, with your card review schedule")
    return lines


def forget_prompt(data: UserData, owner: int) -> tuple[discord.Embed, Any]:
    embed = discord.Embed(
        title="Delete everything I store about you?",
        description=(
            "This deletes, in every server and in DMs:\n"
            + "\n".join(_data_lines(data))
            + "\n\nYour points, streaks and leaderboard places go with them. "
            "It cannot be undone."
        ),
        colour=DANGER_COLOUR,
    )
    view = _view(
        ForgetButton.make("go", owner, label="Delete everything", style=discord.ButtonStyle.danger),
        ForgetButton.make("no", owner, label="Keep it"),
    )
    return embed, view


def forgotten(data: UserData) -> str:
    lines = _data_lines(data)
    if not lines:
        return "There was nothing left to delete."
    return "Deleted:\n" + "\n".join(lines) + "\n\nUsing the bot again starts from zero."
