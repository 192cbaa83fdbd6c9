"""What every interaction shares: option checks, the one error handler that logs and
apologises, and the tracking of the ones being handled, which a stop waits for.

Replies themselves go out through `bot.exts.replies`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands

from bot.domain.errors import DomainError
from bot.exts import replies
from bot.options import leaf_options, option_problem
from bot.storage import StorageUnavailable

if TYPE_CHECKING:
    from bot.client import QuizBot

log = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side while doing that. It has been logged; "
    "please try again in a moment."
)
RESTARTING = "I'm restarting; try again in a few seconds."


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
        await apologise(interaction, error, what)
    finally:
        bot.handling.discard(interaction.id)


async def refuse_while_stopping(interaction: discord.Interaction[Any]) -> None:
    """Tell the member to try again in a moment. The stop waits for this reply too, but
    one that started as the connection closed cannot get out any more: that is noted."""
    bot = interaction.client
    bot.handling.add(interaction.id)
    try:
        await replies.reply(interaction, RESTARTING, ephemeral=True)
    except (discord.HTTPException, aiohttp.ClientError, RuntimeError) as error:
        # RuntimeError: aiohttp's "Session is closed", once discord.py has closed it.
        log.warning("could not ask for a retry on interaction %s: %r", interaction.id, error)
    finally:
        bot.handling.discard(interaction.id)


async def apologise(interaction: discord.Interaction[Any], error: BaseException, what: str) -> None:
    """The one error handler: a member's mistake is explained to them; a bug is logged,
    and the member told so."""
    message = user_message_for(error)
    if message is None:
        user = interaction.user.id
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, StorageUnavailable):  # not a bug: the line says what to fix
            log.error("%s failed for user %s %s: %s", what, user, _context(interaction), original)
        else:
            log.error("%s failed for user %s %s", what, user, _context(interaction), exc_info=error)
        message = APOLOGY
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete cannot carry a message; Discord shows no choices
    try:
        await replies.reply(interaction, message, ephemeral=True)
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


def _context(interaction: discord.Interaction[Any]) -> str:
    data: dict[str, Any] = dict(interaction.data or {})
    if "custom_id" in data:
        return f"(custom_id {data['custom_id']})"
    return f"with options {_describe_options(interaction)}"


def _describe_options(interaction: discord.Interaction[Any]) -> str:
    data: dict[str, Any] = dict(interaction.data or {})
    return json.dumps(data.get("options", []), sort_keys=True)[:500]


class QuizTree(app_commands.CommandTree["QuizBot"]):
    """The command tree: options checked again before a command runs, and its errors
    handed to `apologise`."""

    async def interaction_check(self, interaction: discord.Interaction[QuizBot]) -> bool:
        if interaction.client.shutting_down:
            if interaction.type is discord.InteractionType.application_command:
                await refuse_while_stopping(interaction)
            return False
        if interaction.type is discord.InteractionType.application_command:
            passed = await self._options_pass(interaction, typing=False)
            if passed:  # handled until on_app_command_completion or on_error
                interaction.client.handling.add(interaction.id)
            return passed
        if interaction.type is discord.InteractionType.autocomplete:
            return await self._options_pass(interaction, typing=True)
        return True

    async def _options_pass(
        self, interaction: discord.Interaction[QuizBot], *, typing: bool
    ) -> bool:
        """Refuse, naming the option, a command whose options break its own schema; or,
        while typing, offer no choices to an autocomplete whose other options no client
        could send (discord.py's namespace could not even read some of them)."""
        command = interaction.command
        if not isinstance(command, app_commands.Command):
            return True  # a context menu: no options
        data: dict[str, Any] = dict(interaction.data or {})
        problem = option_problem(
            command, leaf_options(data), data.get("resolved") or {}, typing=typing
        )
        if problem is None:
            return True
        log.warning(
            "%s /%s from user %s: %s (options %s)",
            "no choices for" if typing else "refused",
            command.qualified_name,
            interaction.user.id,
            problem,
            _describe_options(interaction),
        )
        if typing:
            await interaction.response.autocomplete([])
        else:
            await replies.reply(interaction, problem, ephemeral=True)
        return False

    async def on_error(
        self, interaction: discord.Interaction[QuizBot], error: app_commands.AppCommandError
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "?"
        try:
            await apologise(interaction, error, f"command /{name}")
        finally:
            interaction.client.handling.discard(interaction.id)
