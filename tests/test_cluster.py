"""`python -m bot cluster`: the processes' shard settings, refusals, and a restart."""

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
