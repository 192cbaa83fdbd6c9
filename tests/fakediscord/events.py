"""Gateway-side views of the world: READY, GUILD_CREATE, member chunks and message events."""

from collections.abc import Callable

from .errors import JSONDict
from .gateway import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    Gateway,
    Session,
)
from .messages import StoredMessage
from .waiting import ChangeNotifier
from .world import World


class WorldHooks:
    """What the gateway sends about the world (implements ``GatewayHooks``)."""

    def __init__(
        self, world: World, token: str, gateway_url: Callable[[], str], notifier: ChangeNotifier
    ) -> None:
        self._world = world
        self.token = token
        self._gateway_url = gateway_url
        self._notifier = notifier

    def ready_payload(self, session: Session) -> JSONDict:
        me = self._world.bot.payload()
        me.update(verified=True, mfa_enabled=True, email=None)
        payload: JSONDict = {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self._world.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._gateway_url(),
            "application": {"id": str(self._world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "user_settings": {},
        }
        if "shard" in session.identify:
            payload["shard"] = session.identify["shard"]
            payload["guilds"] = [g for g in payload["guilds"] if session.owns(int(g["id"]))]
        return payload

    def guild_count(self) -> int:
        return len(self._world.guilds)

    def guild_create_payloads(self) -> list[JSONDict]:
        return [self._world.guild_create_payload(guild) for guild in self._world.guilds.values()]

    def members_chunk(self, request: JSONDict) -> JSONDict | None:
        guild = self._world.guilds.get(int(request.get("guild_id") or 0))
        if guild is None:
            return None
        members = list(guild.members.values())
        user_ids = {int(uid) for uid in request.get("user_ids") or []}
        query = str(request.get("query") or "").lower()
        if user_ids:
            members = [m for m in members if m.id in user_ids]
        elif query:
            members = [m for m in members if m.user.username.lower().startswith(query)]
        if request.get("limit"):
            members = members[: int(request["limit"])]
        chunk: JSONDict = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if request.get("nonce"):
            chunk["nonce"] = request["nonce"]
        return chunk

    def changed(self) -> None:
        self._notifier.pulse()


class MessageEvents:
    """Turns message changes into MESSAGE_* gateway events, gated by intents like Discord."""

    def __init__(self, world: World, gateway: Gateway, notifier: ChangeNotifier) -> None:
        self._world = world
        self._gateway = gateway
        self._notifier = notifier

    def __call__(self, event: str, message: StoredMessage) -> None:
        self._notifier.pulse()
        if message.ephemeral:
            return  # only the invoking user sees it; no gateway event
        channel = self._world.channels[message.channel_id]
        intent = INTENT_GUILD_MESSAGES if channel.guild_id else INTENT_DIRECT_MESSAGES
        if event == "MESSAGE_DELETE":
            data: JSONDict = {"id": str(message.id), "channel_id": str(channel.id)}
            if channel.guild_id:
                data["guild_id"] = str(channel.guild_id)
        else:
            data = message_event(message, self._world, with_content=self._bot_reads(message))
        self._gateway.dispatch(event, data, intent=intent)

    def _bot_reads(self, message: StoredMessage) -> bool:
        """Content is hidden without the MESSAGE_CONTENT intent, except in these cases."""
        session = self._gateway.current
        bot_id = str(self._world.bot.id)
        return (
            (session is not None and session.wants(INTENT_MESSAGE_CONTENT))
            or message.author_id == self._world.bot.id
            or self._world.channels[message.channel_id].guild_id is None
            or any(user["id"] == bot_id for user in message.payload["mentions"])
        )


def message_event(message: StoredMessage, world: World, *, with_content: bool) -> JSONDict:
    """The gateway form of a message: adds guild_id and member, hides content if it must."""
    data = dict(message.payload)
    channel = world.channels[message.channel_id]
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
        member = world.member(channel.guild_id, message.author_id)
        if member is not None:
            data["member"] = member.payload(with_user=False)
    if not with_content:
        data.update(content="", embeds=[], attachments=[], components=[])
    return data
