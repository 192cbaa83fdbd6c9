"""The Discord client: extensions, command sync and the one error handler."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import pkgutil
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.domain.catalog import DeckCatalog
from bot.domain.decks import Deck, DeckError
from bot.domain.errors import DomainError
from bot.domain.words import plural
from bot.exts import replies
from bot.options import leaf_options, option_problem
from bot.storage import Database
from bot.storage.server_decks import ServerDeck, deck_from_json

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
APOLOGY = (
    "Sorry, something went wrong on my side while doing that. It has been logged; "
    "please try again in a moment."
)
FORGED_BUTTON = "That button is not on this message any more."
UNKNOWN_FORM = "I don't know that form (any more). Run the command again for a fresh one."
RESTARTING = "I'm restarting; try again in a few seconds."
# On a stop, the interactions already being handled get this long (seconds) to finish, so
# an answer stored is also shown: Discord wants a first answer within 3 s.
DRAIN_SECONDS = 5.0
RETIRED_BUTTON = (
    "That button is from an older version of me and no longer works. "
    "Run the command again for a fresh one."
)

Clock = Callable[[], datetime]
# A handler the client's one interaction listener routes to, with the raw custom_id.
Route = Callable[["discord.Interaction[QuizBot]", str], Awaitable[None]]
RouteKind = Literal["button", "modal"]
# Set on an interaction by a persistent view that took the click (see `ClaimingView`).
CLAIMED = "quizbot.claimed"

# Servers whose merged deck catalog is kept in memory; the least recently used goes first.
SERVER_CATALOG_CACHE = 64


def utc_now() -> datetime:
    return datetime.now(UTC)


def bot_intents() -> discord.Intents:
    """Only the guilds intent: no privileged intents, so any server size works."""
    return discord.Intents(guilds=True)


async def send_ephemeral(interaction: discord.Interaction[Any], content: str) -> None:
    """Answer privately, whether or not the interaction was already acknowledged."""
    await replies.reply(interaction, content, ephemeral=True)


async def answer_errors_of(
    interaction: discord.Interaction[Any], what: str, handler: Awaitable[None]
) -> None:
    """Run a component or modal handler; its errors get the same treatment as commands'.

    discord.py only logs exceptions raised by buttons and modals, so without this
    a member would see "This interaction failed" instead of a reason.
    """
    bot = interaction.client
    if bot.shutting_down:  # no new work while stopping; the member tries again in a moment
        if inspect.iscoroutine(handler):
            handler.close()
        await refuse_while_stopping(interaction)
        return
    bot.handling.add(interaction.id)
    try:
        await handler
    except Exception as error:
        await _apologise(interaction, what, error)
    finally:
        bot.handling.discard(interaction.id)


async def refuse_while_stopping(interaction: discord.Interaction[Any]) -> None:
    """Tell the member to try again in a moment. The stop waits for this reply too, but
    one that started as the connection closed cannot get out any more: that is noted."""
    bot = interaction.client
    bot.handling.add(interaction.id)
    try:
        await send_ephemeral(interaction, RESTARTING)
    except (discord.HTTPException, aiohttp.ClientError, RuntimeError) as error:
        # RuntimeError: aiohttp's "Session is closed", once discord.py has closed it.
        log.warning("could not ask for a retry on interaction %s: %r", interaction.id, error)
    finally:
        bot.handling.discard(interaction.id)


async def _apologise(interaction: discord.Interaction[Any], what: str, error: Exception) -> None:
    message = user_message_for(error)
    if message is None:
        log.error(
            "%s failed for user %s (custom_id %s)",
            what,
            interaction.user.id,
            dict(interaction.data or {}).get("custom_id"),
            exc_info=error,
        )
        message = APOLOGY
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not deliver an error message for interaction %s", interaction.id)


class InFlight:
    """The interactions whose handler is running, by id."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, interaction_id: int) -> None:
        self._ids.add(interaction_id)
        self._idle.clear()

    def discard(self, interaction_id: int) -> None:
        self._ids.discard(interaction_id)
        if not self._ids:
            self._idle.set()

    async def idle(self, timeout: float) -> bool:
        """Wait until none is running; False if some still are after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class ClaimingView(discord.ui.View):
    """A persistent view (no timeout) registered for one message with `add_view`.

    discord.py starts a view's click in a task it creates before the tasks of the
    `on_interaction` listeners, and the first step of that task runs this check; so by
    the time the client's listener looks, a click this view took is marked, and no
    fallback answers it too.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        interaction.extras[CLAIMED] = True
        return True


def _describe_options(interaction: discord.Interaction[Any]) -> str:
    data: dict[str, Any] = dict(interaction.data or {})
    return json.dumps(data.get("options", []), sort_keys=True)[:500]


