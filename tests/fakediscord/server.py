"""``FakeDiscord``: the server, its world, and the driver API tests use to play users."""

import socket
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self

from aiohttp import web

from .actions import ChannelLike, UserActions, UserLike, as_user
from .attachments import CDN_PREFIX, AttachmentStore
from .commands import CommandRegistry
from .errors import DriverError, JSONDict, RecordedRequest, Violation
from .events import MessageEvents, WorldHooks
from .gateway import INTENT_GUILD_MEMBERS, PRIVILEGED_INTENTS, Gateway
from .interactions import (
    ATTACHMENT_SIZE_LIMIT,
    InteractionConfig,
    InteractionHandle,
    InteractionService,
)
from .limits import MAX_ATTACHMENTS
from .messages import MessageStore
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, PermissionsLike
from .ratelimit import RateLimiter
from .rest import Gate, RestApi, Router
from .routes import DiscordRoutes
from .snowflake import SnowflakeFactory
from .waiting import ChangeNotifier
from .world import Channel, Guild, Member, Overwrite, Role, User, World

DEFAULT_TOKEN = "ZmFrZS1ib3Q.fake.discord-token"


class FakeDiscord(UserActions):
    """A Discord API (REST + gateway) on 127.0.0.1 for a real discord.py client.

    See the package docstring for the tour; everything here is either world building,
    playing a user (which dispatches interactions), waiting, or inspecting what the bot did.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_name: str = "QuizBot",
        app_name: str = "Quiz Bot",
        ack_deadline: float = 3.0,
        token_ttl: float = 15 * 60.0,
        heartbeat_interval_ms: int = 41_250,
        allowed_intents: int = PRIVILEGED_INTENTS,
    ) -> None:
        self.token = token
        self.ids = SnowflakeFactory()
        self.notifier = ChangeNotifier()
        self.world = World(self.ids, bot_name=bot_name, app_name=app_name)
        hooks = WorldHooks(self.world, token, self._gateway_url, self.notifier)
        self.gateway = Gateway(
            hooks, heartbeat_interval_ms=heartbeat_interval_ms, allowed_intents=allowed_intents
        )
        events = MessageEvents(self.world, self.gateway, self.notifier)
        self.files = AttachmentStore(self.ids, lambda: f"http://127.0.0.1:{self._port}")
        self.store = MessageStore(self.ids, self.world, events, self.files)
        self.registry = CommandRegistry(self.ids, self.world.application_id)
        self.limiter = RateLimiter()
        self._interaction_config = InteractionConfig(ack_deadline, token_ttl)
        self.interactions = InteractionService(
            self.world, self.store, self.notifier, self._interaction_config, self.gateway.dispatch
        )
        router = Router()
        DiscordRoutes(
            self.world,
            self.store,
            self.registry,
            self.interactions,
            self.notifier,
            self._gateway_url,
            self._gateway_bot,
        ).register(router)
        self._rest = RestApi(router, self.limiter, token, self.notifier)
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Self:
        # Bodies up to a full message of files get through, so the size rule is Discord's
        # (checked per file) rather than aiohttp's 1 MiB default.
        app = web.Application(client_max_size=MAX_ATTACHMENTS * ATTACHMENT_SIZE_LIMIT + 2**20)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get(CDN_PREFIX + "/{attachment_id}/{filename}", self.files.serve)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        for gate in self._rest.gates:
            gate.open()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def endpoint_urls(self) -> tuple[str, str]:
        """``(api_base, gateway_url)`` for ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``."""
        if not self._port:
            raise DriverError("FakeDiscord is not started")
        return f"http://127.0.0.1:{self._port}/api/v10", self._gateway_url()

    def _gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway"

    def _gateway_bot(self) -> JSONDict:
        """``GET /gateway/bot``: the URL, the recommended shard count, the start limits."""
        return {
            "url": self._gateway_url(),
            "shards": self.gateway.recommended_shard_count(),
            "session_start_limit": self.gateway.limit.payload(),
        }

    # -- configuration ---------------------------------------------------------------------

    @property
    def ack_deadline(self) -> float:
        return self._interaction_config.ack_deadline

    @ack_deadline.setter
    def ack_deadline(self, seconds: float) -> None:
        self._interaction_config.ack_deadline = seconds

    @property
    def token_ttl(self) -> float:
        return self._interaction_config.token_ttl

    @token_ttl.setter
    def token_ttl(self, seconds: float) -> None:
        self._interaction_config.token_ttl = seconds

    def set_route_limit(
        self, route: str, limit: int, per_seconds: float, *, advertise: bool = True
    ) -> None:
        """Enforce ``limit`` requests per ``per_seconds`` on e.g. ``"POST /channels/{id}/messages"``,
        counted per channel/guild/webhook like Discord. ``advertise=False`` hides it from headers."""
        self.limiter.set_route_limit(route, limit, per_seconds, advertise=advertise)

    def set_session_start_limit(
        self,
        *,
        remaining: int | None = None,
        total: int | None = None,
        max_concurrency: int | None = None,
        identify_window: float | None = None,
    ) -> None:
        """What ``/gateway/bot`` reports and the gateway enforces: session starts left (op 9
        when spent), and ``max_concurrency`` IDENTIFYs per ``identify_window`` seconds, one
        per bucket ``shard_id % max_concurrency`` (closed with 4008 beyond)."""
        limit = self.gateway.limit
        if total is not None:
            limit.total = total
        if remaining is not None:
            limit.remaining = remaining
        if max_concurrency is not None:
            limit.max_concurrency = max_concurrency
        if identify_window is not None:
            self.gateway.identify_window = identify_window

    def recommend_shards(self, count: int | None) -> None:
        """The shard count ``/gateway/bot`` recommends (None: one per 1,000 servers)."""
        self.gateway.recommended_shards = count

    def set_global_limit(self, per_second: int | None = 50) -> None:
        """Enable (or with None disable) the global limit, answered with ``"global": true``."""
        self.limiter.global_limit = per_second

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        count: int = 1,
        *,
        body: JSONDict | None = None,
        retry_after: float = 0.05,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status``. The pattern is a route
        template (``/channels/{channel_id}/messages``) or a glob (``/channels/*/messages``);
        method ``"*"`` matches any. Injected errors are never counted as violations."""
        self.limiter.fail_next(
            method, path_pattern, status, count, body=body, retry_after=retry_after
        )

    def hold(self, method: str, template: str) -> Gate:
        """Keep every request to a route (``/channels/{channel_id}/messages``) waiting,
        counted in ``arrived``, until the gate is opened; opened when the fake stops."""
        gate = Gate(method, template)
        self._rest.gates.append(gate)
        return gate

    # -- world building --------------------------------------------------------------------

    @property
    def bot(self) -> User:
        return self.world.bot

    @property
    def application_id(self) -> int:
        return self.world.application_id

    def add_guild(
        self,
        name: str,
        *,
        everyone_permissions: PermissionsLike = DEFAULT_EVERYONE,
        bot_permissions: PermissionsLike = DEFAULT_BOT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A server with the bot in it; ``shard=(id, count)`` picks an id that lands there."""
        guild = self.world.add_guild(
            name,
            everyone_permissions=everyone_permissions,
            bot_permissions=bot_permissions,
            shard=shard,
        )
        self.gateway.dispatch("GUILD_CREATE", self.world.guild_create_payload(guild))
        return guild

    def add_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        bot_permissions: PermissionsLike | None = None,
        topic: str | None = None,
        overwrites: list[Overwrite] | None = None,
    ) -> Channel:
        channel = self.world.add_text_channel(
            guild_id, name, bot_permissions=bot_permissions, topic=topic, overwrites=overwrites
        )
        self.gateway.dispatch("CHANNEL_CREATE", channel.payload())
        return channel

    def add_thread(self, parent: Channel | int, name: str, *, owner: UserLike) -> Channel:
        """A member starts a public thread in a text channel (the bot gets THREAD_CREATE)."""
        parent_id = parent.id if isinstance(parent, Channel) else parent
        thread = self.world.add_thread(parent_id, name, owner=as_user(owner))
        self.gateway.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True})
        return thread

    def delete_channel(self, channel: Channel | int) -> None:
        """An admin deletes a guild channel (the bot gets CHANNEL_DELETE; REST then 404s)."""
        removed = self.world.remove_channel(channel.id if isinstance(channel, Channel) else channel)
        self.gateway.dispatch("CHANNEL_DELETE", removed.payload())

    def delete_message(self, message: JSONDict | int) -> None:
        """A moderator deletes a message. The bot, without the guild messages intent, is
        not told: REST calls on that message then 404 with Unknown Message."""
        message_id = int(message["id"]) if isinstance(message, dict) else message
        stored = self.store.get(message_id)
        if stored is None:
            raise DriverError(f"there is no message {message_id} to delete")
        self.store.delete(stored)

    def set_bot_channel_permissions(
        self, channel: Channel | int, permissions: PermissionsLike
    ) -> None:
        """An admin changes what the bot may do in a channel (the bot gets CHANNEL_UPDATE)."""
        channel_id = channel.id if isinstance(channel, Channel) else channel
        changed = self.world.set_bot_channel_permissions(channel_id, permissions)
        self.gateway.dispatch("CHANNEL_UPDATE", changed.payload())

    def add_role(self, guild_id: int, name: str, permissions: PermissionsLike = 0) -> Role:
        role = self.world.add_role(guild_id, name, permissions)
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.payload()}
        )
        return role

    def add_member(
        self,
        guild_id: int,
        user: User | str,
        *,
        permissions: PermissionsLike | None = None,
        roles: list[Role] | None = None,
        nick: str | None = None,
    ) -> Member:
        """Add a member; ``permissions`` are granted through a personal role on top of @everyone."""
        fresh_roles = len(self.world.guild(guild_id).roles)
        member = self.world.add_member(
            guild_id, user, permissions=permissions, roles=roles, nick=nick
        )
        guild = self.world.guild(guild_id)
        for role in list(guild.roles.values())[fresh_roles:]:
            self.gateway.dispatch(
                "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.payload()}
            )
        event = {**member.payload(), "guild_id": str(guild_id)}
        self.gateway.dispatch("GUILD_MEMBER_ADD", event, intent=INTENT_GUILD_MEMBERS)
        return member

    def upload(self, filename: str, data: bytes, content_type: str | None = None) -> JSONDict:
        """A file a user attaches to a slash command: pass the returned attachment as the
        value of an attachment option. Its bytes are served at its ``url``."""
        if not self._port:
            raise DriverError("FakeDiscord is not started")
        if len(data) > ATTACHMENT_SIZE_LIMIT:
            raise DriverError(f"{len(data)} bytes is over the {ATTACHMENT_SIZE_LIMIT} upload limit")
        return self.files.add(filename, data, content_type, ephemeral=True)

    def attachment_data(self, attachment: JSONDict) -> bytes:
        """The bytes of an attachment, uploaded by a user or sent by the bot."""
        return self.files.data(attachment)

    def add_user(self, username: str) -> User:
        """A user who shares no guild with the bot (reachable in DMs only)."""
        return self.world.add_user(username)

    def open_dm(self, user: UserLike) -> Channel:
        return self.world.open_dm(user)

    # -- waiting ---------------------------------------------------------------------------

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "a condition"
    ) -> None:
        await self.notifier.wait_for(lambda: True if predicate() else None, timeout, what)

    async def wait_ready(self, timeout: float = 10.0, *, count: int = 1) -> None:
        """Wait until ``count`` sessions got READY (+ GUILD_CREATEs), and the connected bot
        has processed them (so ``client.get_guild`` etc. already work)."""

        def ready() -> bool:
            session = self.gateway.current
            live = session is not None and session.resumable and session.connection is not None
            return live and self.gateway.ready_count >= count

        await self.wait_until(ready, timeout, f"{count} READY session(s)")
        await self.sync_gateway(timeout)

    async def sync_gateway(self, timeout: float = 5.0) -> None:
        """Wait until the connected bot has processed every event sent so far (each shard
        answers a server heartbeat request with the last seq it handled)."""
        asked = self.gateway.request_heartbeats()
        if not asked:
            asked = [self.gateway.request_heartbeat()]  # raises: no bot is connected
        await self.wait_until(
            lambda: all(connection.acked_seq >= target for connection, target in asked),
            timeout,
            "the bot to process every event sent",
        )

    async def wait_shards_ready(self, shard_ids: Iterable[int], timeout: float = 15.0) -> None:
        """Wait until each of these shards has a live session, and has processed its events."""
        wanted = set(shard_ids)
        await self.wait_until(
            lambda: wanted <= {s.shard[0] for s in self.gateway.shard_sessions()},
            timeout,
            f"shards {sorted(wanted)} to be connected",
        )
        await self.sync_gateway(timeout)

    async def wait_disconnected(self, timeout: float = 5.0, *, at_most: int = 0) -> None:
        """Wait until no bot is connected (e.g. after ``client.close()``); with ``at_most``,
        until no more than that many gateway connections are open (another bot's)."""

        def gone() -> bool:
            if at_most:
                return self.open_connections <= at_most
            return self.gateway.live is None and not self.gateway.shard_sessions()

        await self.wait_until(gone, timeout, "the bot to disconnect")

    @property
    def open_connections(self) -> int:
        """Gateway websockets open right now, whichever bot (process) opened them."""
        return sum(1 for c in self.gateway.connections if c.session and not c.ws.closed)

    async def wait_commands_synced(
        self, scope: int | None = None, timeout: float = 10.0
    ) -> list[JSONDict]:
        """Wait for a bulk overwrite (``tree.sync``) of global (None) or guild commands."""

        def synced() -> list[JSONDict] | None:
            if not self.registry.overwrite_counts[scope]:
                return None
            return self.registry.in_scope(scope)

        what = f"command sync for {'global' if scope is None else scope}"
        return await self.notifier.wait_for(synced, timeout, what)

    async def wait_for_message(
        self,
        channel: ChannelLike,
        predicate: Callable[[JSONDict], bool] | None = None,
        *,
        timeout: float = 5.0,
        after: int | None = None,
    ) -> JSONDict:
        """The oldest visible bot message in the channel matching ``predicate`` (existing ones
        count; pass ``after=<message id>`` to only consider newer ones)."""
        channel_id = self._channel(channel).id

        def probe() -> JSONDict | None:
            for stored in self.store.in_channel(channel_id):
                mine = stored.author_id == self.world.bot.id
                if (
                    mine
                    and stored.id > (after or 0)
                    and (predicate is None or predicate(stored.payload))
                ):
                    return stored.payload
            return None

        return await self.notifier.wait_for(probe, timeout, f"a bot message in {channel_id}")

    # -- inspection ------------------------------------------------------------------------

    def commands(self, guild_id: int | None = None) -> list[JSONDict]:
        return self.registry.in_scope(guild_id)

    def messages(self, channel: ChannelLike) -> list[JSONDict]:
        """Visible messages of a channel, oldest first (ephemeral ones are not here)."""
        return [stored.payload for stored in self.store.in_channel(self._channel(channel).id)]

    def message(self, message_id: int) -> JSONDict | None:
        stored = self.store.get(message_id)
        return None if stored is None or stored.deleted else stored.payload

    def ephemeral_messages(self, user: UserLike | None = None) -> list[JSONDict]:
        """Ephemeral replies, optionally only those shown to ``user``."""
        handles = self.interactions.handles
        return [
            m.payload
            for m in self.store.all()
            if m.ephemeral
            and not m.deleted
            and (user is None or handles[m.interaction_id or 0].user.id == as_user(user).id)
        ]

    @property
    def interactions_sent(self) -> list[InteractionHandle]:
        return list(self.interactions.handles.values())

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._rest.requests

    def requests_to(self, method: str, route: str) -> list[RecordedRequest]:
        """Recorded requests for a route template, e.g. ``("POST", "/channels/{channel_id}/messages")``."""
        return [r for r in self._rest.requests if r.method == method and r.route == route]

    @property
    def limit_violations(self) -> list[Violation]:
        return self._rest.violations

    @property
    def unknown_routes(self) -> list[str]:
        return self._rest.unknown_routes

    @property
    def rate_limited_count(self) -> int:
        return self.limiter.limited_count

    @property
    def identify_payloads(self) -> list[JSONDict]:
        return self.gateway.identify_payloads

    @property
    def connected(self) -> bool:
        """Whether a bot is connected to the gateway right now."""
        return self.gateway.live is not None

    @property
    def session_starts(self) -> int:
        """IDENTIFYs that started a session (what Discord's daily limit counts)."""
        return self.gateway.session_starts

    @property
    def identify_refusals(self) -> int:
        """IDENTIFYs closed with 4008 for coming too fast in their bucket."""
        return self.gateway.identify_refusals

    def shard_identifies(self) -> list[tuple[int, int]]:
        """(shard id, shard count) of every IDENTIFY, in the order they came."""
        shards = [p.get("shard") or [0, 1] for p in self.identify_payloads]
        return [(int(shard[0]), int(shard[1])) for shard in shards]

    @property
    def ready_count(self) -> int:
        return self.gateway.ready_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    # -- gateway faults --------------------------------------------------------------------

    async def drop_connection(self, *, resumable: bool = True, code: int | None = None) -> None:
        """Cut the bot's socket (abruptly by default, or closing with ``code``). With
        ``resumable=False`` the session dies too, so the bot must IDENTIFY again."""
        await self.gateway.drop(resumable=resumable, code=code)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the bot should close and RESUME."""
        self.gateway.request_reconnect()

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION."""
        self.gateway.invalidate_session(resumable=resumable)
