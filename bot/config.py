"""Settings, read from the environment (and a local `.env`) in one place.

Nothing here runs at import time: `load_settings()` is called by the launcher,
so tests build `Settings` directly and never need a dummy token.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.shards import ShardPlan

DEFAULT_DATABASE_URL = "sqlite:///data/quizbot.sqlite3"
DEFAULT_DECKS_DIR = "decks"
DEFAULT_DATABASE_WAIT = 60.0
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

MISSING_TOKEN_HELP = """\
DISCORD_TOKEN is not set, so the bot cannot log in to Discord.

The token is your bot's password. Create an application at
https://discord.com/developers/applications, open its "Bot" page, press
"Reset Token" and copy the token. Then put it in a file named .env next to
the Makefile (copy .env.example to start):

    DISCORD_TOKEN=your-token-here

and run `make run` again. To try the decks offline without Discord, run
`make practice`."""


class ConfigError(Exception):
    """A setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    discord_token: str | None = field(default=None, repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    # How long a start waits for a PostgreSQL server that does not answer yet (seconds).
    database_wait: float = DEFAULT_DATABASE_WAIT
    decks_dir: Path = Path(DEFAULT_DECKS_DIR)
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    # Where discord.py talks to Discord; only the test suite points these elsewhere.
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    # How many shards the bot has, and which of them this process runs.
    shards: ShardPlan = field(default_factory=ShardPlan)

    def require_token(self) -> str:
        if not self.discord_token:
            raise ConfigError(MISSING_TOKEN_HELP)
        return self.discord_token


def check_database_url(url: str) -> None:
    """Refuse, with the fix, a DATABASE_URL neither engine takes."""
    if url.startswith(POSTGRES_SCHEMES):
        if not url.split("://", 1)[1].strip("/"):
            raise ConfigError(f"DATABASE_URL {url!r} names no PostgreSQL server.")
        return
    database_path_from_url(url)


def database_path_from_url(url: str) -> Path:
    """Turn `sqlite:///relative.db` or `sqlite:////absolute.db` into a path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ConfigError(
            f"DATABASE_URL {url!r} is not supported: use sqlite:///data/quizbot.sqlite3 "
            "(relative to the working directory), sqlite:////var/lib/quizbot/bot.sqlite3 "
            "(four slashes for an absolute path), or postgresql://user:password@host:5432/"
            "database for PostgreSQL."
        )
    rest = url[len(prefix) :]
    if not rest or rest == "/":
        raise ConfigError(f"DATABASE_URL {url!r} names no database file.")
    return Path(rest)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a simple `.env` file: KEY=VALUE lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def settings_from_mapping(env: Mapping[str, str]) -> Settings:
    """Build settings from a mapping of environment variables."""

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    dev_guild_raw = get("DEV_GUILD_ID")
    dev_guild_id: int | None = None
    if dev_guild_raw is not None:
        if not dev_guild_raw.isdigit():
            raise ConfigError(
                f"DEV_GUILD_ID must be a server id (digits only), not {dev_guild_raw!r}. "
                "Enable Developer Mode in Discord, right-click the server and copy its id."
            )
        dev_guild_id = int(dev_guild_raw)

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in logging.getLevelNamesMapping():
        raise ConfigError(
            f"LOG_LEVEL {log_level!r} is not a log level: use DEBUG, INFO, WARNING or ERROR."
        )

    database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
    check_database_url(database_url)  # fail early with a clear message

    wait_raw = get("DATABASE_WAIT") or str(DEFAULT_DATABASE_WAIT)
    try:
        database_wait = float(wait_raw)
    except ValueError:
        database_wait = -1.0
    if not 0 <= database_wait <= 3600:
        raise ConfigError(
            f"DATABASE_WAIT must be a number of seconds from 0 to 3600, not {wait_raw!r}: "
            "how long a start waits for PostgreSQL to answer."
        )

    shards = shard_plan_from(get)
    if shards.clustered and database_url.startswith("sqlite:"):
        raise ConfigError(
            f"CLUSTER_COUNT={shards.cluster_count} runs the bot as several processes, and they "
            "must share one database: SQLite is a file only one process can serve. Set "
            "DATABASE_URL=postgresql://user:password@host/dbname for every process (copy the "
            "SQLite data over with `python -m bot db copy`), or run one process with "
            "CLUSTER_COUNT unset."
        )

    return Settings(
        discord_token=get("DISCORD_TOKEN"),
        database_url=database_url,
        database_wait=database_wait,
        decks_dir=Path(get("DECKS_DIR") or DEFAULT_DECKS_DIR),
        dev_guild_id=dev_guild_id,
        log_level=log_level,
        discord_api_base=get("DISCORD_API_BASE"),
        discord_gateway_url=get("DISCORD_GATEWAY_URL"),
        shards=shards,
    )


def _whole_number(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number (digits only), not {raw!r}.")
    return int(raw)


def shard_plan_from(get: Callable[[str], str | None]) -> ShardPlan:
    """SHARD_COUNT, CLUSTER_INDEX and CLUSTER_COUNT, checked together."""
    if get("SHARD_IDS") is not None:
        raise ConfigError(
            "SHARD_IDS is not a setting of this bot: each process runs the shards of its "
            "cluster instead. Set SHARD_COUNT, CLUSTER_COUNT (the number of processes) and "
            "CLUSTER_INDEX (0, 1, ... a different one for each process)."
        )
    shard_count = _whole_number("SHARD_COUNT", get("SHARD_COUNT"))
    cluster_index = _whole_number("CLUSTER_INDEX", get("CLUSTER_INDEX"))
    cluster_count = _whole_number("CLUSTER_COUNT", get("CLUSTER_COUNT"))
    if cluster_index is not None and cluster_count is None:
        raise ConfigError(
            "CLUSTER_INDEX is set but CLUSTER_COUNT is not: set CLUSTER_COUNT to the number "
            "of processes that share the shards (and SHARD_COUNT to the number of shards)."
        )
    plan = ShardPlan(
        shard_count=shard_count,
        cluster_index=cluster_index or 0,
        cluster_count=1 if cluster_count is None else cluster_count,
    )
    if cluster_count is not None and cluster_count > 1 and cluster_index is None:
        raise ConfigError(
            f"CLUSTER_COUNT={cluster_count} is set but CLUSTER_INDEX is not: give each "
            f"process its own CLUSTER_INDEX, 0 to {cluster_count - 1}."
        )
    problems = plan.problems()
    if problems:
        raise ConfigError(" ".join(problems))
    return plan


def load_settings(dotenv: Path | None = Path(".env")) -> Settings:
    """Read settings from the process environment, filling gaps from `.env`."""
    env: dict[str, str] = {}
    if dotenv is not None:
        env.update(read_dotenv(dotenv))
    # An empty variable in the environment counts as unset, so `.env` still fills it.
    env.update({key: value for key, value in os.environ.items() if value.strip()})
    return settings_from_mapping(env)
