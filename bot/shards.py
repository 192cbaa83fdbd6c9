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
    """Serialises one IDENTIFY bucket across every process of the bot."""

    def turn(self, bucket: int) -> AbstractAsyncContextManager[None]: ...


class LocalTurns:
    """One process alone: nothing to agree with anyone."""

    @contextlib.asynccontextmanager
    async def turn(self, bucket: int) -> AsyncIterator[None]:
        yield


class IdentifyTurns:
    """Waits, before each IDENTIFY, until its bucket's window since the last one passed."""

    def __init__(
        self,
        *,
        max_concurrency: int = 1,
        window: float = IDENTIFY_WINDOW,
        fleet: FleetTurns | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_concurrency = max(max_concurrency, 1)
        self.window = window
        self.fleet: FleetTurns = fleet or LocalTurns()
        self._clock = clock
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def bucket(self, shard_id: int) -> int:
        return shard_id % self.max_concurrency

    async def take(self, shard_id: int) -> None:
        """Return when ``shard_id`` may IDENTIFY; its bucket's clock starts now."""
        bucket = self.bucket(shard_id)
        lock = self._locks.setdefault(bucket, asyncio.Lock())
        async with lock, self.fleet.turn(bucket):
            last = self._last.get(bucket)
            if last is not None:
                wait = last + self.window - self._clock()
                if wait > 0:
                    log.debug("shard %s waits %.1f s for its IDENTIFY bucket", shard_id, wait)
                    await asyncio.sleep(wait)
            self._last[bucket] = self._clock()


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
