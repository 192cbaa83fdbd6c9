"""The REST endpoints a bot uses, answered from the fake's world."""

from collections.abc import Callable

from .commands import CommandRegistry, Scope
from .errors import ApiError, JSONDict, forbidden, form_error, unknown
from .interactions import InteractionService
from .limits import check_command, check_commands, check_message, is_empty_message
from .messages import MessageStore, StoredMessage
from .permissions import MANAGE_MESSAGES, SEND_MESSAGES, VIEW_CHANNEL
from .rest import ApiRequest, Reply, Router
from .waiting import ChangeNotifier
from .world import Channel, Guild, World

APP = "/applications/{application_id}"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"


class DiscordRoutes:
    def __init__(
        self,
        world: World,
        store: MessageStore,
        registry: CommandRegistry,
        interactions: InteractionService,
        notifier: ChangeNotifier,
        gateway_url: Callable[[], str],
        gateway_bot: Callable[[], JSONDict],
    ) -> None:
        self._world = world
        self._store = store
        self._registry = registry
        self._interactions = interactions
        self._notifier = notifier
        self._gateway_url = gateway_url
        self._gateway_bot = gateway_bot

    def register(self, router: Router) -> None:
        add = router.add
        add("GET", "/users/@me", self.get_me)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/users/{user_id}", self.get_user)
        add("GET", "/oauth2/applications/@me", self.get_application)
        add("GET", "/applications/@me", self.get_application)
        add("GET", "/gateway", self.get_gateway)
        add("GET", "/gateway/bot", self.get_gateway_bot)
        for prefix in (APP, APP + "/guilds/{guild_id}"):
            add("GET", prefix + "/commands", self.list_commands)
            add("PUT", prefix + "/commands", self.overwrite_commands)
            add("POST", prefix + "/commands", self.upsert_command)
            add("GET", prefix + "/commands/permissions", self.command_permissions)
            add("GET", prefix + "/commands/{command_id}", self.get_command)
            add("PATCH", prefix + "/commands/{command_id}", self.edit_command)
            add("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        callback = "/interactions/{interaction_id}/{interaction_token}/callback"
        add("POST", callback, self.interaction_callback, auth=False)
        add("POST", WEBHOOK, self.webhook_execute, auth=False)
        add("GET", WEBHOOK + "/messages/{message_id}", self.webhook_get, auth=False)
        add("PATCH", WEBHOOK + "/messages/{message_id}", self.webhook_edit, auth=False)
        add("DELETE", WEBHOOK + "/messages/{message_id}", self.webhook_delete, auth=False)
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("GET", "/channels/{channel_id}/messages", self.list_messages)
        add("POST", "/channels/{channel_id}/messages", self.create_message)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("GET", MESSAGE, self.get_message)
        add("PATCH", MESSAGE, self.edit_message)
        add("DELETE", MESSAGE, self.delete_message)
        add("PUT", MESSAGE + "/reactions/{emoji}/@me", self.add_reaction)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.get_guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self.get_guild_roles)
        add("GET", "/guilds/{guild_id}/members", self.list_members)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)

    # -- users, application, gateway -------------------------------------------------------

    async def get_me(self, req: ApiRequest) -> Reply:
        me = self._world.bot.payload()
        me.update(verified=True, mfa_enabled=True, email=None, locale="en-US")
        return Reply(body=me)

    async def get_user(self, req: ApiRequest) -> Reply:
        user = self._world.users.get(req.snowflake("user_id"))
        if user is None:
            raise unknown(10013)
        return Reply(body=user.payload())

    async def create_dm(self, req: ApiRequest) -> Reply:
        user = self._world.users.get(int(req.body().get("recipient_id") or 0))
        if user is None:
            raise unknown(10013)
        return Reply(body=self._world.open_dm(user).payload())

    async def get_application(self, req: ApiRequest) -> Reply:
        return Reply(body=self._world.application_payload())

    async def get_gateway(self, req: ApiRequest) -> Reply:
        return Reply(body={"url": self._gateway_url()})

    async def get_gateway_bot(self, req: ApiRequest) -> Reply:
        return Reply(body=self._gateway_bot())

    # -- application commands --------------------------------------------------------------

    def _scope(self, req: ApiRequest) -> Scope:
        if req.snowflake("application_id") != self._world.application_id:
            raise forbidden(50001, "Missing Access")
        if "guild_id" not in req.params:
            return None
        guild_id = req.snowflake("guild_id")
        if guild_id not in self._world.guilds:
            raise forbidden(50001, "Missing Access")  # bot not in that guild
        return guild_id

    async def list_commands(self, req: ApiRequest) -> Reply:
        return Reply(body=self._registry.in_scope(self._scope(req)))

    async def overwrite_commands(self, req: ApiRequest) -> Reply:
        scope = self._scope(req)
        payloads = req.json if isinstance(req.json, list) else []
        errors = check_commands(payloads)
        if errors:
            raise form_error(errors)
        commands = self._registry.overwrite(scope, payloads)
        self._notifier.pulse()
        return Reply(body=commands)

    async def upsert_command(self, req: ApiRequest) -> Reply:
        scope = self._scope(req)
        errors = check_command(req.body())
        if errors:
            raise form_error(errors)
        command, created = self._registry.upsert(scope, req.body())
        self._notifier.pulse()
        return Reply(201 if created else 200, command)

    async def command_permissions(self, req: ApiRequest) -> Reply:
        self._scope(req)
        return Reply(body=[])

    async def get_command(self, req: ApiRequest) -> Reply:
        command = self._registry.get(self._scope(req), req.snowflake("command_id"))
        if command is None:
            raise unknown(10063)
        return Reply(body=command)

    async def edit_command(self, req: ApiRequest) -> Reply:
        scope, command_id = self._scope(req), req.snowflake("command_id")
        current = self._registry.get(scope, command_id)
        if current is None:
            raise unknown(10063)
        errors = check_command({**current, **req.body()})
        if errors:
            raise form_error(errors)
        return Reply(body=self._registry.edit(scope, command_id, req.body()))

    async def delete_command(self, req: ApiRequest) -> Reply:
        if not self._registry.delete(self._scope(req), req.snowflake("command_id")):
            raise unknown(10063)
        return Reply(204)

    # -- interactions and their webhooks ---------------------------------------------------

    async def interaction_callback(self, req: ApiRequest) -> Reply:
        with_response = req.query.get("with_response", "").lower() in ("1", "true")
        body = self._interactions.callback(
            req.snowflake("interaction_id"),
            req.params["interaction_token"],
            req.body(),
            req.uploads,
            with_response=with_response,
        )
        return Reply(204 if body is None else 200, body)

    async def webhook_execute(self, req: ApiRequest) -> Reply:
        webhook_id, token = req.snowflake("webhook_id"), req.params["webhook_token"]
        message = self._interactions.followup(webhook_id, token, req.body(), req.uploads)
        wait = req.query.get("wait", "").lower() in ("1", "true")
        return Reply(200, message.payload) if wait else Reply(204)

    async def webhook_get(self, req: ApiRequest) -> Reply:
        message = self._interactions.webhook_message(
            req.snowflake("webhook_id"), req.params["webhook_token"], req.params["message_id"]
        )
        return Reply(body=message.payload)

    async def webhook_edit(self, req: ApiRequest) -> Reply:
        message = self._interactions.edit(
            req.snowflake("webhook_id"),
            req.params["webhook_token"],
            req.params["message_id"],
            req.body(),
            req.uploads,
        )
        return Reply(body=message.payload)

    async def webhook_delete(self, req: ApiRequest) -> Reply:
        self._interactions.delete(
            req.snowflake("webhook_id"), req.params["webhook_token"], req.params["message_id"]
        )
        return Reply(204)

    # -- channels and messages -------------------------------------------------------------

    def _channel(self, req: ApiRequest, *needs: int) -> Channel:
        channel = self._world.channels.get(req.snowflake("channel_id"))
        if channel is None:
            raise unknown(10003)
        granted = self._world.channel_permissions(channel, self._world.bot.id)
        if not granted & VIEW_CHANNEL:
            raise forbidden(50001, "Missing Access")
        if any(granted & need != need for need in needs):
            raise forbidden(50013, "Missing Permissions")
        return channel

    def _message(self, req: ApiRequest, channel: Channel) -> StoredMessage:
        message = self._store.get(req.snowflake("message_id"))
        if (
            message is None
            or message.deleted
            or message.ephemeral
            or message.channel_id != channel.id
        ):
            raise unknown(10008)
        return message

    async def get_channel(self, req: ApiRequest) -> Reply:
        return Reply(body=self._channel(req).payload())

    async def list_messages(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        limit = min(int(req.query.get("limit", 50)), 100)
        before, after = int(req.query.get("before", 0)), int(req.query.get("after", 0))
        messages = [
            m.payload
            for m in reversed(self._store.in_channel(channel.id))
            if (not before or m.id < before) and m.id > after
        ]
        return Reply(body=messages[:limit])

    async def create_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req, SEND_MESSAGES)
        body = req.body()
        if is_empty_message(body, len(req.uploads)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        errors = check_message(body)
        if errors:
            raise form_error(errors)
        message = self._store.create(channel, self._world.bot, body, uploads=req.uploads)
        return Reply(body=message.payload)

    async def typing(self, req: ApiRequest) -> Reply:
        self._channel(req, SEND_MESSAGES)
        return Reply(204)

    async def get_message(self, req: ApiRequest) -> Reply:
        return Reply(body=self._message(req, self._channel(req)).payload)

    async def edit_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        message = self._message(req, channel)
        if message.author_id != self._world.bot.id:
            raise forbidden(50005, "Cannot edit a message authored by another user")
        errors = check_message(req.body())
        if errors:
            raise form_error(errors)
        return Reply(body=self._store.edit(message, req.body(), uploads=req.uploads).payload)

    async def delete_message(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        message = self._message(req, channel)
        if message.author_id != self._world.bot.id:
            self._channel(req, MANAGE_MESSAGES)
        self._store.delete(message)
        return Reply(204)

    async def add_reaction(self, req: ApiRequest) -> Reply:
        channel = self._channel(req)
        self._store.add_reaction(self._message(req, channel), req.params["emoji"])
        self._notifier.pulse()
        return Reply(204)

    # -- guilds ----------------------------------------------------------------------------

    def _guild(self, req: ApiRequest) -> Guild:
        guild = self._world.guilds.get(req.snowflake("guild_id"))
        if guild is None:
            raise unknown(10004)
        return guild

    async def get_guild(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        body = guild.rest_payload()
        if req.query.get("with_counts", "").lower() in ("1", "true"):
            body.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return Reply(body=body)

    async def get_guild_channels(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        return Reply(body=[self._world.channels[cid].payload() for cid in guild.channel_ids])

    async def get_guild_roles(self, req: ApiRequest) -> Reply:
        return Reply(body=[role.payload() for role in self._guild(req).roles.values()])

    async def list_members(self, req: ApiRequest) -> Reply:
        guild = self._guild(req)
        limit = min(int(req.query.get("limit", 1)), 1000)
        after = int(req.query.get("after", 0))
        members = sorted(guild.members.values(), key=lambda m: m.id)
        return Reply(body=[m.payload() for m in members if m.id > after][:limit])

    async def get_member(self, req: ApiRequest) -> Reply:
        member = self._guild(req).members.get(req.snowflake("user_id"))
        if member is None:
            raise unknown(10007)
        return Reply(body=member.payload())
