"""The Discord client: its lifecycle, its extensions, command sync, and the one
interaction listener that answers the clicks and forms nothing else takes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import pkgutil
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogs import Catalogs
from bot.config import Settings
from bot.domain.catalog import DeckCatalog
from bot.domain.shards import ShardScope, shard_of
from bot.domain.words import plural
from bot.exts import replies
from bot.exts.buttons import ClickHandler, PersistentButton, State
from bot.interactions import InFlight, QuizTree
from bot.shards import IDENTIFY_WINDOW, FleetTurns, GatewayInfo, IdentifyTurns, check_session_starts
from bot.storage import Database
from bot.timers import Timers

log = logging.getLogger(__name__)


def walk_extensions() -> tuple[str, ...]:
    """Every feature package under bot/exts: each one is an extension with `setup()`."""
    import bot.exts

    return tuple(
        sorted(
            module.name
            for module in pkgutil.iter_modules(bot.exts.__path__, "bot.exts.")
            if module.ispkg
        )
    )


GLOBAL_COMMANDS_HASH_KEY = "global_commands_hash"
FORGED_BUTTON = "That button is not on this message any more."
UNKNOWN_FORM = "I don't know that form (any more). Run the command again for a fresh one."
RETIRED_BUTTON = (
    "That button is from an older version of me and no longer works. "
    "Run the command again for a fresh one."
)
# On a stop, the interactions already being handled get this long (seconds) to finish, so
# an answer stored is also shown: Discord wants a first answer within 3 s.
DRAIN_SECONDS = 5.0

Clock = Callable[[], datetime]
# A form's handler, with its custom_id matched by the form's pattern.
FormHandler = Callable[["discord.Interaction[QuizBot]", re.Match[str]], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def bot_intents() -> discord.Intents:
    """Only the guilds intent: no privileged intents, so any server size works."""
    return discord.Intents(guilds=True)


def _custom_ids(components: Sequence[Any]) -> set[str]:
    """Every custom_id in a message's components, however deeply nested."""
    found: set[str] = set()
    for component in components:
        custom_id = getattr(component, "custom_id", None)
        if custom_id:
            found.add(str(custom_id))
        found |= _custom_ids(getattr(component, "children", None) or [])
    return found


def _custom_id(interaction: discord.Interaction[Any]) -> str:
    return str(dict(interaction.data or {}).get("custom_id", ""))


