"""Run the real bot in-process against the loopback Discord API.

The bot is built exactly as `python -m bot` builds it (settings, decks,
migrations, extensions, command sync); only its endpoints point at the fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep
from typing import Any

from bot.client import QuizBot
from bot.config import Settings
from bot.domain.shards import ShardPlan
from bot.endpoints import discord_pointed_at
from bot.launcher import build_bot
from bot.storage import Database, NewAnswer
from tests.engines import url_of
from tests.fakediscord import Channel, FakeDiscord, Member

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DECKS = REPO / "decks"


@dataclass
class FakeClock:
    """The bot's clock in tests: moves only when told to."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@contextlib.contextmanager
def restored_endpoints() -> Iterator[None]:
    """Put discord.py's endpoints back after a test pointed them at the fake."""
    with discord_pointed_at():
        yield


class BotRunner:
    """Starts, stops and restarts the bot on one database file."""

    def __init__(
        self,
        fake: FakeDiscord,
        database: Path | str,
        *,
        decks_dir: Path = SHIPPED_DECKS,
        clock: FakeClock | None = None,
        dev_guild_id: int | None = None,
        shards: ShardPlan | None = None,
    ) -> None:
        self.fake = fake
        self.shards = shards or ShardPlan()
        self.database = database
        self.decks_dir = decks_dir
        self.clock = clock or FakeClock()
        self.dev_guild_id = dev_guild_id
        self.bot: QuizBot | None = None
        self.db: Database | None = None
        self._task: asyncio.Task[None] | None = None

    def settings(self) -> Settings:
        api_base, gateway_url = self.fake.endpoint_urls()
        return Settings(
            discord_token=self.fake.token,
            database_url=url_of(self.database),
            decks_dir=self.decks_dir,
            dev_guild_id=self.dev_guild_id,
            discord_api_base=api_base,
            discord_gateway_url=gateway_url,
            shards=self.shards,
        )

    async def start(self, *, force_global_sync: bool = False) -> QuizBot:
        settings = self.settings()
        self.db = await Database.connect(settings.database_url)
        self.bot = build_bot(
            settings,
            self.db,
            clock=self.clock,
            force_global_sync=force_global_sync,
            # on_ready waits this long after the last GUILD_CREATE; the fake sends them at once.
            guild_ready_timeout=0.05,
            # The fake's IDENTIFY window (Discord's 5 s, or none unless a test sets one).
            identify_window=self.fake.gateway.identify_window,
        )
        self._task = asyncio.create_task(self.bot.start(self.fake.token))
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=15, return_when="FIRST_COMPLETED")
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises what stopped the bot
            raise RuntimeError("the bot stopped before it was ready")
        if not done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready within 15 s")
        return self.bot

    async def stop(self) -> None:
        # Another bot of the test may stay connected: wait for this one's connections only.
        others = self.fake.open_connections
        if self.bot is not None:
            others -= len(self.bot.shard_ids or ())
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=10)
        if self.db is not None:
            await self.db.close()
        await self.fake.wait_disconnected(at_most=max(others, 0))
        self.bot, self.db, self._task = None, None, None

    async def restart(self) -> QuizBot:
        await self.stop()
        return await self.start()


@contextlib.asynccontextmanager
async def runner_with_decks(
    fake: FakeDiscord,
    tmp_path: Path,
    clock: FakeClock,
    decks: Mapping[str, str],
    database: Path | str | None = None,
) -> AsyncIterator[BotRunner]:
    """A started bot whose deck directory holds exactly `decks` (file name to text), on a
    fresh database (an SQLite file unless ``database`` is given), with its commands
    synced; stopped at the end."""
    folder = tmp_path / "decks"
    folder.mkdir()
    for name, text in decks.items():
        (folder / name).write_text(text)
    runner = BotRunner(fake, database or tmp_path / "bot.sqlite3", decks_dir=folder, clock=clock)
    await runner.start()
    await fake.wait_commands_synced(scope=None)
    try:
        yield runner
    finally:
        await runner.stop()


async def add_servers_due_for_daily(
    fake: FakeDiscord, db: Database, count: int, *, due: datetime, now: datetime
) -> list[Channel]:
    """`count` servers, each with a daily challenge at 09:00 Berlin due at `due`."""
    channels: list[Channel] = []
    for number in range(count):
        guild = fake.add_guild(f"Server {number}")
        channels.append(fake.add_text_channel(guild.id, "daily"))
        await db.members.upsert_guild(guild.id, guild.name, now)
        await db.daily.save_schedule(
            guild_id=guild.id,
            channel_id=channels[-1].id,
            post_time=time(9, 0),
            timezone="Europe/Berlin",
            deck_id="aws-mla-c01-deployment",
            topic=None,
            role_id=None,
            reveal_after=None,
            next_post_at=due,
            reveal_by=due,
            updated_by=None,
            now=now,
        )
    return channels


async def post_daily_now(
    fake: FakeDiscord, channel: Channel, admin: Member, *, timeout: float = 10.0
) -> dict[str, Any]:
    """An admin sets up daily challenges in ``channel`` and posts today's: the post."""
    for command, options in (
        ("daily setup", {"channel": channel, "time": "09:00"}),
        ("daily post", {}),
    ):
        it = await fake.invoke_slash(command, options, user=admin, channel=channel)
        await it.wait_final(timeout=timeout)
    return await fake.wait_for_message(channel, timeout=timeout)


async def fill_the_disk(db: Database, user_id: int, now: datetime) -> int:
    """Make the database's disk full: cap the file at its size (``max_page_count``, on the
    bot's own connection) and fill what is left with a member's answers. Returns how many
    fitted; `free_the_disk` lifts the cap."""
    await cap_the_file(db, extra_pages=0)
    await db.members.upsert_user(user_id, "filler", now)
    filled = 0
    while True:
        try:
            await db.answers.record(
                NewAnswer(user_id, None, "filler", f"c{filled}", "flashcard", True, now,
                          session_id=f"fill{filled}", question_index=0)
            )  # fmt: skip
        except sqlite3.OperationalError as exc:
            assert "full" in str(exc), exc
            return filled
        filled += 1


async def free_the_disk(db: Database) -> None:
    # max_page_count holds per connection: only the bot's own write connection can lift it.
    await db._engine._writer.execute("PRAGMA max_page_count = 1073741823")  # noqa: SLF001 - see above


async def cap_the_file(db: Database, *, extra_pages: int) -> None:
    """Let the database file grow by ``extra_pages`` pages at most (``max_page_count`` on
    the bot's own write connection)."""

    writer = db._engine._writer  # noqa: SLF001 - test-only access
    ((pages,),) = await writer.execute_fetchall("PRAGMA page_count")
    await writer.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


def hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another process-like writer holding the database's write lock for a while."""
    started = threading.Event()

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE bot_state SET value = value")
        started.set()
        sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(5)
    return thread
