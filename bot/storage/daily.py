"""Queries for daily challenges: schedules, posts and their answers."""

from __future__ import annotations

from bot.storage.base import Connection


class DailyQueries(Connection):
    pass
