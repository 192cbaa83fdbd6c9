"""Interactions: the payload dispatched to the bot, and its callbacks and webhook follow-ups.

Discord's rules enforced here: the initial response must arrive within ``ack_deadline``
seconds (else 404 10062), only once (else 400 40060), with a type valid for the interaction;
the token then serves follow-ups and edits for ``token_ttl`` seconds.
"""

import asyncio
import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from .errors import (
    ApiError,
    DriverError,
    FieldError,
    InteractionFailed,
    JSONDict,
    form_error,
    unknown,
)
from .limits import (
    ATTACHMENT_SIZE_LIMIT,
    check_choices,
    check_message,
    check_modal,
    is_empty_message,
)
from .messages import (
    CHAT_INPUT_COMMAND_MESSAGE,
    DEFAULT_MESSAGE,
    EPHEMERAL,
    MessageStore,
    StoredMessage,
    Upload,
    number_components,
)
from .waiting import ChangeNotifier
from .world import Channel, User, World

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
_ALLOWED_RESPONSES = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE,
        UPDATE_MESSAGE,
        MODAL,
    },
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


@dataclass
class InteractionConfig:
    ack_deadline: float = 3.0
    token_ttl: float = 15 * 60.0


@dataclass(eq=False)
class InteractionHandle:
    """A dispatched interaction and everything the bot answered to it.

    ``message`` is the original response (for a deferred reply, filled by the first follow-up;
    for an update, the message the component is on); ``followups`` are further messages.
    """

    id: int
    token: str
    type: int
    payload: JSONDict = field(repr=False)
    user: User
    channel: Channel
    source_message_id: int | None
    dispatched_at: float
    _store: MessageStore = field(repr=False)
    _notifier: ChangeNotifier = field(repr=False)
    response_type: int | None = None
    response_data: JSONDict | None = field(default=None, repr=False)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: JSONDict | None = field(default=None, repr=False)
    choices: list[JSONDict] | None = None
    refusals: list[str] = field(default_factory=list)  # why the fake refused its callbacks
    revision: int = 0
    # Called after each change to this interaction (a response, a refusal, an edit).
    observers: list[Callable[[Self], None]] = field(default_factory=list, repr=False)

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def answered(self) -> bool:
        """The member was shown an answer: a response that is not a deferral, or a deferred
        reply since filled (a deferred update's later edit is not told apart here)."""
        if self.response_type == DEFERRED_CHANNEL_MESSAGE:
            stored = self._stored(self.original_id)
            return stored is not None and not stored.loading
        return self.response_type not in (None, DEFERRED_UPDATE)

    @property
    def message(self) -> JSONDict | None:
        stored = self._stored(self.original_id)
        return None if stored is None or stored.deleted else stored.payload

    @property
    def content(self) -> str | None:
        """Text of the original response message, if there is one."""
        message = self.message
        return None if message is None else str(message["content"])

    @property
    def ephemeral(self) -> bool:
        stored = self._stored(self.original_id)
        return stored is not None and stored.ephemeral

    @property
    def followups(self) -> list[JSONDict]:
        found = (self._stored(message_id) for message_id in self.followup_ids)
        return [stored.payload for stored in found if stored is not None and not stored.deleted]

    def _stored(self, message_id: int | None) -> StoredMessage | None:
        return None if message_id is None else self._store.get(message_id)

    def touch(self) -> None:
        self.revision += 1
        self._notifier.pulse()
        for observer in tuple(self.observers):
            observer(self)

    async def wait_response(self, timeout: float = 5.0) -> Self:
        """Wait for the initial response (message, defer, update, modal or choices).

        Raises ``InteractionFailed`` as soon as the fake refuses the bot's response.
        """

        def settled() -> bool | None:
            return True if self.acknowledged or self.refusals else None

        await self._notifier.wait_for(settled, timeout, f"a response to interaction {self.id}")
        if not self.acknowledged:
            raise InteractionFailed(f"interaction {self.id}: {'; '.join(self.refusals)}")
        return self

    async def wait_final(self, timeout: float = 5.0, *, quiet: float = 0.15) -> Self:
        """Wait for the response, for a deferred reply to be filled, then for quiet."""
        await self.wait_response(timeout)
        if self.response_type == DEFERRED_CHANNEL_MESSAGE:
            stored = self._stored(self.original_id)

            def filled() -> bool | None:
                return True if stored is None or not stored.loading else None

            what = f"the deferred reply of interaction {self.id} to be filled"
            await self._notifier.wait_for(filled, timeout, what)
        await self._notifier.wait_quiet(lambda: self.revision, quiet, timeout)
        return self

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[JSONDict]:

        def enough() -> list[JSONDict] | None:
            return self.followups if len(self.followups) >= count else None

        what = f"{count} follow-up(s) to interaction {self.id}"
        return await self._notifier.wait_for(enough, timeout, what)


