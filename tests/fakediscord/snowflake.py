"""Timestamp-based snowflake ids, increasing like Discord's."""

import time

DISCORD_EPOCH_MS = 1_420_070_400_000
_WORKER_BITS = (1 << 17) | (1 << 12)  # worker 1, process 1: looks like a real id


class SnowflakeFactory:
    """Hands out strictly increasing snowflakes derived from the wall clock."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (millis << 22) | _WORKER_BITS
        # Several ids in the same millisecond must still increase.
        self._last = max(candidate, self._last + 1)
        return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """The next id whose server lands on ``shard_id`` of ``shard_count`` (a few ms ahead)."""
        snowflake = self.next()
        millis = snowflake >> 22
        while millis % shard_count != shard_id:
            millis += 1
        if millis != snowflake >> 22:
            snowflake = (millis << 22) | _WORKER_BITS
        self._last = snowflake
        return snowflake


def snowflake_time_ms(snowflake: int) -> int:
    """Unix milliseconds encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS
