"""What the bot keeps about members and servers, and which time zone counts for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.domain.timezones import zone_or_utc
from bot.storage import Database, MemberName

__all__ = ["member_name", "member_zone", "remember_member", "server_zone", "zone_or_utc"]


async def server_zone(db: Database, guild_id: int | None) -> ZoneInfo:
    if guild_id is None:
        return ZoneInfo("UTC")
    guild = await db.members.guild(guild_id)
    return zone_or_utc(guild.timezone if guild else None)


async def member_zone(db: Database, user_id: int, guild_id: int | None) -> ZoneInfo:
    """The member's own zone, else the server's, else UTC."""
    user = await db.members.user(user_id)
    if user is not None and user.timezone:
        return zone_or_utc(user.timezone)
    return await server_zone(db, guild_id)


async def remember_member(
    db: Database, interaction: discord.Interaction[Any], now: datetime
) -> None:
    """Keep the name leaderboards show (no members intent needed), and the server row
    answers point to."""
    await db.members.upsert(member_name(interaction), now)


def member_name(interaction: discord.Interaction[Any]) -> MemberName:
    guild_name = interaction.guild.name if interaction.guild else ""
    return MemberName(
        interaction.user.id, interaction.user.display_name, interaction.guild_id, guild_name
    )
