"""What a write's hand-offs to the database thread cost under a burst:
`python -m bench.handoffs [rounds]`.

A diagnostic beside the benchmarks (`make bench` does not run it), for the question the
latency target raises. It plays the latency bench's daily and quiz bursts against three
bare bots that store each click as one write transaction on an SQLite file, through
Python's `sqlite3` on one thread of their own:

- "one": one statement in one hand-off to that thread (what the storing bot pays);
- "each": an answer's worth of statements (the click's row, then updates of a tally row),
  with BEGIN and COMMIT, each its own hand-off, under a lock: how the bot's storage runs a
  write today (`async with db.write() as conn:` awaits every statement);
- "whole": the same statements in one hand-off.

If "whole" stays near "one" while "each" does not, handing a whole write to the thread at
once is what would bring the bot near the target; if "whole" is slow too, the statements
themselves are the cost.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import discord

from bench import latency
from bench._barebot import BareBot
from bench._storingbot import SCHEMA as STORING_SCHEMA
from tests.fakediscord import FakeDiscord

T = TypeVar("T")

STATEMENTS = 6  # an answer's statements in the bot: the row, its review's, the totals'
# The storing bot's table and settings, and a tally row per member to update.
SCHEMA = (
    *STORING_SCHEMA,
    "CREATE TABLE IF NOT EXISTS tallies (user_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
)
INSERT_CLICK = (
    "INSERT INTO clicks (message_id, user_id, custom_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)
TALLY = (
    "INSERT INTO tallies (user_id, n) VALUES (?, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1"
)
KINDS = {
    "one": "1 statement, 1 hand-off",
    "each": f"{STATEMENTS} statements, a hand-off each (+ BEGIN, COMMIT), under a lock",
    "whole": f"{STATEMENTS} statements in 1 hand-off",
}


class TransactionBot(BareBot):
    """`BareBot` that stores each click as one write transaction before its answer."""

    def __init__(self, database: Path, kind: str, *, question: discord.Embed) -> None:
        super().__init__(question=question)
        self.database = database
        self.kind = kind
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database")
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None

    async def _on_thread(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    async def setup_hook(self) -> None:
        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(self.database, isolation_level=None, check_same_thread=False)
            for statement in SCHEMA:
                conn.execute(statement)
            return conn

        self._conn = await self._on_thread(connect)
        await super().setup_hook()

    async def close(self) -> None:
        await super().close()
        if self._conn is not None:
            await self._on_thread(self._conn.close)
            self._conn = None
        self._thread.shutdown()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        conn = self._conn
        if interaction.type is not discord.InteractionType.component or conn is None:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        message_id = interaction.message.id if interaction.message is not None else 0
        user_id = interaction.user.id
        statements = [(INSERT_CLICK, (message_id, user_id, custom_id))]
        if self.kind != "one":
            statements += [(TALLY, (user_id,))] * (STATEMENTS - 1)

        def run(sql: str, params: tuple[Any, ...] = ()) -> Callable[[], object]:
            return lambda: conn.execute(sql, params)

        if self.kind == "each":
            async with self._lock:
                await self._on_thread(run("BEGIN IMMEDIATE"))
                for sql, params in statements:
                    await self._on_thread(run(sql, params))
                await self._on_thread(run("COMMIT"))
        else:

            def transaction() -> None:
                conn.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    conn.execute(sql, params)
                conn.execute("COMMIT")

            await self._on_thread(transaction)
        await super().on_interaction(interaction)


class TransactionArena(latency.StoringArena):
    def __init__(self, fake: FakeDiscord, question: discord.Embed, database: Path, kind: str):
        super().__init__(fake, question, database)
        self.kind = kind

    def make_bot(self) -> BareBot:
        assert isinstance(self.database, Path)
        return TransactionBot(self.database, self.kind, question=self.question)


async def measure(members: int, rounds: int) -> latency.Results:
    rng = random.Random(20260302)
    async with latency.loopback_discords("bench-handoffs-") as (tmp, fake):
        question = latency._shipped_question()
        arenas = [
            TransactionArena(await fake(), question, tmp / f"{kind}.db", kind) for kind in KINDS
        ]
        results = await latency.play_rounds(arenas, rounds, members, rng)
    latency.check_stored(results)
    return results


def main(rounds: int) -> None:
    members = 200
    results = asyncio.run(measure(members, rounds))
    print(f"{members} clicks a burst, {rounds} rounds per bot, SQLite through sqlite3\n")
    latency.print_ratios(results, KINDS, "one")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
