"""Shared fixtures: a loopback Discord with a study server, and the bot running against it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import discord
import pytest

from bot.storage import Database
from bot.storage.postgres import where
from tests import engines
from tests.fakediscord import Channel, FakeDiscord, Guild, Member
from tests.harness import BotRunner, FakeClock, restored_endpoints

_POSTGRES_PROBLEM = pytest.StashKey[str | None]()
_LEFT_OUT = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "engines: run the module's database tests on SQLite and on PostgreSQL"
    )
    config.addinivalue_line("markers", "sqlite_only: a test of SQLite itself, in such a module")
    problem = engines.postgres_problem()
    config.stash[_POSTGRES_PROBLEM] = problem
    if problem is not None and engines.REQUIRE_POSTGRES:
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES=1, but PostgreSQL at {where(engines.TEST_DATABASE_URL)} does "
            f"not answer ({problem}). Start it, or set TEST_DATABASE_URL."
        )


def _skip_reason(config: pytest.Config) -> str | None:
    problem = config.stash[_POSTGRES_PROBLEM]
    if problem is None:
        return None
    return (
        f"PostgreSQL half skipped: no server answers at {where(engines.TEST_DATABASE_URL)} "
        f"({problem}); set TEST_DATABASE_URL, or REQUIRE_POSTGRES=1 to fail instead"
    )


def _needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and callspec.params.get("engine") == "postgres"
    return on_postgres or "empty_postgres" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server, the PostgreSQL half is left out, and said so once at the end."""
    if _skip_reason(config) is None:
        return
    left_out = [item for item in items if _needs_postgres(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _needs_postgres(item)]
    config.stash[_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reason = _skip_reason(terminalreporter.config)
    left_out = terminalreporter.config.stash.get(_LEFT_OUT, 0)
    if reason is not None and left_out:
        terminalreporter.write_line(f"{reason} ({left_out} tests left out)", yellow=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if _skip_reason(config) is not None:
        return []  # said once, at the end
    return [f"PostgreSQL half runs on {where(engines.TEST_DATABASE_URL)}"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test of a module marked `engines` that uses a database runs on both engines."""
    if (
        "engine" in metafunc.fixturenames
        and metafunc.definition.get_closest_marker("engines") is not None
        and metafunc.definition.get_closest_marker("sqlite_only") is None
    ):
        metafunc.parametrize("engine", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine of the test's database: SQLite unless the module runs on both."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_template(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database migrated once per run; each test's database is a copy of it."""
    reason = _skip_reason(request.config)
    if reason is not None:
        pytest.skip(reason)
    url = engines.create_database(prefix="quizbot_template")

    async def migrate() -> None:
        db = await Database.connect(url)
        await db.close()

    try:
        engines.in_thread(migrate)
        yield engines.database_name(url)
    finally:
        engines.drop_database(url)


@pytest.fixture
def bot_database(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Path | str]:
    """The test's database: an SQLite file path, or the URL of a fresh PostgreSQL database."""
    if engine == "sqlite":
        yield tmp_path / "bot.sqlite3"
        return
    template = request.getfixturevalue("postgres_template")
    for attempt in range(50):  # the template's last connection may still be closing
        try:
            url = engines.create_database(template=template)
            break
        except asyncpg.ObjectInUseError:
            if attempt == 49:
                raise
            time.sleep(0.05)
    try:
        yield url
    finally:
        engines.drop_database(url)


@dataclass
class StudyServer:
    guild: Guild
    channel: Channel
    admin: Member
    alice: Member
    bob: Member


@pytest.fixture
def _endpoints() -> Iterator[None]:
    with restored_endpoints():
        yield


@pytest.fixture
async def fake(_endpoints: None) -> AsyncIterator[FakeDiscord]:
    """The loopback Discord. A test fails if the bot sent anything Discord would refuse."""
    async with FakeDiscord() as server:
        yield server
        assert server.limit_violations == [], "the bot broke a Discord limit"
        assert server.unknown_routes == [], "the bot called a route the fake does not serve"


@pytest.fixture
def server(fake: FakeDiscord) -> StudyServer:
    guild = fake.add_guild("Study Hall")
    channel = fake.add_text_channel(guild.id, "study")
    admin = fake.add_member(guild.id, "admin", permissions=discord.Permissions(manage_guild=True))
    alice = fake.add_member(guild.id, "alice")
    bob = fake.add_member(guild.id, "bob")
    return StudyServer(guild, channel, admin, alice, bob)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def runner(
    fake: FakeDiscord, server: StudyServer, bot_database: Path | str, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    """The bot, built as `python -m bot` builds it, on a fresh database (an SQLite file,
    or PostgreSQL in a module that runs on both engines)."""
    bot_runner = BotRunner(fake, bot_database, clock=clock)
    await bot_runner.start()
    await fake.wait_commands_synced(scope=None)
    yield bot_runner
    await bot_runner.stop()


@pytest.fixture
def empty_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (from template0), dropped after."""
    reason = _skip_reason(request.config)
    if reason is not None:
        pytest.skip(reason)
    url = engines.create_database()
    try:
        yield url
    finally:
        engines.drop_database(url)
