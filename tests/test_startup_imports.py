"""Start-up does not import the drawing library: Pillow, and bot.charts that draws with
it, are imported on the first picture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.harness import REPO, SHIPPED_DECKS

# In a fresh interpreter: what `python -m bot` imports, then the bot built and its
# extensions loaded as `setup_hook` loads them, without connecting to Discord.
START_UP = """
import asyncio
import json
import sys

import bot.cli
from bot.client import walk_extensions
from bot.config import settings_from_mapping
from bot.launcher import build_bot
from bot.storage import Database


async def start(url, decks):
    settings = settings_from_mapping({"DATABASE_URL": url, "DECKS_DIR": decks})
    async with await Database.connect(settings.database_url) as db:
        async with build_bot(settings, db) as built:
            for extension in walk_extensions():
                await built.load_extension(extension)
            return {
                "cogs": sorted(built.cogs),
                "commands": sorted(c.name for c in built.tree.get_commands()),
                "pil": sorted(m for m in sys.modules if m == "PIL" or m.startswith("PIL.")),
                "charts": "bot.charts" in sys.modules,
            }


print(json.dumps(asyncio.run(start(sys.argv[1], sys.argv[2]))))
"""


def test_starting_the_bot_does_not_import_pillow(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            START_UP,
            f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            str(SHIPPED_DECKS),
        ],
        cwd=tmp_path,  # no developer's .env
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout.splitlines()[-1])
    # Start-up really ran: the pictures' commands are loaded and ready to serve.
    assert {"Stats", "Readiness"} <= set(started["cogs"])
    assert {"stats", "readiness"} <= set(started["commands"])
    assert started["pil"] == []
    assert not started["charts"]
