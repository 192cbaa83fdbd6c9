"""Permission bits and Discord's permission resolution (base, then channel overwrites)."""

from typing import Protocol

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | SEND_MESSAGES_IN_THREADS
)
# What a bot may do in a DM with a user (Discord reports these as app_permissions).
DM_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
)


class HasValue(Protocol):
    """Anything like ``discord.Permissions`` (an object carrying the bits in ``.value``)."""

    @property
    def value(self) -> int: ...


PermissionsLike = int | HasValue


def as_bits(permissions: PermissionsLike) -> int:
    return permissions if isinstance(permissions, int) else int(permissions.value)


def apply_overwrites(base: int, overwrites: list[tuple[int, int]]) -> int:
    """Apply (allow, deny) pairs in Discord's order: each layer denies, then allows."""
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    for allow, deny in overwrites:
        base = (base & ~deny) | allow
    return base
