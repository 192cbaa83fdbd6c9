"""`python -m bot cluster --processes N`: N local processes that split the shards.

Each process is `python -m bot run` with SHARD_COUNT, CLUSTER_COUNT=N and its own
CLUSTER_INDEX in its environment, exactly what a host that runs one container per
cluster sets by hand. A process that dies is started again, after a pause that grows
while it keeps dying (1 s, 2 s, ... up to a minute). One that refuses to start (exit code
2: its settings, or Discord's session start budget) is not: the launcher stops them all
and says so. SIGTERM or Ctrl+C stops every process the way SIGTERM stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence

import aiohttp

from bot.config import ConfigError, Settings
from bot.launcher import setup_logging

log = logging.getLogger("bot.cluster")

DISCORD_API = "https://discord.com/api/v10"
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
# A process that ran this long before dying counts as healthy: its next restart is quick.
HEALTHY_RUN = 60.0
# Exit code of a process that refused to start; restarting would refuse again.
REFUSED = 2
STOP_TIMEOUT = 30.0


def cluster_environments(
    env: Mapping[str, str], *, shard_count: int, processes: int
) -> list[dict[str, str]]:
    """The environment of each process: the launcher's own, plus its cluster settings."""
    return [
        {
            **env,
            "SHARD_COUNT": str(shard_count),
            "CLUSTER_COUNT": str(processes),
            "CLUSTER_INDEX": str(index),
        }
        for index in range(processes)
    ]


def check_cluster_settings(settings: Settings, processes: int) -> None:
    """Refuse what cannot work before starting anything."""
    if processes < 1:
        raise ConfigError(f"--processes must be at least 1, not {processes}.")
    if settings.shards.clustered:
        raise ConfigError(
            "`python -m bot cluster` sets CLUSTER_INDEX and CLUSTER_COUNT for each process "
            "itself: unset them (keep SHARD_COUNT if you want a fixed number of shards)."
        )
    count = settings.shards.shard_count
    if count is not None and count < processes:
        raise ConfigError(
            f"SHARD_COUNT={count} is less than --processes {processes}: some processes "
            "would run no shard. Raise SHARD_COUNT or start fewer processes."
        )
    if processes > 1 and settings.database_url.startswith("sqlite:"):
        raise ConfigError(
            f"{processes} processes must share one database, and SQLite is a file only one "
            "process can serve. Set DATABASE_URL=postgresql://user:password@host/dbname "
            "(copy the SQLite data over with `python -m bot db copy`), or run "
            "`python -m bot cluster --processes 1`."
        )


async def recommended_shards(settings: Settings) -> int:
    """The shard count Discord recommends for the bot (``GET /gateway/bot``)."""
    base = (settings.discord_api_base or DISCORD_API).rstrip("/")
    headers = {"Authorization": f"Bot {settings.require_token()}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base}/gateway/bot", headers=headers) as response,
    ):
        if response.status == 401:
            raise ConfigError(
                "Discord refused the token in DISCORD_TOKEN. Open your application at "
                "https://discord.com/developers/applications, press Reset Token on its "
                "Bot page, and put the new token in .env."
            )
        response.raise_for_status()
        body = await response.json()
    return int(body["shards"])


class Supervisor:
    """Keeps one process per cluster running until told to stop."""

    def __init__(self, environments: Sequence[dict[str, str]], command: Sequence[str]) -> None:
        self.environments = environments
        self.command = list(command)
        self.stopping = asyncio.Event()
        self.exit_code = 0
        self.processes: dict[int, asyncio.subprocess.Process] = {}

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stop, signum)
        keepers = [
            asyncio.create_task(self._keep(index, env), name=f"cluster-{index}")
            for index, env in enumerate(self.environments)
        ]
        await self.stopping.wait()
        await self._terminate_all()
        for keeper in keepers:
            keeper.cancel()
        await asyncio.gather(*keepers, return_exceptions=True)
        log.info("all processes stopped")
        return self.exit_code

    def _stop(self, signum: int) -> None:
        log.info("received %s, stopping every process", signal.Signals(signum).name)
        self.stopping.set()

    async def _keep(self, index: int, env: dict[str, str]) -> None:
        delay = FIRST_RESTART_DELAY
        while not self.stopping.is_set():
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(*self.command, env=env)
            self.processes[index] = process
            log.info("cluster %d started (pid %d)", index, process.pid)
            code = await process.wait()
            if self.stopping.is_set():
                return
            if code == REFUSED:
                log.error(
                    "cluster %d refused to start (exit code %d; its log says why): not "
                    "restarting it, stopping the others",
                    index,
                    code,
                )
                self.exit_code = REFUSED
                self.stopping.set()
                return
            if time.monotonic() - started >= HEALTHY_RUN:
                delay = FIRST_RESTART_DELAY
            log.warning(
                "cluster %d (pid %d) exited with code %s; restarting it in %.0f s",
                index,
                process.pid,
                code,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self.stopping.wait()
            delay = min(delay * 2, MAX_RESTART_DELAY)

    async def _terminate_all(self) -> None:
        running = [p for p in self.processes.values() if p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await asyncio.gather(*(p.wait() for p in running))
        except TimeoutError:
            for process in running:
                if process.returncode is None:
                    log.warning("cluster pid %d did not stop in time: killing it", process.pid)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()


async def run_cluster(settings: Settings, processes: int) -> int:
    """Start ``processes`` local processes that share the shards; keep them running."""
    setup_logging(settings.log_level)
    check_cluster_settings(settings, processes)
    settings.require_token()
    shard_count = settings.shards.shard_count
    if shard_count is None:
        shard_count = max(await recommended_shards(settings), processes)
        log.info("Discord recommends %d shard(s); running %d", shard_count, shard_count)
    environments = cluster_environments(
        dict(os.environ), shard_count=shard_count, processes=processes
    )
    log.info("starting %d process(es) for %d shard(s)", processes, shard_count)
    supervisor = Supervisor(environments, [sys.executable, "-m", "bot", "run"])
    return await supervisor.run()