class QuizTree(app_commands.CommandTree["QuizBot"]):
    """The command tree, with the bot's single error handler."""

    async def interaction_check(self, interaction: discord.Interaction[QuizBot]) -> bool:
        if interaction.client.shutting_down:
            if interaction.type is discord.InteractionType.application_command:
                await refuse_while_stopping(interaction)
            return False
        if interaction.type is discord.InteractionType.application_command:
            passed = await self._options_pass(interaction)
            if passed:  # handled until on_app_command_completion or on_error
                interaction.client.handling.add(interaction.id)
            return passed
        if interaction.type is discord.InteractionType.autocomplete:
            return await self._typed_options_pass(interaction)
        return True

    async def _options_pass(self, interaction: discord.Interaction[QuizBot]) -> bool:
        """Refuse, naming the option, a command whose options break its own schema."""
        command = interaction.command
        if not isinstance(command, app_commands.Command):
            return True  # a context menu: no options
        data: dict[str, Any] = dict(interaction.data or {})
        problem = option_problem(command, leaf_options(data), data.get("resolved") or {})
        if problem is None:
            return True
        log.warning(
            "refused /%s from user %s: %s (options %s)",
            command.qualified_name,
            interaction.user.id,
            problem,
            _describe_options(interaction),
        )
        await send_ephemeral(interaction, problem)
        return False

    async def _typed_options_pass(self, interaction: discord.Interaction[QuizBot]) -> bool:
        """Offer no choices to an autocomplete whose other options no client could send
        (discord.py's namespace could not even read some of them)."""
        command = interaction.command
        if not isinstance(command, app_commands.Command):
            return True
        data: dict[str, Any] = dict(interaction.data or {})
        problem = option_problem(
            command, leaf_options(data), data.get("resolved") or {}, typing=True
        )
        if problem is None:
            return True
        log.warning(
            "no choices for /%s from user %s: %s (options %s)",
            command.qualified_name,
            interaction.user.id,
            problem,
            _describe_options(interaction),
        )
        await interaction.response.autocomplete([])
        return False

    async def on_error(
        self, interaction: discord.Interaction[QuizBot], error: app_commands.AppCommandError
    ) -> None:
        try:
            await self._apologise(interaction, error)
        finally:
            interaction.client.handling.discard(interaction.id)

    async def _apologise(
        self, interaction: discord.Interaction[QuizBot], error: app_commands.AppCommandError
    ) -> None:
        message = user_message_for(error)
        if message is None:
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command /%s failed for user %s with options %s",
                name,
                interaction.user.id,
                _describe_options(interaction),
                exc_info=error,
            )
            message = APOLOGY
        if interaction.type is discord.InteractionType.autocomplete:
            return  # an autocomplete cannot carry a message; Discord shows no choices
        try:
            await send_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not deliver an error message for interaction %s", interaction.id)


def user_message_for(error: BaseException) -> str | None:
    """The friendly text for an expected error; None for a bug."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, DomainError):
        return str(original)
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(
            p.replace("_", " ").replace("guild", "server") for p in error.missing_permissions
        )
        return f"You need the {needed} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return f"I need the {needed} permission here to do that."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in servers only."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


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


def decode_server_decks(rows: Sequence[ServerDeck]) -> list[Deck]:
    """Validate a server's stored decks; a broken one is logged and left out."""
    decks: list[Deck] = []
    for row in rows:
        try:
            decks.append(deck_from_json(row.deck_json, label=f"server deck {row.deck_id}"))
        except (DeckError, ValueError) as error:
            log.error("server %s: deck %s skipped: %s", row.guild_id, row.deck_id, error)
    return decks


