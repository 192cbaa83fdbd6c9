"""`python -m bot cluster`: the processes' shard settings, refusals, a restart, and two
processes on PostgreSQL splitting the shards."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import discord
import pytest

from bot.cluster import check_cluster_settings, cluster_environments
from bot.config import ConfigError, Settings, settings_from_mapping, shard_plan_from
from bot.domain.shards import ShardPlan
from tests.exts.test_process import _env
from tests.fakediscord import FakeDiscord
from tests.helpers.cli import run_bot_cli


def test_each_process_gets_its_cluster_and_together_they_run_every_shard() -> None:
    envs = cluster_environments({"DISCORD_TOKEN": "t"}, shard_count=8, processes=3)
    assert [e["CLUSTER_INDEX"] for e in envs] == ["0", "1", "2"]
    assert {(e["SHARD_COUNT"], e["CLUSTER_COUNT"], e["DISCORD_TOKEN"]) for e in envs} == {
        ("8", "3", "t")
    }
    shards = [s for env in envs for s in shard_plan_from(env.get).shard_ids(8)]
    assert sorted(shards) == list(range(8))


@pytest.mark.parametrize(
    ("args", "env", "advice"),
    [
        (["--processes", "2"], {}, "Set DATABASE_URL=postgresql://"),
        (["--processes", "0"], {}, "at least 1"),
        (["--processes", "3"], {"SHARD_COUNT": "2"}, "Raise SHARD_COUNT"),
    ],
)
def test_settings_that_cannot_work_are_refused_before_starting_anything(
    tmp_path: Path, args: list[str], env: dict[str, str], advice: str
) -> None:
    result = run_bot_cli(
        "cluster", *args, tmp_path=tmp_path, extra_env={"DISCORD_TOKEN": "x", **env}
    )
    assert result.returncode == 2, result.stderr
    assert advice in result.stderr
    assert "Traceback" not in result.stderr


def test_the_launcher_sets_the_cluster_settings_itself() -> None:
    # (Several processes need PostgreSQL; the settings here stand for such a host's.)
    settings = Settings(shards=ShardPlan(4, 1, 2))
    with pytest.raises(ConfigError, match="unset them"):
        check_cluster_settings(settings, 2)
    plan = settings_from_mapping({"CLUSTER_COUNT": "1", "CLUSTER_INDEX": "0"}).shards
    check_cluster_settings(Settings(shards=plan), 1)


class Launcher:
    """`python -m bot cluster --processes N` as a child: its log, and the pid of each
    process it starts, by cluster index, as it starts them."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._started: dict[int, asyncio.Queue[int]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, processes: int, *, cwd: Path, env: dict[str, str]) -> Launcher:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "cluster", "--processes", str(processes)),
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    def _queue(self, index: int) -> asyncio.Queue[int]:
        return self._started.setdefault(index, asyncio.Queue())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if found := re.search(r"cluster (\d+) started \(pid (\d+)\)", line):
                self._queue(int(found.group(1))).put_nowait(int(found.group(2)))

    async def started(self, index: int) -> int:
        """The pid of the next process started as cluster ``index``."""
        return await asyncio.wait_for(self._queue(index).get(), timeout=30)

    def restarts(self, index: int) -> int:
        """Processes started as cluster ``index`` and not yet taken by `started`."""
        return self._queue(index).qsize()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), timeout=60)
        await asyncio.wait_for(self._reader, timeout=10)


async def test_the_launcher_restarts_a_process_that_dies(fake: FakeDiscord, tmp_path: Path) -> None:
    guild = fake.add_guild("Study Hall")
    channel = fake.add_text_channel(guild.id, "study")
    member = fake.add_member(guild.id, "alice", permissions=discord.Permissions())
    launcher = await Launcher.start(
        1, cwd=tmp_path, env={**_env(fake, tmp_path, fake.token), "LOG_LEVEL": "INFO"}
    )
    try:
        first = await launcher.started(0)
        await fake.wait_ready(timeout=30)
        os.kill(first, signal.SIGKILL)
        second = await launcher.started(0)
        assert second != first
        await fake.wait_ready(timeout=30, count=2)
        it = await fake.invoke_slash("decks list", {}, user=member, channel=channel)
        await it.wait_response(timeout=10)
        assert it.message is not None
    finally:
        await launcher.stop()
    log = launcher.log
    assert launcher.returncode == 0, log
    assert "cluster 0 (pid" in log and "exited with code -9; restarting it" in log
    assert "running shards 0 of 1 (cluster 0 of 1)" in log
    assert "stopped cleanly" in log
    assert "all processes stopped" in log
    assert "Traceback" not in log


async def test_two_processes_on_postgresql_split_the_shards_and_one_killed_comes_back(
    fake: FakeDiscord, tmp_path: Path, empty_postgres: str
) -> None:
    fake.set_session_start_limit(max_concurrency=4)
    env = {
        **_env(fake, tmp_path, fake.token),
        "DATABASE_URL": empty_postgres,
        "SHARD_COUNT": "4",
        "LOG_LEVEL": "INFO",
    }
    launcher = await Launcher.start(2, cwd=tmp_path, env=env)

    def sessions() -> dict[int, tuple[str, object]]:
        """Each connected shard's session id and connection."""
        return {s.shard[0]: (s.id, s.connection) for s in fake.gateway.shard_sessions()}

    children: list[int] = []
    try:
        children = [await launcher.started(i) for i in (0, 1)]
        await fake.wait_shards_ready(range(4), timeout=60)
        assert sorted(fake.shard_identifies()) == [(shard, 4) for shard in range(4)]
        before = sessions()
        log = launcher.log
        assert "running shards 0, 2 of 4 (cluster 0 of 2)" in log, log
        assert "running shards 1, 3 of 4 (cluster 1 of 2)" in log, log
        # The second process (shards 1 and 3) dies; only its shards go, and come back.
        killed = children[1]
        os.kill(killed, signal.SIGKILL)
        await fake.wait_until(
            lambda: set(sessions()) == {0, 2}, timeout=10, what="shards 1 and 3 to go"
        )
        again = await launcher.started(1)
        assert again != killed
        children.append(again)
        await fake.wait_shards_ready(range(4), timeout=60)
        after = sessions()
        assert {shard: after[shard] for shard in (0, 2)} == {
            shard: before[shard] for shard in (0, 2)
        }
        assert all(after[shard][0] != before[shard][0] for shard in (1, 3))
        assert sorted(fake.shard_identifies()[4:]) == [(1, 4), (3, 4)]
        assert launcher.restarts(0) == 0  # the first process was never restarted
    finally:
        await launcher.stop()
    log = launcher.log
    assert launcher.returncode == 0, log
    assert f"cluster 1 (pid {killed}) exited with code -9; restarting it" in log
    assert log.count("exited with code") == 1, log  # no other process died
    assert log.count("stopped cleanly") == 2, log  # the first process and the restarted one
    assert "all processes stopped" in log
    assert "Traceback" not in log
    # Every child has exited: none is left running.
    for pid in children:
        assert _gone(pid), pid
    await fake.wait_disconnected(timeout=10)


def _gone(pid: int) -> bool:
    """The process has exited (reaped, or a zombie waiting to be)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True
