"""Gateway etiquette: the session start budget, and whose turn it is to IDENTIFY.

Discord allows ``max_concurrency`` IDENTIFYs per 5 seconds, one per bucket
``shard_id % max_concurrency``, and about 1,000 session starts a day; going over resets the
bot's token. `IdentifyTurns` spaces this process's IDENTIFYs per bucket. A fleet of
processes sharing a database hands it a `FleetTurns` that serialises each bucket across
processes (a PostgreSQL advisory lock per bucket, say): `turn` is held while waiting out
the window, so two processes never IDENTIFY in one bucket within it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from bot.config import ConfigError

log = logging.getLogger(__name__)

# Discord: the window of ``max_concurrency`` IDENTIFYs.
IDENTIFY_WINDOW = 5.0
# Session starts kept in hand: a process refuses to start when starting its shards would
# leave fewer than this (reconnects that cannot resume need some too).
SESSION_START_RESERVE = 10


class FleetTurns(Protocol):
    """Whose turn it is to IDENTIFY in a bucket, across every process of the bot.

    `turn` returns once ``window`` seconds have passed since the last IDENTIFY in
    ``bucket`` by any process, and is held while this one IDENTIFYs; the instant it was
    entered counts as the bucket's last IDENTIFY. With a shared PostgreSQL database this is
    an advisory lock per bucket and the instant kept beside it.
    """

    def turn(self, bucket: int, window: float) -> AbstractAsyncContextManager[None]: ...


class LocalTurns:
    """One process alone: the buckets' last IDENTIFYs are kept in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def turn(self, bucket: int, window: float) -> AsyncIterator[None]:
        async with self._locks.setdefault(bucket, asyncio.Lock()):
            last = self._last.get(bucket)
            if last is not None:
                wait = last + window - self._clock()
                if wait > 0:
                    log.debug("IDENTIFY bucket %s: waiting %.1f s for its turn", bucket, wait)
                    await asyncio.sleep(wait)
            self._last[bucket] = self._clock()
            yield


class IdentifyTurns:
    """Before each IDENTIFY: wait for the turn of its bucket (``shard_id % max_concurrency``)."""

    def __init__(
        self,
        *,
        max_concurrency: int = 1,
        window: float = IDENTIFY_WINDOW,
        fleet: FleetTurns | None = None,
    ) -> None:
        self.max_concurrency = max(max_concurrency, 1)
        self.window = window
        self.fleet: FleetTurns = fleet or LocalTurns()

    def bucket(self, shard_id: int) -> int:
        return shard_id % self.max_concurrency

    async def take(self, shard_id: int) -> None:
        """Return when ``shard_id`` may IDENTIFY."""
        async with self.fleet.turn(self.bucket(shard_id), self.window):
            pass


@dataclass(frozen=True)
class GatewayInfo:
    """What ``/gateway/bot`` says: the recommended shard count and the start budget."""

    recommended_shards: int
    total: int
    remaining: int
    reset_after_ms: int
    max_concurrency: int

    @classmethod
    def of(cls, shards: int, limits: Mapping[str, Any]) -> GatewayInfo:
        return cls(
            recommended_shards=int(shards),
            total=int(limits["total"]),
            remaining=int(limits["remaining"]),
            reset_after_ms=int(limits["reset_after"]),
            max_concurrency=int(limits.get("max_concurrency", 1)),
        )


class SessionStartsSpentError(ConfigError):
    """Starting would spend (nearly) all session starts Discord allows today."""


def check_session_starts(info: GatewayInfo, starting: int) -> None:
    """Log the budget; refuse when starting ``starting`` shards would leave too little."""
    hours = info.reset_after_ms / 3_600_000
    log.info(
        "session starts: %d of %d left (the budget resets in %.1f h); starting %d shard(s), "
        "%d at a time",
        info.remaining,
        info.total,
        hours,
        starting,
        info.max_concurrency,
    )
    if info.remaining - starting < SESSION_START_RESERVE:
        raise SessionStartsSpentError(
            f"Discord allows only {info.remaining} more session starts for this bot today "
            f"(of {info.total}; the budget resets in {hours:.1f} hours), and starting "
            f"{starting} shard(s) would leave fewer than {SESSION_START_RESERVE}. Going over "
            "makes Discord reset the bot's token. Something has been restarting the bot in a "
            "loop: stop it, and start the bot again once the budget has reset."
        )
