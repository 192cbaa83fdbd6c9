"""Several `python -m bot` processes on one PostgreSQL database, against the loopback
Discord: starting them with their shard settings, reading their logs, stopping or
killing them."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from datetime import UTC, datetime, time
from pathlib import Path

from bot.storage import Database
from tests.exts.test_process import _env
from tests.fakediscord import Channel, FakeDiscord, Guild

DECK = "aws-mla-c01-deployment"


class BotProcess:
    """One `python -m bot` process and everything it logged."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace"))

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def wait_log(self, text: str, timeout: float = 30.0) -> None:
        """Wait until the process has logged ``text``."""
        try:
            async with asyncio.timeout(timeout):
                while text not in self.log:
                    if self.process.returncode is not None:
                        raise AssertionError(f"{self.name} exited:\n{self.log}")
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"{self.name} never logged {text!r}:\n{self.log}") from None

    async def stop(self) -> int:
        """SIGTERM, and wait for the process to end; its exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=40)
        await asyncio.wait_for(self._reader, timeout=10)
        return code

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), timeout=10)
        await asyncio.wait_for(self._reader, timeout=10)


class Fleet:
    """The processes a test starts, all stopped at its end. Each is `python -m <module>`
    (`bot`; a bench may start a module that runs the bot with a setting of its own)."""

    def __init__(self, fake: FakeDiscord, tmp_path: Path, url: str, module: str = "bot") -> None:
        self.fake = fake
        self.tmp_path = tmp_path
        self.url = url
        self.module = module
        self.processes: list[BotProcess] = []

    async def start(self, name: str, **settings: str) -> BotProcess:
        env = {
            **_env(self.fake, self.tmp_path, self.fake.token),
            "DATABASE_URL": self.url,
            "LOG_LEVEL": "INFO",
            **settings,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            cwd=self.tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        started = BotProcess(name, process)
        self.processes.append(started)
        return started

    async def cluster(self, processes: int, shard_count: int, **settings: str) -> list[BotProcess]:
        """``processes`` processes splitting ``shard_count`` shards, started together."""
        return [
            await self.start(
                f"cluster {index}",
                SHARD_COUNT=str(shard_count),
                CLUSTER_COUNT=str(processes),
                CLUSTER_INDEX=str(index),
                **settings,
            )
            for index in range(processes)
        ]

    async def stop_all(self) -> None:
        for process in self.processes:
            with contextlib.suppress(TimeoutError, ProcessLookupError):
                await process.stop()


def assert_clean(process: BotProcess) -> None:
    assert process.process.returncode == 0, process.log
    assert "Traceback" not in process.log, process.log
    assert "stopped cleanly" in process.log


async def daily_server(
    fake: FakeDiscord, db: Database, name: str, shard: tuple[int, int], now: datetime
) -> tuple[Guild, Channel]:
    """A server on ``shard`` whose daily challenge is due now (its post time this minute)."""
    guild = fake.add_guild(name, shard=shard)
    channel = fake.add_text_channel(guild.id, "daily")
    await db.members.upsert_guild(guild.id, guild.name, now)
    await db.daily.save_schedule(
        guild_id=guild.id,
        channel_id=channel.id,
        post_time=time(now.hour, now.minute),
        timezone="UTC",
        deck_id=DECK,
        topic=None,
        role_id=None,
        reveal_after=None,
        next_post_at=now,
        reveal_by=now,
        updated_by=None,
        now=now,
    )
    return guild, channel


def utc_now() -> datetime:
    return datetime.now(UTC)
