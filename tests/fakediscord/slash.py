"""Turns a test's ``invoke_slash("decks info", {...})`` into Discord's interaction data.

Discord's client only lets a user send what the registered schema allows, so anything else
(unknown command or option, wrong type, value outside choices or bounds) is a ``DriverError``.
"""

from dataclasses import dataclass, field
from typing import Any

from .commands import CommandRegistry
from .errors import DriverError, JSONDict
from .permissions import ADMINISTRATOR
from .world import Channel, Member, Role, User, World

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
MAX_SAFE_INTEGER = 2**53
BOT_DM_CONTEXT = 1


@dataclass
class CommandTarget:
    """A registered command plus the subcommand path the test named."""

    command: JSONDict
    path: list[tuple[str, int]]  # (name, option type) for each group / subcommand
    schema: list[JSONDict]  # option schema of the leaf

    @property
    def display(self) -> str:
        return "/" + " ".join([self.command["name"], *(name for name, _ in self.path)])


def resolve_command(registry: CommandRegistry, path: str, channel: Channel) -> CommandTarget:
    words = path.strip().lstrip("/").split()
    if not words:
        raise DriverError("empty command name")
    guild_id = channel.guild_id
    command = (guild_id and registry.find(guild_id, words[0])) or registry.find(None, words[0])
    if command is None:
        known = [
            c["name"]
            for c in registry.in_scope(None) + (registry.in_scope(guild_id) if guild_id else [])
        ]
        raise DriverError(f"/{words[0]} is not registered where {channel.name!r} is; have {known}")
    if guild_id is None and not _allowed_in_dm(command):
        raise DriverError(f"/{words[0]} is not available in DMs")
    schema: list[JSONDict] = command.get("options") or []
    trail: list[tuple[str, int]] = []
    for word in words[1:]:
        sub = next((o for o in schema if o["name"] == word and o["type"] in (1, 2)), None)
        if sub is None:
            subs = [o["name"] for o in schema if o["type"] in (1, 2)]
            raise DriverError(f"/{' '.join(words)}: no subcommand {word!r}; have {subs}")
        trail.append((word, sub["type"]))
        schema = sub.get("options") or []
    if any(o["type"] in (1, 2) for o in schema):
        subs = [o["name"] for o in schema]
        raise DriverError(f"/{' '.join(words)} needs a subcommand, one of {subs}")
    return CommandTarget(command, trail, schema)


def _allowed_in_dm(command: JSONDict) -> bool:
    contexts = command.get("contexts")
    if contexts is not None:
        return BOT_DM_CONTEXT in contexts
    return command.get("dm_permission", True) is not False


def check_can_use(world: World, command: JSONDict, channel: Channel, user_id: int) -> None:
    """Discord hides commands whose ``default_member_permissions`` the user lacks."""
    required = command.get("default_member_permissions")
    if required is None or channel.guild_id is None:
        return
    permissions = world.channel_permissions(channel, user_id)
    needed = int(required)
    allowed = bool(permissions & ADMINISTRATOR) if needed == 0 else permissions & needed == needed
    if not allowed:
        raise DriverError(f"user {user_id} cannot see /{command['name']} (needs {required})")


def wrap_options(target: CommandTarget, leaf: list[JSONDict]) -> list[JSONDict]:
    """Nest leaf options inside the subcommand (group) options the path named."""
    options = leaf
    for name, kind in reversed(target.path):
        options = [{"name": name, "type": kind, "options": options}]
    return options


