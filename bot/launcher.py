"""Start-up and shutdown: logging, endpoints, database, decks, signals."""

from __future__ import annotations

import asyncio
import logging
import signal

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.client import QuizBot
from bot.config import ConfigError, Settings
from bot.domain.catalog import DeckCatalog
from bot.domain.decks import load_decks
from bot.domain.words import plural
from bot.storage import Database

log = logging.getLogger("bot")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # discord.py's HTTP debug lines would be noise; its own code never logs the token.
    logging.getLogger("discord.http").setLevel(max(logging.getLevelName(level), logging.INFO))


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py at another API (the test suite's loopback Discord)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def load_catalog(settings: Settings) -> DeckCatalog:
    result = load_decks(settings.decks_dir)
    for error in result.errors:
        # One broken deck must not keep the others from being served.
        log.error("deck skipped: %s", error)
    log.info("loaded %s from %s", plural(len(result.decks), "deck"), settings.decks_dir)
    return DeckCatalog(dict(result.decks))


async def run_bot(settings: Settings, *, force_global_sync: bool = False) -> int:
    token = settings.require_token()
    setup_logging(settings.log_level)
    apply_endpoints(settings)
    catalog = load_catalog(settings)
    async with await Database.open(settings.database_path) as db:
        log.info("database %s at schema version %d", db.path, await db.schema_version())
        bot = QuizBot(
            settings=settings, db=db, catalog=catalog, force_global_sync=force_global_sync
        )
        async with bot:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, _stop, bot, signum)
            try:
                if force_global_sync:
                    # login() runs setup_hook, which syncs; no gateway connection needed.
                    await bot.login(token)
                    log.info("global command sync done")
                    return 0
                await bot.start(token)
            except discord.LoginFailure as exc:
                raise ConfigError(
                    "Discord refused the token in DISCORD_TOKEN. Open your application at "
                    "https://discord.com/developers/applications, press Reset Token on its "
                    "Bot page, and put the new token in .env."
                ) from exc
    log.info("stopped cleanly")
    return 0


def _stop(bot: QuizBot, signum: int) -> None:
    log.info("received %s, shutting down", signal.Signals(signum).name)
    bot.shutting_down = True
    asyncio.get_running_loop().create_task(bot.close())
