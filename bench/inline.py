"""How much of the bot's burst latency its trips to the database thread are:
`python -m bench.inline [rounds]`.

A diagnostic beside the benchmarks (`make bench` does not run it), for the latency target
(p99 within 1.25× the storing bot's). It plays the latency bench's daily and quiz bursts,
on SQLite, against four bots taking turns:

- "bot": the bot as it ships (aiosqlite: every statement a trip to its thread and back);
- "inline": the same bot whose SQLite statements run on the event loop itself, through
  the standard library's `sqlite3`, so a write costs no trip at all. Not a design (a
  slow query or a busy lock would stop every other click for its whole length): a floor
  under any design that hands the database less, down to one trip per write;
- "stored": the storing bot of the latency bench (one INSERT, one trip, a line of text);
- "shaped": the storing bot answering with the bot's own result messages (its embed and
  buttons, taken from a warm-up burst of the bot), to show what the reply's size costs.

If "inline" stays well above 1.25× the storing bot, no storage design meets the target:
the rest is the bot's own work per click.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import discord

from bench import latency
from bench._barebot import DAILY_PREFIX, QUIZ_PREFIX
from bench._storingbot import StoringBareBot
from bot.storage import sqlite as bot_sqlite
from bot.storage.base import Conn, Params, Row
from tests.fakediscord import FakeDiscord

KINDS = {
    "bot": "quiz bot, aiosqlite (as shipped)",
    "inline": "quiz bot, statements run on the event loop",
    "stored": "bare + one aiosqlite INSERT",
    "shaped": "bare + one aiosqlite INSERT, the bot's replies",
}
# The bot's result messages, taken from the warm-up burst: scenario -> message payload.
Replies = dict[str, dict[str, Any]]


class InlineConn(Conn):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(row) for row in self._conn.execute(sql, params).fetchall()]


class InlineSqliteEngine(bot_sqlite.SqliteEngine):
    """The bot's SQLite engine with its reads and writes run on the calling thread (the
    event loop's); opening, migrating and closing stay as they are."""

    def _inline(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        if not hasattr(self, "_inline_writer"):
            self._inline_writer = sqlite3.connect(self.path or "", isolation_level=None)
            self._inline_reader = sqlite3.connect(self.path or "", isolation_level=None)
            for conn, pragmas in (
                (self._inline_writer, bot_sqlite._WRITER_PRAGMAS),
                (self._inline_reader, bot_sqlite._READER_PRAGMAS),
            ):
                for pragma in pragmas:
                    conn.execute(pragma)
        return self._inline_writer, self._inline_reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        async with self._write_lock:
            writer, _ = self._inline()
            writer.execute("BEGIN IMMEDIATE")
            try:
                yield InlineConn(writer)
                writer.execute("COMMIT")
            except BaseException:
                writer.rollback()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        async with self._read_lock:  # a block may await between its statements
            _, reader = self._inline()
            reader.execute("BEGIN")
            try:
                yield InlineConn(reader)
            finally:
                reader.execute("COMMIT")

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._read_lock:
            _, reader = self._inline()
            return [tuple(row) for row in reader.execute(sql, params).fetchall()]

    async def close(self) -> None:
        if hasattr(self, "_inline_writer"):
            self._inline_writer.close()
            self._inline_reader.close()
        await super().close()


class InlineArena(latency.RealArena):
    def __init__(self, fake: FakeDiscord, database: Path) -> None:
        super().__init__(fake, database)
        self.kind = "inline"

    async def start(self) -> None:
        # The engine is chosen when the bot opens its database, at start.
        with mock.patch.object(bot_sqlite.SqliteEngine, "open", InlineSqliteEngine.open):
            await super().start()


def _view(payload: dict[str, Any]) -> discord.ui.View | None:
    view = discord.ui.View(timeout=None)
    for row in payload.get("components", []):
        for item in row["components"]:
            if item.get("custom_id"):
                view.add_item(
                    discord.ui.Button(
                        label=item.get("label"),
                        custom_id=item["custom_id"],
                        style=discord.ButtonStyle(item.get("style", 2)),
                    )
                )
    return view if view.children else None


class ShapedStoringBot(StoringBareBot):
    """The storing bot, answering each click with the bot's own result message."""

    def __init__(self, database: Path, replies: Replies, *, question: discord.Embed) -> None:
        super().__init__(database, question=question)
        self.replies = replies

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.component or self._db is None:
            return
        await self.store_click(self._db, interaction)
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if not custom_id.startswith((QUIZ_PREFIX, DAILY_PREFIX)):
            return
        scenario = "quiz" if custom_id.startswith(QUIZ_PREFIX) else "daily"
        payload = self.replies[scenario]
        embeds = [discord.Embed.from_dict(embed) for embed in payload.get("embeds", [])]
        view = _view(payload)
        if scenario == "quiz":
            await interaction.response.edit_message(embeds=embeds, view=view)
        elif view is None:
            await interaction.response.send_message(embeds=embeds, ephemeral=True)
        else:
            await interaction.response.send_message(embeds=embeds, view=view, ephemeral=True)


class ShapedArena(latency.StoringArena):
    def __init__(
        self, fake: FakeDiscord, question: discord.Embed, database: Path, replies: Replies
    ) -> None:
        super().__init__(fake, question, database)
        self.kind = "shaped"
        self.replies = replies

    def make_bot(self) -> StoringBareBot:
        assert isinstance(self.database, Path)
        return ShapedStoringBot(self.database, self.replies, question=self.question)


async def _bot_replies(arena: latency.RealArena, rng: random.Random) -> Replies:
    """A burst of each kind, unmeasured; the bot's result messages from them."""
    world = latency._round_world(arena.fake, 10_000, 20)
    await arena.start()
    try:
        await arena.daily(world, rng)
        await arena.quiz(world, rng)
    finally:
        await arena.stop()
    messages = [stored.payload for stored in arena.fake.store.all() if not stored.deleted]
    shown = [m for m in messages if m.get("embeds")]
    quiz = [m for m in shown if any(":next" in i for i in latency._custom_ids(m))]
    daily = [m for m in arena.fake.ephemeral_messages() if m.get("embeds")]
    if not quiz or not daily:
        raise AssertionError("the warm-up burst showed no result message")
    return {"quiz": quiz[-1], "daily": daily[-1]}


async def measure(members: int, rounds: int) -> latency.Results:
    rng = random.Random(20260302)
    async with latency.loopback_discords("bench-inline-") as (tmp, fake):
        question = latency._shipped_question()
        bot = latency.RealArena(await fake(), tmp / "bot.sqlite3")
        replies = await _bot_replies(bot, rng)
        arenas: list[latency.RealArena | latency.BareArena] = [
            bot,
            InlineArena(await fake(), tmp / "inline.sqlite3"),
            latency.StoringArena(await fake(), question, tmp / "stored.sqlite3"),
            ShapedArena(await fake(), question, tmp / "shaped.sqlite3", replies),
        ]
        results = await latency.play_rounds(arenas, rounds, members, rng)
    latency.check_stored(results)
    return results


def main(rounds: int) -> None:
    members = 200
    results = asyncio.run(measure(members, rounds))
    print(f"{members} clicks a burst, {rounds} rounds per bot, SQLite\n")
    latency.print_ratios(results, KINDS, "stored")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
