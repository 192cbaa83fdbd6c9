"""Members and servers: their names, time zones, and forgetting a member (`/forgetme`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.base import Conn, Repository, fetchone
from bot.storage.models import Guild, MemberName, User, from_ms, to_ms


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


class Members(Repository):
    """Users and guilds: names, settings, and what /forgetme deletes."""

    async def upsert(self, member: MemberName, now: datetime) -> None:
        """Remember a member's current name and, if any, their server's."""
        async with self.write() as conn:
            await write_member(conn, member, now)

    async def upsert_user(self, user_id: int, display_name: str, now: datetime) -> None:
        """Remember a user's current name; called whenever they interact."""
        await self.upsert(MemberName(user_id, display_name, None), now)

    async def upsert_guild(self, guild_id: int, name: str, now: datetime) -> None:
        async with self.write() as conn:
            await write_guild(conn, guild_id, name, now)

    async def user(self, user_id: int) -> User | None:
        row = await self._fetchone(
            "SELECT id, display_name, timezone, updated_at FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            return None
        return User(int(row[0]), str(row[1]), row[2], from_ms(int(row[3])))

    async def guild(self, guild_id: int) -> Guild | None:
        row = await self._fetchone(
            "SELECT id, name, timezone, created_at FROM guilds WHERE id = ?", (guild_id,)
        )
        if row is None:
            return None
        return Guild(int(row[0]), str(row[1]), str(row[2]), from_ms(int(row[3])))

    async def names(self, user_ids: list[int]) -> dict[int, str]:
        """Last known names; ask for a page's worth at a time."""
        if not user_ids:
            return {}
        marks = ", ".join("?" for _ in user_ids)
        rows = await self._fetchall(
            f"SELECT id, display_name FROM users WHERE id IN ({marks})", tuple(user_ids)
        )
        return {int(row[0]): str(row[1]) for row in rows}

    async def set_timezone(self, user_id: int, zone: str | None, now: datetime) -> None:
        """A member's own zone for their study streak; None falls back to the server's."""
        await self._execute(
            "UPDATE users SET timezone = ?, updated_at = ? WHERE id = ?",
            (zone, to_ms(now), user_id),
        )

    async def set_guild_timezone(self, guild_id: int, zone: str) -> None:
        await self._execute("UPDATE guilds SET timezone = ? WHERE id = ?", (zone, guild_id))

    async def stored(self, user_id: int) -> UserData:
        """What the bot stores about a user, counted."""
        async with self.read() as conn:
            return await _count_user_data(conn, user_id)

    async def forget(self, user_id: int) -> UserData:
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


async def write_member(conn: Conn, member: MemberName, now: datetime) -> None:
    """Remember a member's current name and their server's (inside a write).

    An unchanged name writes nothing (no page to commit on every click); a user's
    `updated_at` is when their name last changed.
    """
    await conn.execute(
        "INSERT INTO users (id, display_name, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, "
        "updated_at = excluded.updated_at WHERE users.display_name IS DISTINCT FROM excluded.display_name",
        (member.user_id, member.display_name, to_ms(now)),
    )
    if member.guild_id is not None:
        await write_guild(conn, member.guild_id, member.guild_name, now)


async def write_guild(conn: Conn, guild_id: int, name: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO guilds (id, name, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE guilds.name IS DISTINCT FROM excluded.name",
        (guild_id, name, to_ms(now)),
    )


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
