"""Settings come from the environment and `.env`, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    MISSING_TOKEN_HELP,
    ConfigError,
    Settings,
    database_path_from_url,
    load_settings,
    read_dotenv,
    settings_from_mapping,
    shard_plan_from,
)


def test_defaults() -> None:
    settings = settings_from_mapping({})
    assert settings.discord_token is None
    assert database_path_from_url(settings.database_url) == Path("data/quizbot.sqlite3")
    assert settings.decks_dir == Path("decks")
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"


def test_database_urls() -> None:
    assert database_path_from_url("sqlite:///data/x.db") == Path("data/x.db")
    assert database_path_from_url("sqlite:////var/lib/quizbot/bot.sqlite3") == Path(
        "/var/lib/quizbot/bot.sqlite3"
    )
    with pytest.raises(ConfigError, match="four slashes"):
        database_path_from_url("postgres://db/x")
    with pytest.raises(ConfigError, match="names no database file"):
        database_path_from_url("sqlite:///")


def test_postgres_urls_select_postgres_and_other_schemes_are_explained() -> None:
    for url in ("postgresql://bot:pw@db.example:5432/quiz", "postgres://bot@localhost/quiz"):
        assert settings_from_mapping({"DATABASE_URL": url}).database_url == url
    with pytest.raises(ConfigError, match="names no PostgreSQL server"):
        settings_from_mapping({"DATABASE_URL": "postgresql://"})
    with pytest.raises(ConfigError) as refused:
        settings_from_mapping({"DATABASE_URL": "mysql://bot@db/quiz"})
    assert "'mysql://bot@db/quiz' is not supported" in str(refused.value)
    assert "postgresql://user:password@host:5432/database" in str(refused.value)


def test_the_wait_for_postgres_is_a_number_of_seconds() -> None:
    assert settings_from_mapping({}).database_wait == 60
    assert settings_from_mapping({"DATABASE_WAIT": "2.5"}).database_wait == 2.5
    for bad in ("soon", "-1", "99999"):
        with pytest.raises(ConfigError, match="DATABASE_WAIT must be a number of seconds"):
            settings_from_mapping({"DATABASE_WAIT": bad})


def test_bad_values_are_explained() -> None:
    with pytest.raises(ConfigError, match="DEV_GUILD_ID must be a server id"):
        settings_from_mapping({"DEV_GUILD_ID": "my-server"})
    with pytest.raises(ConfigError, match="LOG_LEVEL 'LOUD'"):
        settings_from_mapping({"LOG_LEVEL": "loud"})
    assert settings_from_mapping({"DEV_GUILD_ID": " 123 "}).dev_guild_id == 123


def test_the_token_is_required_and_never_shown() -> None:
    with pytest.raises(ConfigError) as info:
        Settings().require_token()
    assert str(info.value) == MISSING_TOKEN_HELP
    settings = Settings(discord_token="secret-token-value")
    assert settings.require_token() == "secret-token-value"
    assert "secret-token-value" not in repr(settings)


def test_dotenv_parsing_and_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nDISCORD_TOKEN='from-file'\nexport LOG_LEVEL=debug\nDECKS_DIR=\"my decks\"\n"
        "not a setting\nDEV_GUILD_ID=42\n"
    )
    assert read_dotenv(dotenv)["DISCORD_TOKEN"] == "from-file"
    monkeypatch.setenv("DEV_GUILD_ID", "7")
    monkeypatch.setenv("DISCORD_TOKEN", "")
    settings = load_settings(dotenv)
    assert settings.discord_token == "from-file"  # an empty variable does not hide .env
    assert settings.dev_guild_id == 7  # the environment wins
    assert settings.log_level == "DEBUG"
    assert settings.decks_dir == Path("my decks")
    assert read_dotenv(tmp_path / "missing") == {}


def test_shards_default_to_one_process_running_all() -> None:
    plan = settings_from_mapping({}).shards
    assert (plan.shard_count, plan.cluster_index, plan.cluster_count) == (None, 0, 1)
    assert plan.shard_ids(4) == (0, 1, 2, 3)


def test_clusters_interleave_their_shards() -> None:
    env = {"SHARD_COUNT": "8", "CLUSTER_COUNT": "3", "CLUSTER_INDEX": "1"}
    # Several processes need PostgreSQL, which the settings check separately (below).
    plan = shard_plan_from(env.get)
    assert plan.shard_ids(8) == (1, 4, 7)
    every = [shard_plan_from({**env, "CLUSTER_INDEX": str(i)}.get) for i in range(3)]
    assert sorted(s for p in every for s in p.shard_ids(8)) == list(range(8))


@pytest.mark.parametrize(
    ("env", "advice"),
    [
        ({"CLUSTER_COUNT": "2", "CLUSTER_INDEX": "0"}, "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "4", "CLUSTER_COUNT": "2", "CLUSTER_INDEX": "2"}, "must be 0 to 1"),
        ({"SHARD_COUNT": "2", "CLUSTER_COUNT": "3", "CLUSTER_INDEX": "0"}, "Raise SHARD_COUNT"),
        ({"SHARD_COUNT": "4", "CLUSTER_INDEX": "1"}, "set CLUSTER_COUNT"),
        ({"SHARD_COUNT": "4", "CLUSTER_COUNT": "2"}, "its own CLUSTER_INDEX, 0 to 1"),
        ({"SHARD_COUNT": "0"}, "at least 1"),
        ({"SHARD_COUNT": "four"}, "whole number"),
        ({"CLUSTER_COUNT": "0"}, "CLUSTER_COUNT must be at least 1"),
        ({"SHARD_IDS": "0-3"}, "Set SHARD_COUNT, CLUSTER_COUNT"),
    ],
)
def test_shard_settings_that_cannot_work_are_refused(env: dict[str, str], advice: str) -> None:
    with pytest.raises(ConfigError, match=advice):
        settings_from_mapping({**env, "DATABASE_URL": "sqlite:///x.db"})


def test_several_processes_on_sqlite_are_refused() -> None:
    env = {"SHARD_COUNT": "4", "CLUSTER_COUNT": "2", "CLUSTER_INDEX": "0"}
    with pytest.raises(ConfigError, match="DATABASE_URL=postgresql://"):
        settings_from_mapping(env)


def test_several_processes_on_postgresql_are_accepted() -> None:
    env = {"SHARD_COUNT": "4", "CLUSTER_COUNT": "2", "CLUSTER_INDEX": "1"}
    settings = settings_from_mapping({**env, "DATABASE_URL": "postgresql://bot@db/quiz"})
    assert settings.shards.shard_ids(4) == (1, 3)
