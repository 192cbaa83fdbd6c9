"""Messages the fake holds: channel posts, interaction responses and ephemeral replies."""

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .attachments import AttachmentStore
from .errors import JSONDict
from .snowflake import SnowflakeFactory
from .world import Channel, User, World, now_iso

SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
COMPONENTS_V2 = 1 << 15
_SETTABLE_FLAGS = SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2

DEFAULT_MESSAGE = 0
CHAT_INPUT_COMMAND_MESSAGE = 20

# A backslash before a mention shows it as text: it mentions nobody.
_USER_MENTION = re.compile(r"(?<!\\)<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"(?<!\\)<@&(\d+)>")
_EVERYONE = re.compile(r"(?<!\\)@(?:everyone|here)")


@dataclass(frozen=True)
class Upload:
    """A file the bot attached (multipart ``files[n]``); its bytes are served at its url."""

    filename: str
    size: int
    content_type: str | None = None
    data: bytes = field(default=b"", repr=False)
    index: int | None = None  # n of its ``files[n]`` part, the id its attachment entry names


@dataclass
class StoredMessage:
    payload: JSONDict
    ephemeral: bool = False
    interaction_id: int | None = None
    deleted: bool = False
    history: list[JSONDict] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.payload["author"]["id"])

    @property
    def loading(self) -> bool:
        return bool(self.payload["flags"] & LOADING)


# Called with "MESSAGE_CREATE" / "MESSAGE_UPDATE" / "MESSAGE_DELETE" for every change.
MessageListener = Callable[[str, StoredMessage], None]


