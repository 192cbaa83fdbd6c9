"""Start-up and shutdown: logging, endpoints, database, decks, signals."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

import discord

from bot.client import Clock, QuizBot, utc_now
from bot.config import ConfigError, Settings
from bot.domain.catalog import DeckCatalog
from bot.domain.decks import load_decks
from bot.domain.words import plural
from bot.endpoints import point_discord_at
from bot.shards import IDENTIFY_WINDOW, FleetTurns
from bot.storage import Database
from bot.storage.fleet import PostgresTurns

log = logging.getLogger("bot")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # discord.py's HTTP debug lines would be noise; its own code never logs the token.
    logging.getLogger("discord.http").setLevel(max(logging.getLevelName(level), logging.INFO))


def load_catalog(settings: Settings) -> DeckCatalog:
    # Decks are tens of thousands of long-lived objects, and every few hundred new ones
    # would set off a cyclic collection that walks all those made before them again:
    # with ten 5,000-card decks that doubled the start-up. Nothing made here is cyclic
    # garbage, so the collector waits until the decks are built (run_bot then freezes
    # them, out of its way for good).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = load_decks(settings.decks_dir)
    finally:
        if was_enabled:
            gc.enable()
    for error in result.errors:
        # One broken deck must not keep the others from being served.
        log.error("deck skipped: %s", error)
    log.info("loaded %s from %s", plural(len(result.decks), "deck"), settings.decks_dir)
    return DeckCatalog(dict(result.decks))


def build_bot(
    settings: Settings,
    db: Database,
    *,
    clock: Clock = utc_now,
    force_global_sync: bool = False,
    guild_ready_timeout: float = 2.0,
    identify_window: float = IDENTIFY_WINDOW,
    fleet_turns: FleetTurns | None = None,
) -> QuizBot:
    """The bot as it runs: the settings' decks and endpoints, on an open database."""
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    return QuizBot(
        settings=settings,
        db=db,
        catalog=load_catalog(settings),
        clock=clock,
        force_global_sync=force_global_sync,
        guild_ready_timeout=guild_ready_timeout,
        identify_window=identify_window,
        # Processes sharing a database take IDENTIFY turns through it (one process: None).
        fleet_turns=fleet_turns,
    )


async def run_bot(settings: Settings, *, force_global_sync: bool = False) -> int:
    token = settings.require_token()
    setup_logging(settings.log_level)
    async with await Database.connect(settings.database_url, wait=settings.database_wait) as db:
        log.info("database %s at schema version %d", db.location, await db.schema_version())
        # Processes sharing PostgreSQL take IDENTIFY turns through it; alone on SQLite,
        # the turns are kept in memory.
        turns = PostgresTurns(db.url) if db.path is None else None
        bot = build_bot(settings, db, force_global_sync=force_global_sync, fleet_turns=turns)
        # The decks live as long as the process: move them, and all that start-up made,
        # out of the collector's way, so a full collection walks only what the bot makes
        # while it runs (ten 5,000-card decks made each full collection stall the loop
        # 50 ms).
        gc.freeze()
        try:
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
        finally:
            if turns is not None:
                await turns.close()
    log.info("stopped cleanly")
    return 0


def _stop(bot: QuizBot, signum: int) -> None:
    log.info("received %s, shutting down", signal.Signals(signum).name)
    bot.shutting_down = True
    asyncio.get_running_loop().create_task(bot.close())
