"""Playing Discord users: each action is checked like Discord's UI, then dispatched."""

import copy
from typing import Any

from .commands import CommandRegistry
from .components import find_button, find_select, modal_submission
from .errors import DriverError, JSONDict
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    InteractionHandle,
    InteractionService,
)
from .messages import MessageStore, StoredMessage
from .permissions import VIEW_CHANNEL
from .slash import OptionBuilder, check_can_use, resolve_command, wrap_options
from .world import Channel, Member, User, World

UserLike = User | Member
ChannelLike = Channel | int
MessageLike = JSONDict | int


class UserActions:
    """Mixin for ``FakeDiscord``: what a test's users can do to the bot."""

    world: World
    registry: CommandRegistry
    interactions: InteractionService
    store: MessageStore

    def post_message(
        self, channel: ChannelLike, user: UserLike, content: str, **fields: Any
    ) -> JSONDict:
        """A user writes in a channel (the bot gets MESSAGE_CREATE if its intents allow)."""
        target, author = self._channel(channel), as_user(user)
        self._check_can_view(target, author)
        return self.store.create(target, author, {"content": content, **fields}).payload

    async def invoke_slash(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user: UserLike,
        channel: ChannelLike,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run ``/command [group] [subcommand]`` with options checked against its schema."""
        where, who = self._channel(channel), as_user(user)
        self._check_can_view(where, who)
        target = resolve_command(self.registry, command, where)
        check_can_use(self.world, target.command, where, who.id)
        builder = OptionBuilder(self.world, where, who.id)
        leaf = builder.build(target.schema, options or {})
        data = self._command_data(target.command, wrap_options(target, leaf), builder.resolved)
        return self.interactions.create(
            APPLICATION_COMMAND, data, user=who, channel=where, locale=locale
        )

    async def forge_slash(
        self,
        command: str,
        options: list[JSONDict],
        *,
        user: UserLike,
        channel: ChannelLike,
        valid: dict[str, Any] | None = None,
    ) -> InteractionHandle:
        """A hostile client's command: raw ``options`` that skip the schema checks.

        ``valid`` options (checked and resolved as `invoke_slash` does) are sent beside
        them, so one forged option can ride along with a command's required ones; a
        forged option replaces the valid one of its name.

        Discord validates options itself, so a real client cannot send these; the bot
        must still refuse them politely and change nothing.
        """
        where, who = self._channel(channel), as_user(user)
        target = resolve_command(self.registry, command, where)
        builder = OptionBuilder(self.world, where, who.id)
        forged = {option.get("name") for option in options}
        leaf = [o for o in builder.build(target.schema, valid or {}) if o["name"] not in forged]
        data = self._command_data(
            target.command, wrap_options(target, leaf + options), builder.resolved
        )
        return self.interactions.create(APPLICATION_COMMAND, data, user=who, channel=where)

    async def autocomplete(
        self,
        command: str,
        options: dict[str, Any],
        *,
        focused: str,
        user: UserLike,
        channel: ChannelLike,
        timeout: float = 5.0,
    ) -> list[JSONDict]:
        """Type into an autocomplete option; returns the choices the bot offered."""
        where, who = self._channel(channel), as_user(user)
        target = resolve_command(self.registry, command, where)
        builder = OptionBuilder(self.world, where, who.id)
        leaf = builder.build(target.schema, options, focused=focused)
        data = self._command_data(target.command, wrap_options(target, leaf), builder.resolved)
        handle = self.interactions.create(AUTOCOMPLETE, data, user=who, channel=where)
        await handle.wait_response(timeout)
        return list(handle.choices or [])

    async def forge_autocomplete(
        self, command: str, options: list[JSONDict], *, user: UserLike, channel: ChannelLike
    ) -> InteractionHandle:
        """A hostile client typing into an autocomplete: raw ``options`` (one of them
        ``"focused": True``) that skip the schema checks. The bot should offer no choices."""
        where, who = self._channel(channel), as_user(user)
        target = resolve_command(self.registry, command, where)
        data = self._command_data(target.command, wrap_options(target, options), {})
        return self.interactions.create(AUTOCOMPLETE, data, user=who, channel=where)

    async def invoke_context_menu(
        self, name: str, target: UserLike | JSONDict, *, user: UserLike, channel: ChannelLike
    ) -> InteractionHandle:
        """Run a user command (target a user/member) or message command (target a message)."""
        where, who = self._channel(channel), as_user(user)
        kind = 3 if isinstance(target, dict) else 2
        scope = where.guild_id
        command = (scope and self.registry.find(scope, name, kind)) or self.registry.find(
            None, name, kind
        )
        if command is None:
            raise DriverError(
                f"no {'message' if kind == 3 else 'user'} command {name!r} registered"
            )
        check_can_use(self.world, command, where, who.id)
        if isinstance(target, dict):
            target_id, resolved = target["id"], {"messages": {target["id"]: copy.deepcopy(target)}}
        else:
            builder = OptionBuilder(self.world, where, who.id)
            target_id = builder.user_value(name, target)
            resolved = builder.resolved
        data = {**self._command_data(command, [], resolved), "type": kind, "target_id": target_id}
        return self.interactions.create(APPLICATION_COMMAND, data, user=who, channel=where)

    def _command_data(
        self, command: JSONDict, options: list[JSONDict], resolved: JSONDict
    ) -> JSONDict:
        data: JSONDict = {"id": command["id"], "name": command["name"], "type": command["type"]}
        if options:
            data["options"] = options
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]  # only guild commands carry it
        return data

    async def click(
        self, message: MessageLike, target: str, *, user: UserLike, forged: bool = False
    ) -> InteractionHandle:
        """Press the button with custom_id (or label) ``target`` on a bot message.

        ``forged`` plays a hostile client replaying a button of a message it cannot see
        (someone else's ephemeral reply): the bot must check who may click by itself.
        """
        stored, who = self._clickable(message, user, forged=forged)
        button = find_button(stored.payload, target)
        data = {"custom_id": button["custom_id"], "component_type": 2, "id": button.get("id")}
        return self._component_interaction(stored, who, data)

    async def forge_click(
        self, message: MessageLike, custom_id: str, *, user: UserLike
    ) -> InteractionHandle:
        """A hostile client's click: any ``custom_id`` on any message, as if it were a button.

        Discord would not let a real client do this for buttons that do not exist; the bot
        must still answer politely and change nothing.
        """
        stored, who = self._clickable(message, user, forged=True)
        data = {"custom_id": custom_id, "component_type": 2}
        return self._component_interaction(stored, who, data)

    async def select(
        self, message: MessageLike, custom_id: str, values: list[str], *, user: UserLike
    ) -> InteractionHandle:
        """Pick ``values`` in a select menu of a bot message."""
        stored, who = self._clickable(message, user)
        menu = find_select(stored.payload, custom_id, values)
        data = {
            "custom_id": custom_id,
            "component_type": menu["type"],
            "values": values,
            "id": menu.get("id"),
        }
        return self._component_interaction(stored, who, data)

    async def submit_modal(
        self,
        opened: InteractionHandle,
        values: dict[str, Any],
        *,
        user: UserLike | None = None,
        forged: bool = False,
        custom_id: str | None = None,
    ) -> InteractionHandle:
        """Fill and submit the modal an interaction answered with (values by custom_id or label).

        ``forged`` plays a hostile client: any inputs, of any length, past Discord's
        checks, and with ``custom_id`` the submit can even name another modal.
        """
        if opened.response_type != MODAL or opened.modal is None:
            raise DriverError(f"interaction {opened.id} did not open a modal")
        who = opened.user if user is None else as_user(user)
        if who.id != opened.user.id:
            raise DriverError("only the user a modal was shown to can submit it")
        if custom_id is not None and not forged:
            raise DriverError("only a forged submit can name another custom_id")
        if forged:
            components = [
                {"type": 1, "components": [{"type": 4, "custom_id": key, "value": str(value)}]}
                for key, value in values.items()
            ]
        else:
            components = modal_submission(opened.modal, values)
        modal_id = opened.modal["custom_id"] if custom_id is None else custom_id
        data = {"custom_id": modal_id, "components": components}
        source = self.store.get(opened.source_message_id or 0)
        return self.interactions.create(
            MODAL_SUBMIT, data, user=who, channel=opened.channel, message=source
        )

    def _component_interaction(
        self, stored: StoredMessage, who: User, data: JSONDict
    ) -> InteractionHandle:
        channel = self.world.channels[stored.channel_id]
        data = {key: value for key, value in data.items() if value is not None}
        return self.interactions.create(
            MESSAGE_COMPONENT, data, user=who, channel=channel, message=stored
        )

    def _clickable(
        self, message: MessageLike, user: UserLike, *, forged: bool = False
    ) -> tuple[StoredMessage, User]:
        message_id = int(message["id"]) if isinstance(message, dict) else message
        stored = self.store.get(message_id)
        if stored is None or stored.deleted:
            raise DriverError(f"message {message_id} does not exist (deleted?)")
        who = as_user(user)
        if stored.ephemeral and not forged:
            owner = self.interactions.handles[stored.interaction_id or 0].user
            if owner.id != who.id:
                raise DriverError(
                    f"message {message_id} is ephemeral: only {owner.username} sees it"
                )
        self._check_can_view(self.world.channels[stored.channel_id], who)
        return stored, who

    def _check_can_view(self, channel: Channel, user: User) -> None:
        if channel.guild_id is None:
            if channel.recipient is None or channel.recipient.id != user.id:
                raise DriverError(f"{user.username} is not in DM channel {channel.id}")
        elif not self.world.channel_permissions(channel, user.id) & VIEW_CHANNEL:
            raise DriverError(f"{user.username} cannot see #{channel.name}")

    def _channel(self, channel: ChannelLike) -> Channel:
        return self.world.channel(channel.id if isinstance(channel, Channel) else channel)


def as_user(user: UserLike) -> User:
    return user.user if isinstance(user, Member) else user
