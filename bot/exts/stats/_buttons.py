"""Persistent buttons of /leaderboard, /season start and /forgetme.

All their state is in the custom_id, so they work after a restart:
`lb:<board>:<period>:<page>:<owner>:<p|n>` pages a leaderboard (the page is the
one to show; the last letter keeps Previous and Next distinct), `season:<go|no>:
<owner>:<shown ms>` confirms a new season at most once per prompt, and
`forget:<go|no>:<owner>` confirms /forgetme.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.domain.leaderboard import Board, Period
from bot.exts.buttons import PersistentButton

_BOARDS = "|".join(b.value for b in Board)
_PERIODS = "|".join(p.value for p in Period)
LEADERBOARD_TEMPLATE = re.compile(
    rf"lb:(?P<board>{_BOARDS}):(?P<period>{_PERIODS}):(?P<page>\d{{1,6}}):(?P<owner>\d{{1,20}}):(?P<side>[pn])"
)
SEASON_TEMPLATE = re.compile(r"season:(?P<action>go|no):(?P<owner>\d{1,20}):(?P<shown>\d{1,15})")
FORGET_TEMPLATE = re.compile(r"forget:(?P<action>go|no):(?P<owner>\d{1,20})")


class PageClick(NamedTuple):
    board: Board
    period: Period
    page: int
    owner: int  # who ran /leaderboard; anyone may page, into a copy of their own


class SeasonClick(NamedTuple):
    action: str
    owner: int
    shown_ms: int


class ForgetClick(NamedTuple):
    action: str
    owner: int


class LeaderboardButton(PersistentButton[PageClick], template=LEADERBOARD_TEMPLATE):
    prefix = "lb"

    @classmethod
    def parse(cls, match: re.Match[str]) -> PageClick:
        return PageClick(
            Board(match["board"]), Period(match["period"]), int(match["page"]), int(match["owner"])
        )


class SeasonButton(PersistentButton[SeasonClick], template=SEASON_TEMPLATE):
    prefix = "season"
    command = "season start"

    @classmethod
    def parse(cls, match: re.Match[str]) -> SeasonClick:
        return SeasonClick(match["action"], int(match["owner"]), int(match["shown"]))

    @classmethod
    def owner(cls, state: SeasonClick) -> int:
        return state.owner


class ForgetButton(PersistentButton[ForgetClick], template=FORGET_TEMPLATE):
    prefix = "forget"
    command = "forgetme"

    @classmethod
    def parse(cls, match: re.Match[str]) -> ForgetClick:
        return ForgetClick(match["action"], int(match["owner"]))

    @classmethod
    def owner(cls, state: ForgetClick) -> int:
        return state.owner
