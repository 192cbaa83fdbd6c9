"""`python -m bot` as a real process against the loopback Discord API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import REPO, SHIPPED_DECKS


def _env(fake: FakeDiscord, tmp_path: Path, token: str) -> dict[str, str]:
    api_base, gateway_url = fake.endpoint_urls()
    return {
        **{k: v for k, v in os.environ.items() if k != "DEV_GUILD_ID"},
        "DISCORD_TOKEN": token,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'process.sqlite3'}",
        "DECKS_DIR": str(SHIPPED_DECKS),
        "DISCORD_API_BASE": api_base,
        "DISCORD_GATEWAY_URL": gateway_url,
        "LOG_LEVEL": "DEBUG",
        "PYTHONPATH": str(REPO),
    }


async def test_a_refused_token_is_explained(fake: FakeDiscord, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=_env(fake, tmp_path, "not-the-right-token"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    log = output.decode()
    assert process.returncode == 2, log
    assert "error: Discord refused the token in DISCORD_TOKEN." in log
    assert "not-the-right-token" not in log
    assert "Traceback" not in log


async def test_the_process_serves_commands_and_stops_cleanly_on_sigterm(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path
) -> None:
    env = _env(fake, tmp_path, fake.token)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await fake.wait_ready(timeout=30)
        await fake.wait_commands_synced(scope=None, timeout=30)
        it = await fake.invoke_slash("decks list", {}, user=server.alice, channel=server.channel)
        await it.wait_response()
        assert it.message["embeds"][0]["title"] == "Flashcard decks"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "received SIGTERM, shutting down" in log
    assert "stopped cleanly" in log
    assert fake.token not in log  # not even at DEBUG level
    assert "Traceback" not in log
    assert "voice will NOT be supported" not in log  # a text-only bot needs no voice
