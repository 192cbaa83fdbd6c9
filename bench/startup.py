"""Start-up: from process start to a command answered.

`python -m bot` is spawned as `make run` would start it, pointed at a loopback Discord in
this process, with a fresh database (so migrations run and commands are synced, as on a
first start). The clock runs from just before the spawn until the fake holds the answer to
a `/decks list`, invoked as soon as the command is registered and the bot connected. The
baseline is a bare discord.py bot process (`python -m bench._barebot`) with a `/decks list`
that answers a constant, timed the same way. Configurations take turns, repeat by repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench._common import REPO, Report, Table, median, ratio, secs, times
from bench.decks import write_decks
from tests.fakediscord import FakeDiscord
from tests.harness import SHIPPED_DECKS

NAME = "startup"
TIMEOUT = 120.0


@dataclass
class Config:
    key: str
    label: str
    module: str
    decks: Path | None


@dataclass
class Start:
    synced: float  # commands registered
    connected: float  # gateway session ready
    answered: float  # the /decks list answer is in


async def _start_once(config: Config, workdir: Path) -> Start:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Study Hall")
        channel = fake.add_text_channel(guild.id, "study")
        member = fake.add_member(guild.id, "alice")
        api_base, gateway_url = fake.endpoint_urls()
        env = {
            **{k: v for k, v in os.environ.items() if k != "DEV_GUILD_ID"},
            "DISCORD_TOKEN": fake.token,
            "DATABASE_URL": f"sqlite:///{workdir / 'startup.sqlite3'}",
            "DISCORD_API_BASE": api_base,
            "DISCORD_GATEWAY_URL": gateway_url,
            "PYTHONPATH": str(REPO),
        }
        if config.decks is not None:
            env["DECKS_DIR"] = str(config.decks)
        log = (workdir / f"{config.key}.log").open("wb")
        loop = asyncio.get_running_loop()
        began = loop.time()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", config.module, cwd=workdir, env=env, stdout=log, stderr=log
        )
        try:
            await fake.wait_commands_synced(scope=None, timeout=TIMEOUT)
            synced = loop.time() - began
            await fake.wait_until(lambda: fake.connected, TIMEOUT, "the bot to connect")
            connected = loop.time() - began
            it = await fake.invoke_slash("decks list", {}, user=member, channel=channel)
            await it.wait_response(timeout=TIMEOUT)
            answered = loop.time() - began
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
            log.close()
        _remove_database(workdir)
        return Start(synced, connected, answered)


def _remove_database(workdir: Path) -> None:
    """Each start gets a fresh database: migrations run and commands sync every time."""
    for path in workdir.glob("startup.sqlite3*"):
        path.unlink()


async def _measure(configs: list[Config], repeats: int, workdir: Path) -> dict[str, list[Start]]:
    results: dict[str, list[Start]] = {config.key: [] for config in configs}
    for number in range(repeats):
        order = configs if number % 2 == 0 else configs[::-1]
        for config in order:
            results[config.key].append(await _start_once(config, workdir))
    return results


def run(quick: bool) -> Report:
    repeats, cards = (1, 5_000) if quick else (3, 5_000)
    report = Report(
        name=NAME,
        title="Start-up: process start to a command answered",
        command=f"python -m bench startup{' --quick' if quick else ''}",
        sizes={"repeats": repeats, "cards per generated deck": cards},
    )
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        workdir = Path(tmp)
        big = workdir / "decks"
        big.mkdir()
        write_decks(big, 10, cards)
        configs = [
            Config("bare", "bare discord.py bot", "bench._barebot", None),
            Config("shipped", "quiz bot, shipped decks", "bot", SHIPPED_DECKS),
            Config("ten", f"quiz bot, ten {cards:,}-card decks", "bot", big),
        ]
        results = asyncio.run(_measure(configs, repeats, workdir))
    answered = {key: median([s.answered for s in starts]) for key, starts in results.items()}
    rows = []
    for config in configs:
        starts = results[config.key]
        rows.append(
            [
                config.label,
                secs(median([s.synced for s in starts])),
                secs(median([s.connected for s in starts])),
                secs(answered[config.key]),
                times(ratio(answered[config.key], answered["bare"])),
                times(ratio(answered[config.key], answered["shipped"]))
                if config.key != "bare"
                else "",
            ]
        )
    report.tables.append(
        Table(
            f"Median of {repeats}; times from process start",
            [
                "process",
                "commands synced",
                "gateway ready",
                "`/decks list` answered",
                "vs bare",
                "vs shipped decks",
            ],
            rows,
        )
    )
    report.data = {key: [vars(start) for start in starts] for key, starts in results.items()} | {
        "answered_median": answered
    }
    return report