def command_tree_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A stable fingerprint of the global commands, to skip needless syncs."""
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class QuizBot(commands.Bot):
    """The bot: holds the database, the decks and the clock; features live in extensions."""

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
        )
        self.settings = settings
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.shutting_down = False
        self.handling = InFlight()
        self._warming: asyncio.Task[None] | None = None
        self.synced: str | None = None  # "guild", "global" or "unchanged", for logs and tests
        self._extensions = walk_extensions() if extensions is None else tuple(extensions)
        self._force_global_sync = force_global_sync
        self._server_catalogs: OrderedDict[int, DeckCatalog] = OrderedDict()
        self._server_deck_versions: dict[int, int] = {}
        self._routes: dict[RouteKind, dict[re.Pattern[str], Route]] = {"button": {}, "modal": {}}
        # The templates of the dynamic items registered, which discord.py dispatches itself.
        self._dynamic_templates: dict[type[discord.ui.DynamicItem[Any]], re.Pattern[str]] = {}

    def add_route(self, kind: RouteKind, pattern: re.Pattern[str], handler: Route) -> None:
        """Route to `handler` the modal submits (kind "modal"), or the clicks no view
        took (kind "button"), whose custom_id matches `pattern` in full."""
        self._routes[kind][pattern] = handler

    def remove_route(self, kind: RouteKind, pattern: re.Pattern[str]) -> None:
        self._routes[kind].pop(pattern, None)

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().add_dynamic_items(*items)
        for item in items:
            self._dynamic_templates[item] = item.__discord_ui_compiled_template__

    def remove_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().remove_dynamic_items(*items)
        for item in items:
            self._dynamic_templates.pop(item, None)

    async def catalog_for(self, guild_id: int | None) -> DeckCatalog:
        """The decks a server sees: the shipped ones with its own imported decks over them.

        Outside a server (a DM) only the shipped decks exist.
        """
        if guild_id is None:
            return self.catalog
        cached = self._server_catalogs.get(guild_id)
        if cached is not None:
            self._server_catalogs.move_to_end(guild_id)
            return cached
        version = self._server_deck_versions.get(guild_id, 0)
        rows = await self.db.server_decks(guild_id)
        # Validating thousands of cards would hold up the event loop and its heartbeats.
        decks = await asyncio.to_thread(decode_server_decks, rows) if rows else []
        catalog = self.catalog.with_server_decks(decks)
        # An import or removal while this was loading makes the result stale: don't keep it.
        if self._server_deck_versions.get(guild_id, 0) == version:
            self._server_catalogs[guild_id] = catalog
            while len(self._server_catalogs) > SERVER_CATALOG_CACHE:
                self._server_catalogs.popitem(last=False)
        return catalog

    def server_decks_changed(self, guild_id: int) -> None:
        """Forget a server's cached catalog after one of its decks was imported or removed."""
        self._server_deck_versions[guild_id] = self._server_deck_versions.get(guild_id, 0) + 1
        self._server_catalogs.pop(guild_id, None)

    async def setup_hook(self) -> None:
        for extension in self._extensions:
            await self.load_extension(extension)
        await self.sync_commands()
        self._warming = asyncio.create_task(self.warm_server_catalogs())

    async def warm_server_catalogs(self) -> None:
        """Load imported decks before members ask: validating thousands of cards can take
        longer than the 3 s an interaction (or an autocomplete) may wait."""
        try:
            for guild_id in await self.db.guilds_with_server_decks(SERVER_CATALOG_CACHE):
                await self.catalog_for(guild_id)
        except Exception:  # a cold cache is slower, not broken
            log.exception("could not preload server decks")

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
        previous = await self.db.get_state(GLOBAL_COMMANDS_HASH_KEY)
        if previous == fingerprint and not self._force_global_sync:
            self.synced = "unchanged"
            log.info("command tree unchanged since the last global sync; not syncing")
            return
        synced = await self.tree.sync()
        await self.db.set_state(GLOBAL_COMMANDS_HASH_KEY, fingerprint, self.clock())
        self.synced = "global"
        log.info("synced %s globally", plural(len(synced), "command"))

    async def on_interaction(self, interaction: discord.Interaction[QuizBot]) -> None:
        """The bot's one interaction listener (each listener costs every interaction a
        task): routes modal submits, and the clicks that no persistent view took."""
        kind = interaction.type
        if kind is discord.InteractionType.component:
            await self._unclaimed_click(interaction)
        elif kind is discord.InteractionType.modal_submit:
            await self._submitted_form(interaction)

    async def _unclaimed_click(self, interaction: discord.Interaction[QuizBot]) -> None:
        if interaction.extras.get(CLAIMED):
            return
        message = interaction.message
        if message is None:
            return
        custom_id = _custom_id(interaction)
        if custom_id not in _custom_ids(message.components):
            # A forged or garbled custom_id: discord.py would ignore it, and the member
            # would see a failure.
            await send_ephemeral(interaction, FORGED_BUTTON)
            return
        if await self._route("button", interaction, custom_id):
            return
        # discord.py matches dynamic items with `match`, as here.
        if not any(t.match(custom_id) for t in self._dynamic_templates.values()):
            # A button of ours that nothing handles any more (a custom_id scheme changed).
            await send_ephemeral(interaction, RETIRED_BUTTON)

    async def _submitted_form(self, interaction: discord.Interaction[QuizBot]) -> None:
        # Every modal's submit is answered through a route (no modal of ours answers in
        # its own `on_submit`), so one no route takes is forged, or from an older version.
        if not await self._route("modal", interaction, _custom_id(interaction)):
            await send_ephemeral(interaction, UNKNOWN_FORM)

    async def _route(
        self, kind: RouteKind, interaction: discord.Interaction[QuizBot], custom_id: str
    ) -> bool:
        """Hand the interaction to the route its custom_id matches; False if none does."""
        for pattern, handler in self._routes[kind].items():
            if pattern.fullmatch(custom_id):
                await handler(interaction, custom_id)
                return True
        return False

    async def on_ready(self) -> None:
        # on_ready fires again after a reconnect; it must stay idempotent.
        log.info("ready as %s in %s", self.user, plural(len(self.guilds), "server"))

    async def on_app_command_completion(
        self, interaction: discord.Interaction[QuizBot], command: object
    ) -> None:
        self.handling.discard(interaction.id)

    async def close(self) -> None:
        self.shutting_down = True
        if self._warming is not None:
            self._warming.cancel()
        await self._drain()
        await super().close()

    async def _drain(self) -> None:
        """Let the handlers already running finish, so that an answer stored is shown
        too, before the connection closes (new interactions are told to try again)."""
        if not await self.handling.idle(DRAIN_SECONDS):
            log.warning("stopping with %d interactions still being handled", len(self.handling))