@dataclass
class OptionBuilder:
    """Validates option values against a schema and builds ``options`` + ``resolved``."""

    world: World
    channel: Channel
    invoker_id: int
    resolved: JSONDict = field(default_factory=dict)

    def build(
        self, schema: list[JSONDict], values: dict[str, Any], *, focused: str | None = None
    ) -> list[JSONDict]:
        names = {option["name"] for option in schema}
        unknown = set(values) - names
        if unknown:
            raise DriverError(f"unknown option(s) {sorted(unknown)}; schema has {sorted(names)}")
        options: list[JSONDict] = []
        for option in schema:
            name = option["name"]
            if name == focused:
                if not option.get("autocomplete"):
                    raise DriverError(f"option {name!r} has no autocomplete")
                # Autocomplete sends whatever was typed so far, as a string.
                text = str(values.get(name, ""))
                options.append(
                    {"name": name, "type": option["type"], "value": text, "focused": True}
                )
            elif name in values:
                value = self._convert(option, values[name])
                options.append({"name": name, "type": option["type"], "value": value})
            elif option.get("required") and focused is None:
                raise DriverError(f"required option {name!r} missing")
        return options

    def _convert(self, option: JSONDict, value: Any) -> Any:
        kind, name = option["type"], option["name"]
        if kind == STRING:
            return self._check_scalar(option, _expect(name, value, str), length=True)
        if kind == INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise DriverError(f"option {name!r} wants an integer, got {value!r}")
            if abs(value) > MAX_SAFE_INTEGER:
                raise DriverError(f"option {name!r}: {value} is out of Discord's integer range")
            return self._check_scalar(option, value)
        if kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DriverError(f"option {name!r} wants a number, got {value!r}")
            return self._check_scalar(option, value)
        if kind == BOOLEAN:
            return _expect(name, value, bool)
        if kind == USER or (kind == MENTIONABLE and not self._is_role(value)):
            return self.user_value(name, value)
        if kind in (ROLE, MENTIONABLE):
            return self._role(name, value)
        if kind == CHANNEL:
            return self._channel(option, value)
        if kind == ATTACHMENT:
            return self._attachment(name, value)
        raise DriverError(f"option {name!r} of type {kind} cannot take {value!r}")

    def _check_scalar(self, option: JSONDict, value: Any, *, length: bool = False) -> Any:
        name = option["name"]
        choices = option.get("choices")
        if choices and value not in [choice["value"] for choice in choices]:
            allowed = [choice["value"] for choice in choices]
            raise DriverError(f"option {name!r}: {value!r} is not one of the choices {allowed}")
        measured = len(value) if length else value
        low_key, high_key = ("min_length", "max_length") if length else ("min_value", "max_value")
        low, high = option.get(low_key), option.get(high_key)
        if (low is not None and measured < low) or (high is not None and measured > high):
            raise DriverError(
                f"option {name!r}: {value!r} outside {low_key}={low}, {high_key}={high}"
            )
        return value

    def _is_role(self, value: Any) -> bool:
        return isinstance(value, Role) or (isinstance(value, int) and value not in self.world.users)

    def user_value(self, name: str, value: Any) -> str:
        user = value.user if isinstance(value, Member) else value
        if isinstance(user, int) and not isinstance(user, bool):
            user = self.world.users.get(user)
        if not isinstance(user, User):
            raise DriverError(f"option {name!r}: {value!r} is not a known user")
        self.resolved.setdefault("users", {})[str(user.id)] = user.payload()
        guild_id = self.channel.guild_id
        member = self.world.member(guild_id, user.id) if guild_id else None
        if member is not None:
            permissions = self.world.channel_permissions(self.channel, user.id)
            member_payload = member.payload(permissions=permissions, with_user=False)
            self.resolved.setdefault("members", {})[str(user.id)] = member_payload
        return str(user.id)

    def _role(self, name: str, value: Any) -> str:
        guild = self.world.guilds.get(self.channel.guild_id or 0)
        role_id = value.id if isinstance(value, Role) else value
        if guild is None or not isinstance(role_id, int) or role_id not in guild.roles:
            raise DriverError(f"option {name!r}: {value!r} is not a role of this guild")
        self.resolved.setdefault("roles", {})[str(role_id)] = guild.roles[role_id].payload()
        return str(role_id)

    def _attachment(self, name: str, value: Any) -> str:
        if not (isinstance(value, dict) and {"id", "filename", "url"} <= value.keys()):
            raise DriverError(
                f"option {name!r} wants an attachment from fake.upload(), got {value!r}"
            )
        self.resolved.setdefault("attachments", {})[str(value["id"])] = dict(value)
        return str(value["id"])

    def _channel(self, option: JSONDict, value: Any) -> str:
        name = option["name"]
        channel = self.world.channels.get(value.id if isinstance(value, Channel) else value)
        if channel is None or channel.guild_id != self.channel.guild_id:
            raise DriverError(f"option {name!r}: {value!r} is not a channel of this guild")
        allowed_types = option.get("channel_types")
        if allowed_types and channel.type not in allowed_types:
            raise DriverError(
                f"option {name!r}: channel type {channel.type} not in {allowed_types}"
            )
        permissions = self.world.channel_permissions(channel, self.invoker_id)
        self.resolved.setdefault("channels", {})[str(channel.id)] = channel.payload(
            permissions=permissions
        )
        return str(channel.id)


def _expect(name: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise DriverError(f"option {name!r} wants {kind.__name__}, got {value!r}")
    return value