def command_tree_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A stable fingerprint of the global commands, to skip needless syncs."""
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class QuizBot(commands.AutoShardedBot):
    """The bot: holds the database, the decks and the clock; features live in extensions.

    It runs the shards of its cluster (`Settings.shards`): every shard when it runs alone,
    as many as Discord recommends unless SHARD_COUNT says otherwise.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        catalog: DeckCatalog,
        clock: Clock = utc_now,
        extensions: Sequence[str] | None = None,
        force_global_sync: bool = False,
        guild_ready_timeout: float = 2.0,
        identify_window: float = IDENTIFY_WINDOW,
        fleet_turns: FleetTurns | None = None,
    ) -> None:
        # A text-only bot: discord.py's warnings at start that voice needs PyNaCl and
        # davey would only worry whoever reads the log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            guild_ready_timeout=guild_ready_timeout,
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            help_command=None,
            tree_cls=QuizTree,
            # Replies quote deck text and names: nothing the bot sends pings anyone, but
            # the daily post its own role (see the daily extension's `post_content`).
            allowed_mentions=discord.AllowedMentions.none(),
            # Known once SHARD_COUNT is set; otherwise `setup_hook` asks Discord.
            shard_count=settings.shards.shard_count,
        )
        self.settings = settings
        self.identify_turns = IdentifyTurns(window=identify_window, fleet=fleet_turns)
        # Names this process in claims on shared work (a daily post): unique per start.
        self.instance_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.db = db
        self.catalogs = Catalogs(db, catalog)
        self.clock = clock
        self.shutting_down = False
        self.handling = InFlight()
        self.warming: asyncio.Task[None] | None = None  # the server decks' preload
        self.synced: str | None = None  # "guild", "global" or "unchanged", for logs and tests
        self._extensions = walk_extensions() if extensions is None else tuple(extensions)
        self._force_global_sync = force_global_sync
        self._forms: dict[re.Pattern[str], FormHandler] = {}
        self._buttons: dict[type[PersistentButton[Any]], ClickHandler[Any]] = {}
        # Every stored deadline is served by this one loop (features register their kinds).
        self.timers = Timers(self)

    def add_form(self, pattern: re.Pattern[str], handler: FormHandler) -> None:
        """Hand to `handler` the modal submits whose custom_id matches `pattern` in full."""
        self._forms[pattern] = handler

    def remove_form(self, pattern: re.Pattern[str]) -> None:
        self._forms.pop(pattern, None)

    def add_buttons(
        self, family: type[PersistentButton[State]], handler: ClickHandler[State]
    ) -> None:
        """Hand the clicks on a family's buttons to `handler`, with the state their
        custom_id holds; also those on messages sent before a restart."""
        self.add_dynamic_items(family)
        self._buttons[family] = handler

    def remove_buttons(self, family: type[PersistentButton[Any]]) -> None:
        self.remove_dynamic_items(family)
        self._buttons.pop(family, None)

    def button_handler(self, family: type[PersistentButton[State]]) -> ClickHandler[State]:
        return self._buttons[family]

    async def setup_hook(self) -> None:
        if not self._force_global_sync:  # a sync alone opens no gateway session
            await self.plan_shards()
        for extension in self._extensions:
            await self.load_extension(extension)
        if self._force_global_sync or self.runs_shard(0):
            await self.sync_commands()
        else:
            self.synced = "skipped"
            log.info("command sync skipped: the process that runs shard 0 syncs")
        self.warming = asyncio.create_task(self.catalogs.warm(self.owns_guild))

    async def plan_shards(self) -> None:
        """Ask Discord for the shard count (unless set) and the session start budget, pick
        this process's shards, and refuse to start when the budget is nearly spent."""
        shards, _url, limits = await self.http.get_bot_gateway()
        info = GatewayInfo.of(shards, limits)
        plan = self.settings.shards
        if self.shard_count is None:
            self.shard_count = info.recommended_shards
        elif self.shard_count < info.recommended_shards:
            log.warning(
                "SHARD_COUNT=%d is below the %d shards Discord recommends: each shard holds "
                "at most 2,500 servers, so raise it before the bot grows past that",
                self.shard_count,
                info.recommended_shards,
            )
        self.shard_ids = list(plan.shard_ids(self.shard_count))
        self.identify_turns.max_concurrency = max(info.max_concurrency, 1)
        log.info(
            "running shards %s of %d (cluster %d of %d)",
            ", ".join(map(str, self.shard_ids)),
            self.shard_count,
            plan.cluster_index,
            plan.cluster_count,
        )
        check_session_starts(info, len(self.shard_ids))

    def runs_shard(self, shard_id: int) -> bool:
        """Whether this process runs that shard (every shard before they are planned)."""
        return self.shard_ids is None or shard_id in self.shard_ids

    def shard_scope(self) -> ShardScope | None:
        """The shards this process looks after; None when it runs every one."""
        if self.shard_count is None or self.shard_ids is None:
            return None
        if set(self.shard_ids) >= set(range(self.shard_count)):
            return None
        return ShardScope(self.shard_count, tuple(self.shard_ids))

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process runs the shard that server's events come to."""
        if self.shard_count is None:
            return True
        return self.runs_shard(shard_of(guild_id, self.shard_count))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Each IDENTIFY waits its turn in its bucket (discord.py sleeps 5 s for every one)."""
        await self.identify_turns.take(shard_id or 0)

    async def sync_commands(self) -> None:
        """Dev guild: sync there every start. Otherwise globally, and only on change."""
        dev_guild_id = self.settings.dev_guild_id
        if dev_guild_id is not None and not self._force_global_sync:
            guild = discord.Object(id=dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            self.synced = "guild"
            log.info("synced %s to the dev guild %s", plural(len(synced), "command"), dev_guild_id)
            return
        fingerprint = command_tree_hash(self.tree)
        previous = await self.db.state.get(GLOBAL_COMMANDS_HASH_KEY)
        if previous == fingerprint and not self._force_global_sync:
            self.synced = "unchanged"
            log.info("command tree unchanged since the last global sync; not syncing")
            return
        synced = await self.tree.sync()
        await self.db.state.set(GLOBAL_COMMANDS_HASH_KEY, fingerprint, self.clock())
        self.synced = "global"
        log.info("synced %s globally", plural(len(synced), "command"))

    async def on_interaction(self, interaction: discord.Interaction[QuizBot]) -> None:
        """The bot's one interaction listener (each listener costs every interaction a
        task): routes modal submits, and answers the clicks no button family takes."""
        kind = interaction.type
        if kind is discord.InteractionType.component:
            await self._unclaimed_click(interaction)
        elif kind is discord.InteractionType.modal_submit:
            await self._submitted_form(interaction)

    async def _unclaimed_click(self, interaction: discord.Interaction[QuizBot]) -> None:
        message = interaction.message
        if message is None:
            return
        custom_id = _custom_id(interaction)
        if custom_id not in _custom_ids(message.components):
            # A forged or garbled custom_id: discord.py would ignore it, and the member
            # would see a failure.
            await replies.reply(interaction, FORGED_BUTTON, ephemeral=True)
            return
        # discord.py matches the families' templates in full, as here, and hands the
        # click to the family (`PersistentButton.callback`).
        if not any(family.pattern.fullmatch(custom_id) for family in self._buttons):
            # A button of ours that nothing handles any more (a custom_id scheme changed).
            await replies.reply(interaction, RETIRED_BUTTON, ephemeral=True)

    async def _submitted_form(self, interaction: discord.Interaction[QuizBot]) -> None:
        # Every modal's submit is answered here (no modal of ours answers in its own
        # `on_submit`), so one no handler takes is forged, or from an older version.
        custom_id = _custom_id(interaction)
        for pattern, handler in self._forms.items():
            if match := pattern.fullmatch(custom_id):
                await handler(interaction, match)
                return
        await replies.reply(interaction, UNKNOWN_FORM, ephemeral=True)

    async def on_ready(self) -> None:
        # on_ready fires again after a reconnect; it must stay idempotent.
        log.info(
            "ready as %s in %s on %s",
            self.user,
            plural(len(self.guilds), "server"),
            plural(len(self.shard_ids or ()), "shard"),
        )

    async def on_app_command_completion(
        self, interaction: discord.Interaction[QuizBot], command: object
    ) -> None:
        self.handling.discard(interaction.id)

    async def close(self) -> None:
        self.shutting_down = True
        if self.warming is not None:
            self.warming.cancel()
        await self._drain()
        await self.timers.stop()
        await super().close()

    async def _drain(self) -> None:
        """Let the handlers already running finish, so that an answer stored is shown
        too, before the connection closes (new interactions are told to try again)."""
        if not await self.handling.idle(DRAIN_SECONDS):
            log.warning("stopping with %d interactions still being handled", len(self.handling))