class InteractionService:
    """Creates interactions and answers the bot's callback and webhook requests about them."""

    def __init__(
        self,
        world: World,
        store: MessageStore,
        notifier: ChangeNotifier,
        config: InteractionConfig,
        dispatch: Callable[[str, JSONDict], int | None],
    ) -> None:
        self._world = world
        self._store = store
        self._notifier = notifier
        self._config = config
        self._dispatch = dispatch
        self.handles: dict[int, InteractionHandle] = {}
        self._by_token: dict[str, InteractionHandle] = {}

    # -- creation --------------------------------------------------------------------------

    def create(
        self,
        kind: int,
        data: JSONDict,
        *,
        user: User,
        channel: Channel,
        message: StoredMessage | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        interaction_id = self._world.ids.next()
        token = f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(48)}"
        payload = self._payload(interaction_id, token, kind, data, user, channel, message, locale)
        handle = InteractionHandle(
            interaction_id,
            token,
            kind,
            payload,
            user,
            channel,
            None if message is None else message.id,
            asyncio.get_running_loop().time(),
            self._store,
            self._notifier,
        )
        if self._dispatch("INTERACTION_CREATE", payload) is None:
            raise DriverError("no bot session to receive the interaction (did it connect?)")
        self.handles[interaction_id] = handle
        self._by_token[token] = handle
        self._notifier.pulse()
        return handle

    def _payload(
        self,
        interaction_id: int,
        token: str,
        kind: int,
        data: JSONDict,
        user: User,
        channel: Channel,
        message: StoredMessage | None,
        locale: str,
    ) -> JSONDict:
        world = self._world
        permissions = world.channel_permissions(channel, user.id)
        payload: JSONDict = {
            "id": str(interaction_id),
            "application_id": str(world.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel.payload(permissions=permissions),
            "app_permissions": str(world.channel_permissions(channel, world.bot.id)),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            # Guild install: the key "0" maps to the guild id, or "0" in the bot's DM.
            "authorizing_integration_owners": {"0": str(channel.guild_id or 0)},
            "context": 0 if channel.guild_id else 1,
        }
        member = world.member(channel.guild_id, user.id) if channel.guild_id else None
        if channel.guild_id is not None:
            if member is None:
                raise DriverError(f"{user.username} is not a member of guild {channel.guild_id}")
            payload["guild_id"] = str(channel.guild_id)
            payload["guild"] = {"id": str(channel.guild_id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = member.payload(permissions=permissions)
        else:
            payload["user"] = user.payload()
        if message is not None:
            payload["message"] = copy.deepcopy(message.payload)
        return payload

    # -- POST /interactions/{id}/{token}/callback ------------------------------------------

    def callback(
        self,
        interaction_id: int,
        token: str,
        body: JSONDict,
        uploads: list[Upload],
        *,
        with_response: bool,
    ) -> JSONDict | None:
        handle = self.handles.get(interaction_id)
        if handle is None or handle.token != token:
            raise unknown(10062, violation=True)
        try:
            return self._respond(handle, body, uploads, with_response=with_response)
        except ApiError as error:
            handle.refusals.append(error.reason)
            handle.touch()
            raise

    def _respond(
        self,
        handle: InteractionHandle,
        body: JSONDict,
        uploads: list[Upload],
        *,
        with_response: bool,
    ) -> JSONDict | None:
        if handle.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        age = asyncio.get_running_loop().time() - handle.dispatched_at
        if age > self._config.ack_deadline:
            reason = f"initial response {age:.2f}s after dispatch (deadline {self._config.ack_deadline}s)"
            raise ApiError(404, 10062, "Unknown interaction", reason=reason, violation=True)
        kind = body.get("type")
        data = body.get("data") or {}
        self._check_callback(handle, kind, data, uploads)
        message = self._apply_callback(handle, int(kind or 0), data, uploads)
        handle.response_type = kind
        handle.response_data = data
        handle.touch()
        if not with_response:
            return None
        resource: JSONDict = {"type": kind}
        if message is not None and kind != DEFERRED_UPDATE:
            resource["message"] = message.payload
        return {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "activity_instance_id": None,
                "response_message_id": None if message is None else str(message.id),
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and message.ephemeral),
            },
            "resource": resource,
        }

    def _check_callback(
        self, handle: InteractionHandle, kind: Any, data: JSONDict, uploads: list[Upload]
    ) -> None:
        allowed = set(_ALLOWED_RESPONSES.get(handle.type, set()))
        if handle.source_message_id is None:
            allowed -= {DEFERRED_UPDATE, UPDATE_MESSAGE}  # nothing to update
        if kind not in allowed:
            message = f"Response type {kind} is invalid for interaction type {handle.type}"
            raise form_error([FieldError(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", message)])
        if kind == CHANNEL_MESSAGE and is_empty_message(data, len(uploads)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            source = self._store.get(handle.source_message_id or 0)
            existing = source.payload["attachments"] if source and kind == UPDATE_MESSAGE else []
            errors = check_message(data, uploads, existing)
        elif kind == MODAL:
            errors = check_modal(data)
        elif kind == AUTOCOMPLETE_RESULT:
            errors = check_choices(data.get("choices") or [])
        else:
            errors = []
        if errors:
            raise form_error([error.located("data") for error in errors])

    def _apply_callback(
        self, handle: InteractionHandle, kind: int, data: JSONDict, uploads: list[Upload]
    ) -> StoredMessage | None:
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            deferred = kind == DEFERRED_CHANNEL_MESSAGE
            body = {"flags": data.get("flags")} if deferred else data
            # A deferred reply is a real "Bot is thinking..." message until filled.
            message = self._new_message(
                handle, body, uploads, ephemeral=ephemeral, loading=deferred
            )
            handle.original_id = message.id
            return message
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            source = self._store.get(handle.source_message_id or 0)
            if source is None or source.deleted:
                raise unknown(10008)
            if kind == UPDATE_MESSAGE:
                self._store.edit(source, data, uploads=uploads)
            handle.original_id = source.id
            return source
        if kind == AUTOCOMPLETE_RESULT:
            handle.choices = list(data.get("choices") or [])
        elif kind == MODAL:
            components = number_components(copy.deepcopy(data.get("components") or []))
            handle.modal = {**data, "components": components}
        return None

    def _new_message(
        self,
        handle: InteractionHandle,
        body: JSONDict,
        uploads: list[Upload],
        *,
        ephemeral: bool,
        loading: bool = False,
    ) -> StoredMessage:
        is_command = handle.type == APPLICATION_COMMAND
        application_id = str(self._world.application_id)
        metadata: JSONDict = {
            "id": str(handle.id),
            "type": handle.type,
            "user": handle.user.payload(),
            "authorizing_integration_owners": handle.payload["authorizing_integration_owners"],
        }
        if is_command:
            metadata["name"] = handle.payload["data"]["name"]
        return self._store.create(
            handle.channel,
            self._world.bot,
            body,
            uploads=uploads,
            message_type=CHAT_INPUT_COMMAND_MESSAGE if is_command else DEFAULT_MESSAGE,
            ephemeral=ephemeral,
            loading=loading,
            interaction_id=handle.id,
            extra={
                "webhook_id": application_id,
                "application_id": application_id,
                "interaction_metadata": metadata,
            },
        )

    # -- /webhooks/{application_id}/{token}... ---------------------------------------------

    def _by_webhook(self, application_id: int, token: str) -> InteractionHandle:
        handle = self._by_token.get(token)
        if handle is None or application_id != self._world.application_id:
            raise unknown(10015, violation=True)
        age = asyncio.get_running_loop().time() - handle.dispatched_at
        if age > self._config.token_ttl:
            raise ApiError(401, 50027, "Invalid Webhook Token", violation=True)
        if not handle.acknowledged:
            reason = "follow-up or edit before the interaction was acknowledged"
            raise ApiError(404, 10015, "Unknown Webhook", reason=reason, violation=True)
        return handle

    def followup(
        self, application_id: int, token: str, body: JSONDict, uploads: list[Upload]
    ) -> StoredMessage:
        handle = self._by_webhook(application_id, token)
        if is_empty_message(body, len(uploads)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        original = self._store.get(handle.original_id or 0)
        filling = handle.response_type == DEFERRED_CHANNEL_MESSAGE and original and original.loading
        errors = check_message(body, uploads)
        if errors:
            raise form_error(errors)
        if filling and original:
            # The first follow-up after a deferred reply fills the "thinking" message.
            message = self._store.edit(original, body, uploads=uploads)
        else:
            ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(handle, body, uploads, ephemeral=ephemeral)
            handle.followup_ids.append(message.id)
        handle.touch()
        return message

    def webhook_message(self, application_id: int, token: str, ref: str) -> StoredMessage:
        handle = self._by_webhook(application_id, token)
        message_id = handle.original_id if ref == "@original" else _as_int(ref)
        if message_id is None or message_id not in (handle.original_id, *handle.followup_ids):
            raise unknown(10008)
        message = self._store.get(message_id)
        if message is None or message.deleted:
            raise unknown(10008)
        return message

    def edit(
        self, application_id: int, token: str, ref: str, body: JSONDict, uploads: list[Upload]
    ) -> StoredMessage:
        message = self.webhook_message(application_id, token, ref)
        errors = check_message(body, uploads, message.payload["attachments"])
        if errors:
            raise form_error(errors)
        self._store.edit(message, body, uploads=uploads)
        self._by_token[token].touch()
        return message

    def delete(self, application_id: int, token: str, ref: str) -> None:
        message = self.webhook_message(application_id, token, ref)
        self._store.delete(message)
        self._by_token[token].touch()


def _as_int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