class MessageStore:
    """Creates, edits and deletes messages, and tells a listener about each change."""

    def __init__(
        self,
        ids: SnowflakeFactory,
        world: World,
        listener: MessageListener,
        files: AttachmentStore | None = None,
    ) -> None:
        self._ids = ids
        self._world = world
        self._listener = listener
        self._files = files
        self._messages: dict[int, StoredMessage] = {}

    def get(self, message_id: int) -> StoredMessage | None:
        return self._messages.get(message_id)

    def in_channel(self, channel_id: int) -> list[StoredMessage]:
        """Visible (non-ephemeral, not deleted) messages of a channel, oldest first."""
        return [
            m
            for m in self._messages.values()
            if m.channel_id == channel_id and not m.ephemeral and not m.deleted
        ]

    def all(self) -> list[StoredMessage]:
        return list(self._messages.values())

    def create(
        self,
        channel: Channel,
        author: User,
        body: JSONDict,
        *,
        uploads: list[Upload] | None = None,
        message_type: int = DEFAULT_MESSAGE,
        ephemeral: bool = False,
        loading: bool = False,
        interaction_id: int | None = None,
        extra: JSONDict | None = None,
    ) -> StoredMessage:
        message_id = self._ids.next()
        # Only interaction responses can be ephemeral; Discord ignores the bit elsewhere.
        flags = int(body.get("flags") or 0) & _SETTABLE_FLAGS & ~EPHEMERAL
        flags |= EPHEMERAL if ephemeral else 0
        payload: JSONDict = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": author.payload(),
            "content": "",
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "reactions": [],
            "pinned": False,
            "type": message_type,
            "flags": flags | (LOADING if loading else 0),
            **(extra or {}),
        }
        if "message_reference" in body:
            payload["message_reference"] = body["message_reference"]
            referenced = self.get(int(body["message_reference"].get("message_id", 0)))
            payload["referenced_message"] = referenced.payload if referenced else None
        stored = StoredMessage(payload, ephemeral=ephemeral, interaction_id=interaction_id)
        self._apply(stored, body, uploads or [])
        self._messages[message_id] = stored
        if not ephemeral:
            channel.last_message_id = message_id
        self._listener("MESSAGE_CREATE", stored)
        return stored

    def edit(
        self, message: StoredMessage, body: JSONDict, *, uploads: list[Upload] | None = None
    ) -> StoredMessage:
        message.history.append(copy.deepcopy(message.payload))
        flags = message.payload["flags"] & ~LOADING  # any edit ends the "thinking..." state
        if "flags" in body and body["flags"] is not None:
            flags = (flags & ~_SETTABLE_FLAGS) | (int(body["flags"]) & _SETTABLE_FLAGS)
            flags |= EPHEMERAL if message.ephemeral else 0
        message.payload["flags"] = flags
        message.payload["edited_timestamp"] = now_iso()
        self._apply(message, body, uploads or [])
        self._listener("MESSAGE_UPDATE", message)
        return message

    def delete(self, message: StoredMessage) -> None:
        message.deleted = True
        self._listener("MESSAGE_DELETE", message)

    def add_reaction(self, message: StoredMessage, emoji: str) -> None:
        for reaction in message.payload["reactions"]:
            if reaction["emoji"]["name"] == emoji:
                reaction["me"] = True
                return
        message.payload["reactions"].append(
            {"emoji": {"id": None, "name": emoji}, "count": 1, "me": True, "burst_me": False}
        )

    def _apply(self, message: StoredMessage, body: JSONDict, uploads: list[Upload]) -> None:
        """Copy the message fields the body sets (absent keys keep their old value)."""
        payload = message.payload
        if "content" in body:
            payload["content"] = str(body["content"] or "")
            allowed = body.get("allowed_mentions")
            self._fill_mentions(payload, allowed, reply=message.interaction_id is not None)
        if "embeds" in body:
            payload["embeds"] = [{"type": "rich", **embed} for embed in body["embeds"] or []]
        if "components" in body:
            payload["components"] = number_components(copy.deepcopy(body["components"] or []))
        if "poll" in body:
            payload["poll"] = body["poll"]
        if "attachments" in body or uploads:
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in payload["attachments"] if a["id"] in kept_ids]
            # A new file's entry in ``attachments`` names it by its upload's index and
            # carries what Discord keeps beside the file: its alt text (``description``).
            entries = {str(a.get("id")): a for a in body.get("attachments") or []}
            payload["attachments"] = kept + [
                self._attachment(upload, entries.get(str(upload.index))) for upload in uploads
            ]

    def _attachment(self, upload: Upload, entry: JSONDict | None = None) -> JSONDict:
        if self._files is not None:
            attachment = self._files.add(upload.filename, upload.data, upload.content_type)
        else:
            attachment_id = self._ids.next()
            url = f"https://cdn.discordapp.com/attachments/0/{attachment_id}/{upload.filename}"
            attachment = {
                "id": str(attachment_id),
                "filename": upload.filename,
                "size": upload.size,
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            }
        if entry is not None and entry.get("description"):
            attachment["description"] = str(entry["description"])
        return attachment

    def _fill_mentions(self, payload: JSONDict, allowed: JSONDict | None, *, reply: bool) -> None:
        """Who the content notifies: the mentions in it that ``allowed_mentions`` lets
        through. Without it, a channel post notifies all it mentions, and an interaction's
        reply only users (Discord's documented defaults)."""
        if allowed is None:
            allowed = {"parse": ["users"] if reply else ["users", "roles", "everyone"]}
        parse = set(allowed.get("parse") or [])
        users_named = {str(user_id) for user_id in allowed.get("users") or []}
        roles_named = {str(role_id) for role_id in allowed.get("roles") or []}
        content = payload["content"]
        users = self._world.users
        mentioned = [
            int(uid)
            for uid in _USER_MENTION.findall(content)
            if int(uid) in users and ("users" in parse or uid in users_named)
        ]
        payload["mentions"] = [users[uid].payload() for uid in dict.fromkeys(mentioned)]
        payload["mention_roles"] = [
            role_id
            for role_id in dict.fromkeys(_ROLE_MENTION.findall(content))
            if "roles" in parse or role_id in roles_named
        ]
        payload["mention_everyone"] = "everyone" in parse and bool(_EVERYONE.search(content))


def walk_components(components: list[JSONDict]) -> Iterator[JSONDict]:
    """Every component of a message or modal, depth first (rows, sections, labels...)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


def number_components(components: list[JSONDict]) -> list[JSONDict]:
    # Discord numbers every component of a message; discord.py 2.6+ reads these ids.
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk_components(components):
        if not isinstance(component.get("id"), int):
            while next_id in used:
                next_id += 1
            component["id"] = next_id
            used.add(next_id)
    return components
