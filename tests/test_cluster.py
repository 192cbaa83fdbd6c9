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


async def test_the_launcher_restarts_a_process_that_dies(fake: FakeDiscord, tmp_path: Path) -> None:
    guild = fake.add_guild("Study Hall")
    channel = fake.add_text_channel(guild.id, "study")
    member = fake.add_member(guild.id, "alice", permissions=discord.Permissions())
    launcher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "cluster",
        "--processes",
        "1",
        cwd=tmp_path,
        env={**_env(fake, tmp_path, fake.token), "LOG_LEVEL": "INFO"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    lines: list[str] = []
    started = asyncio.Queue[int]()

    async def read() -> None:
        assert launcher.stdout is not None
        async for raw in launcher.stdout:
            line = raw.decode()
            lines.append(line)
            if found := re.search(r"cluster 0 started \(pid (\d+)\)", line):
                started.put_nowait(int(found.group(1)))

    reader = asyncio.create_task(read())
    try:
        first = await asyncio.wait_for(started.get(), timeout=30)
        await fake.wait_ready(timeout=30)
        os.kill(first, signal.SIGKILL)
        second = await asyncio.wait_for(started.get(), timeout=30)
        assert second != first
        await fake.wait_ready(timeout=30, count=2)
        it = await fake.invoke_slash("decks list", {}, user=member, channel=channel)
        await it.wait_response(timeout=10)
        assert it.message is not None
    finally:
        launcher.send_signal(signal.SIGTERM)
        await asyncio.wait_for(launcher.wait(), timeout=40)
        await asyncio.wait_for(reader, timeout=10)
    log = "".join(lines)
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
    launcher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "cluster",
        "--processes",
        "2",
        cwd=tmp_path,
        env={
            **_env(fake, tmp_path, fake.token),
            "DATABASE_URL": empty_postgres,
            "SHARD_COUNT": "4",
            "LOG_LEVEL": "INFO",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    lines: list[str] = []
    started: dict[int, asyncio.Queue[int]] = {0: asyncio.Queue(), 1: asyncio.Queue()}

    async def read() -> None:
        assert launcher.stdout is not None
        async for raw in launcher.stdout:
            line = raw.decode(errors="replace")
            lines.append(line)
            if found := re.search(r"cluster (\d) started \(pid (\d+)\)", line):
                started[int(found.group(1))].put_nowait(int(found.group(2)))

    def sessions() -> dict[int, tuple[str, object]]:
        """Each connected shard's session id and connection."""
        return {s.shard[0]: (s.id, s.connection) for s in fake.gateway.shard_sessions()}

    reader = asyncio.create_task(read())
    children: list[int] = []
    try:
        children = [await asyncio.wait_for(started[i].get(), timeout=30) for i in (0, 1)]
        await fake.wait_shards_ready(range(4), timeout=60)
        assert sorted(fake.shard_identifies()) == [(shard, 4) for shard in range(4)]
        before = sessions()
        log = "".join(lines)
        assert "running shards 0, 2 of 4 (cluster 0 of 2)" in log, log
        assert "running shards 1, 3 of 4 (cluster 1 of 2)" in log, log
        # The second process (shards 1 and 3) dies; only its shards go, and come back.
        killed = children[1]
        os.kill(killed, signal.SIGKILL)
        await fake.wait_until(
            lambda: set(sessions()) == {0, 2}, timeout=10, what="shards 1 and 3 to go"
        )
        again = await asyncio.wait_for(started[1].get(), timeout=30)
        assert again != killed
        children.append(again)
        await fake.wait_shards_ready(range(4), timeout=60)
        after = sessions()
        assert {shard: after[shard] for shard in (0, 2)} == {
            shard: before[shard] for shard in (0, 2)
        }
        assert all(after[shard][0] != before[shard][0] for shard in (1, 3))
        assert sorted(fake.shard_identifies()[4:]) == [(1, 4), (3, 4)]
        assert started[0].empty()  # the first process was never restarted
    finally:
        launcher.send_signal(signal.SIGTERM)
        await asyncio.wait_for(launcher.wait(), timeout=60)
        await asyncio.wait_for(reader, timeout=10)
    log = "".join(lines)
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
