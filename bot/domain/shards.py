"""Which shard a server belongs to, and which shards one process of a fleet runs.

Discord routes a server's events to shard ``(guild_id >> 22) % shard_count`` (DMs to
shard 0). A fleet of processes ("clusters") splits the shards between them, interleaved
like Pokétwo's: cluster ``i`` of ``n`` runs ``range(i, shard_count, n)``. Interleaving
keeps the clusters the same size, needs no list per process, and matches Discord's
IDENTIFY buckets (``shard_id % max_concurrency``): with as many clusters as buckets, each
cluster identifies in a bucket of its own, so a whole fleet can start in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass

# Discord: a shard may hold at most 2,500 servers.
MAX_SERVERS_PER_SHARD = 2500


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to."""
    return (guild_id >> 22) % shard_count


def cluster_shards(cluster_index: int, cluster_count: int, shard_count: int) -> tuple[int, ...]:
    """The shards cluster ``cluster_index`` of ``cluster_count`` runs."""
    return tuple(range(cluster_index, shard_count, cluster_count))


@dataclass(frozen=True)
class ShardScope:
    """Some of the shards of a bot: the servers one process of a fleet looks after."""

    shard_count: int
    shard_ids: tuple[int, ...]

    def owns(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.shard_count) in self.shard_ids


@dataclass(frozen=True)
class ShardPlan:
    """How many shards the bot has and which of them this process runs.

    ``shard_count`` None: ask Discord's recommendation at start-up. ``cluster_count`` 1 (the
    default): this process runs every shard.
    """

    shard_count: int | None = None
    cluster_index: int = 0
    cluster_count: int = 1

    @property
    def clustered(self) -> bool:
        return self.cluster_count > 1

    def shard_ids(self, shard_count: int) -> tuple[int, ...]:
        """This process's shards, once the shard count is known."""
        return cluster_shards(self.cluster_index, self.cluster_count, shard_count)

    def problems(self) -> list[str]:
        """Why these settings cannot work, each with how to fix it; empty when they can."""
        found: list[str] = []
        if self.shard_count is not None and self.shard_count < 1:
            found.append(f"SHARD_COUNT must be at least 1, not {self.shard_count}.")
        if self.cluster_count < 1:
            found.append(f"CLUSTER_COUNT must be at least 1, not {self.cluster_count}.")
            return found
        if not 0 <= self.cluster_index < self.cluster_count:
            found.append(
                f"CLUSTER_INDEX {self.cluster_index} is out of range: with CLUSTER_COUNT="
                f"{self.cluster_count} it must be 0 to {self.cluster_count - 1}, a different "
                "one for each process."
            )
        if self.clustered and self.shard_count is None:
            found.append(
                f"CLUSTER_COUNT={self.cluster_count} needs SHARD_COUNT: every process must "
                "agree on the number of shards, so set the same SHARD_COUNT for all of them "
                "(at least one shard per 1,000 servers, and at least CLUSTER_COUNT)."
            )
        elif self.shard_count is not None and self.cluster_count > self.shard_count >= 1:
            found.append(
                f"CLUSTER_COUNT={self.cluster_count} is more than SHARD_COUNT="
                f"{self.shard_count}: some processes would run no shard. Raise SHARD_COUNT or "
                "lower CLUSTER_COUNT."
            )
        return found
