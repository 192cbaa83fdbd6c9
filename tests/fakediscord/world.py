"""The fake's world: users, guilds, roles, members and channels, with their JSON shapes."""

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from .errors import DriverError, JSONDict
from .permissions import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    DEFAULT_BOT,
    DEFAULT_EVERYONE,
    DM_PERMISSIONS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    PermissionsLike,
    apply_overwrites,
    as_bits,
)
from .snowflake import SnowflakeFactory

TEXT_CHANNEL = 0
DM_CHANNEL = 1
PUBLIC_THREAD = 11
ROLE_OVERWRITE = 0
MEMBER_OVERWRITE = 1


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> JSONDict:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    bot_id: int | None = None

    def payload(self) -> JSONDict:
        payload: JSONDict = {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.bot_id is not None,
            "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            payload["tags"] = {"bot_id": str(self.bot_id)}
        return payload


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int]
    joined_at: str = field(default_factory=now_iso)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    def payload(self, *, permissions: int | None = None, with_user: bool = True) -> JSONDict:
        payload: JSONDict = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(role_id) for role_id in self.role_ids],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            payload["user"] = self.user.payload()
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


@dataclass
class Overwrite:
    id: int
    type: int
    allow: int
    deny: int

    def payload(self) -> JSONDict:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: User | None = None
    last_message_id: int | None = None
    parent_id: int | None = None  # a thread's channel
    owner_id: int | None = None  # who started a thread
    created_at: str = field(default_factory=now_iso)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self, *, permissions: int | None = None) -> JSONDict:
        payload: JSONDict = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": None if self.last_message_id is None else str(self.last_message_id),
            "flags": 0,
        }
        if self.type == DM_CHANNEL:
            assert self.recipient is not None
            payload["recipients"] = [self.recipient.payload()]
        elif self.type == PUBLIC_THREAD:
            payload.update(
                guild_id=str(self.guild_id),
                name=self.name,
                parent_id=str(self.parent_id),
                owner_id=str(self.owner_id),
                rate_limit_per_user=0,
                message_count=0,
                member_count=1,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": self.created_at,
                    "locked": False,
                    "create_timestamp": self.created_at,
                },
            )
        else:
            payload.update(
                guild_id=str(self.guild_id),
                name=self.name,
                position=self.position,
                topic=self.topic,
                nsfw=False,
                parent_id=None,
                rate_limit_per_user=0,
                permission_overwrites=[ow.payload() for ow in self.overwrites],
            )
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=now_iso)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def rest_payload(self) -> JSONDict:
        """The guild object GET /guilds/{id} answers (no channels or members)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "features": [],
            "roles": [role.payload() for role in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "max_members": 500_000,
            "max_video_channel_users": 25,
        }


class World:
    """Registry of everything the fake knows, plus Discord's permission maths."""

    def __init__(self, ids: SnowflakeFactory, *, bot_name: str, app_name: str) -> None:
        self.ids = ids
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.application_id = ids.next()
        self.bot = self.add_user(bot_name, bot=True)
        self.owner = self.add_user(f"{app_name.lower().replace(' ', '')}-owner")
        self.app_name = app_name

    # -- creation -------------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False) -> User:
        user = User(self.ids.next(), username, bot=bot, global_name=None if bot else username)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        everyone_permissions: PermissionsLike = DEFAULT_EVERYONE,
        bot_permissions: PermissionsLike = DEFAULT_BOT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        guild_id = self.ids.next() if shard is None else self.ids.next_on_shard(*shard)
        guild = Guild(guild_id, name, owner_id=self.owner.id)
        guild.roles[guild.id] = Role(
            guild.id, guild.id, "@everyone", as_bits(everyone_permissions), 0
        )
        bot_role = self._new_role(guild, self.bot.username, as_bits(bot_permissions))
        bot_role.bot_id = self.bot.id
        guild.members[self.owner.id] = Member(self.owner, guild.id, [])
        guild.members[self.bot.id] = Member(self.bot, guild.id, [bot_role.id])
        self.guilds[guild.id] = guild
        return guild

    def add_role(self, guild_id: int, name: str, permissions: PermissionsLike = 0) -> Role:
        return self._new_role(self.guild(guild_id), name, as_bits(permissions))

    def add_member(
        self,
        guild_id: int,
        user: User | str,
        *,
        permissions: PermissionsLike | None = None,
        roles: list[Role] | None = None,
        nick: str | None = None,
    ) -> Member:
        guild = self.guild(guild_id)
        if isinstance(user, str):
            user = self.add_user(user)
        role_ids = [role.id for role in roles or []]
        if permissions is not None:
            # A personal role carries the extra permissions, exactly as a server admin would do it.
            role_ids.append(
                self._new_role(guild, f"{user.username} perms", as_bits(permissions)).id
            )
        member = Member(user, guild.id, role_ids, nick=nick)
        guild.members[user.id] = member
        return member

    def add_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        bot_permissions: PermissionsLike | None = None,
        topic: str | None = None,
        overwrites: list[Overwrite] | None = None,
    ) -> Channel:
        guild = self.guild(guild_id)
        channel = Channel(
            self.ids.next(),
            TEXT_CHANNEL,
            name,
            guild_id=guild.id,
            position=len(guild.channel_ids),
            topic=topic,
            overwrites=list(overwrites or []),
        )
        if bot_permissions is not None:
            # A member overwrite that denies everything else pins the bot to exactly these bits.
            bits = as_bits(bot_permissions)
            channel.overwrites.append(
                Overwrite(self.bot.id, MEMBER_OVERWRITE, bits, ALL_PERMISSIONS & ~bits)
            )
        guild.channel_ids.append(channel.id)
        self.channels[channel.id] = channel
        return channel

    def add_thread(self, parent_id: int, name: str, *, owner: User | Member) -> Channel:
        """A public thread in a text channel, started by ``owner``."""
        parent = self.channel(parent_id)
        if parent.type != TEXT_CHANNEL:
            raise DriverError("threads are started in a server's text channel")
        starter = owner.user if isinstance(owner, Member) else owner
        thread = Channel(
            self.ids.next(),
            PUBLIC_THREAD,
            name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=starter.id,
        )
        self.channels[thread.id] = thread
        return thread

    def remove_channel(self, channel_id: int) -> Channel:
        """Delete a guild channel: REST calls on it then answer 404 Unknown Channel."""
        channel = self.channel(channel_id)
        if channel.guild_id is None:
            raise DriverError("DM channels cannot be deleted")
        del self.channels[channel.id]
        self.guilds[channel.guild_id].channel_ids.remove(channel.id)
        return channel

    def set_bot_channel_permissions(self, channel_id: int, permissions: PermissionsLike) -> Channel:
        """Pin the bot to exactly ``permissions`` in a channel, replacing its own overwrite."""
        channel = self.channel(channel_id)
        bits = as_bits(permissions)
        channel.overwrites = [
            ow
            for ow in channel.overwrites
            if not (ow.type == MEMBER_OVERWRITE and ow.id == self.bot.id)
        ]
        channel.overwrites.append(
            Overwrite(self.bot.id, MEMBER_OVERWRITE, bits, ALL_PERMISSIONS & ~bits)
        )
        return channel

    def open_dm(self, user: User | Member) -> Channel:
        target = user.user if isinstance(user, Member) else user
        for channel in self.channels.values():
            if channel.type == DM_CHANNEL and channel.recipient is target:
                return channel
        channel = Channel(self.ids.next(), DM_CHANNEL, "", recipient=target)
        self.channels[channel.id] = channel
        return channel

    def _new_role(self, guild: Guild, name: str, permissions: int) -> Role:
        role = Role(self.ids.next(), guild.id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    # -- lookup ---------------------------------------------------------------------------

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise DriverError(f"no guild {guild_id}") from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise DriverError(f"no channel {channel_id}") from None

    def member(self, guild_id: int, user_id: int) -> Member | None:
        guild = self.guilds.get(guild_id)
        return None if guild is None else guild.members.get(user_id)

    # -- permissions ----------------------------------------------------------------------

    def base_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        bits = guild.everyone.permissions
        for role_id in member.role_ids:
            bits |= guild.roles[role_id].permissions
        return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits

    def channel_permissions(self, channel: Channel, user_id: int) -> int:
        if channel.guild_id is None:
            return DM_PERMISSIONS
        if channel.parent_id is not None:
            # A thread has its channel's permissions; Send Messages in Threads is what
            # lets a member (or the bot) post in it.
            bits = self.channel_permissions(self.channel(channel.parent_id), user_id)
            in_threads = SEND_MESSAGES if bits & SEND_MESSAGES_IN_THREADS else 0
            return (bits & ~SEND_MESSAGES) | in_threads
        guild = self.guilds[channel.guild_id]
        base = self.base_permissions(guild, user_id)
        member = guild.members.get(user_id)
        role_ids = set(member.role_ids) if member else set()
        everyone = [(o.allow, o.deny) for o in channel.overwrites if o.id == guild.id]
        roles = [o for o in channel.overwrites if o.type == ROLE_OVERWRITE and o.id in role_ids]
        role_layer = (
            reduce(or_, (o.allow for o in roles), 0),
            reduce(or_, (o.deny for o in roles), 0),
        )
        personal = [
            (o.allow, o.deny)
            for o in channel.overwrites
            if o.type == MEMBER_OVERWRITE and o.id == user_id
        ]
        return apply_overwrites(base, [*everyone, role_layer, *personal])

    # -- gateway shapes -------------------------------------------------------------------

    def guild_create_payload(self, guild: Guild) -> JSONDict:
        payload = guild.rest_payload()
        payload.update(
            joined_at=guild.joined_at,
            large=False,
            unavailable=False,
            member_count=len(guild.members),
            # Like Discord for a bot without presences: only the bot itself is sent.
            members=[guild.members[self.bot.id].payload()],
            channels=[self.channels[cid].payload() for cid in guild.channel_ids],
            threads=[],
            presences=[],
            voice_states=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return payload

    def application_payload(self) -> JSONDict:
        return {
            "id": str(self.application_id),
            "name": self.app_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner.payload(),
            "team": None,
            "flags": 0,
            "bot": self.bot.payload(),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
        }
