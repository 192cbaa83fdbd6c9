"""What processes sharing one database coordinate through it.

Stored deadlines (`db.timers`, bot/storage/timers.py) are claimed before they are served,
each process looking only at the deadlines of servers on its own shards (`on_shards`).

`PostgresTurns` hands out IDENTIFY turns across processes: an advisory lock per bucket,
held for the IDENTIFY window after each turn, on a connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg

from bot.domain.shards import ShardScope

log = logging.getLogger(__name__)

# How long a claimed deadline is held by a process that neither finishes nor releases it
# (it died, or hangs): longer than any handler takes.
TIMER_LEASE = timedelta(seconds=120)

# The advisory locks of IDENTIFY turns: (this namespace, bucket), in the two-key space,
# apart from the one-key lock that serialises writes.
TURNS_NAMESPACE = 0x6964  # "id"
# Margin kept after the window: a turn's IDENTIFY goes out a moment after it is given.
TURN_MARGIN = 0.25
# How often a bucket held elsewhere is asked for again, in seconds.
TURN_POLL = 0.2

# A server's shard in SQL both engines read alike (see bot/storage/daily.py).
_SHARD_OF = "((guild_id / 4194304) % ?)"


def on_shards(scope: ShardScope | None) -> tuple[str, tuple[int, ...]]:
    """Deadlines of servers on ``scope``'s shards, and those of no server."""
    if scope is None:
        return "", ()
    marks = ", ".join("?" for _ in scope.shard_ids)
    clause = f" AND (guild_id IS NULL OR {_SHARD_OF} IN ({marks}))"
    return clause, (scope.shard_count, *scope.shard_ids)


class PostgresTurns:
    """IDENTIFY turns for every process on one PostgreSQL database.

    A bucket's turn is an advisory lock on this object's own connection, held from the
    turn until ``window`` (and a small margin) later: another process asks for the same
    lock, so no two IDENTIFYs in one bucket fall in one window, whichever process sends
    them. A process that dies drops its connection, and with it its locks. Should the
    database not answer, turns are spaced in this process alone, and the log says so.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: asyncpg.Connection | None = None
        self._query = asyncio.Lock()  # one connection runs one query at a time
        self._buckets: dict[int, asyncio.Lock] = {}  # locks are per connection: per bucket here
        self._releases: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def turn(self, bucket: int, window: float) -> AsyncIterator[None]:
        local = self._buckets.setdefault(bucket, asyncio.Lock())
        await local.acquire()
        shared = False
        try:
            shared = await self._take(bucket)
        except BaseException:
            local.release()
            raise
        entered = time.monotonic()
        try:
            yield
        finally:
            task = asyncio.create_task(
                self._release_at(bucket, local, entered + window + TURN_MARGIN, shared=shared),
                name=f"identify-turn-{bucket}",
            )
            self._releases.add(task)
            task.add_done_callback(self._releases.discard)

    async def _take(self, bucket: int) -> bool:
        """Wait for the bucket's lock; False when the database could not be asked."""
        waited = False
        while True:
            try:
                if await self._ask("SELECT pg_try_advisory_lock($1, $2)", bucket):
                    if waited:
                        log.info("IDENTIFY bucket %s: our turn after another process's", bucket)
                    return True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning(
                    "IDENTIFY turns: the database did not answer (%s); spacing this "
                    "process's IDENTIFYs alone",
                    error,
                )
                return False
            if not waited:
                log.info("IDENTIFY bucket %s: another process has the turn; waiting", bucket)
                waited = True
            await asyncio.sleep(TURN_POLL)

    async def _release_at(
        self, bucket: int, local: asyncio.Lock, at: float, *, shared: bool
    ) -> None:
        try:
            await asyncio.sleep(max(at - time.monotonic(), 0.0))
            if shared:
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await self._ask("SELECT pg_advisory_unlock($1, $2)", bucket)
        finally:
            local.release()

    async def _ask(self, sql: str, bucket: int) -> bool:
        async with self._query:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self.url, timeout=5.0)
            return bool(await self._conn.fetchval(sql, TURNS_NAMESPACE, bucket))

    async def close(self) -> None:
        for task in list(self._releases):
            task.cancel()
        for task in list(self._releases):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
