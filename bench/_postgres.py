"""The PostgreSQL server the benchmarks' PostgreSQL half runs on.

`BENCH_DATABASE_URL` (default: the test server, postgresql://postgres@127.0.0.1:5432/postgres);
each benchmark makes fresh databases on it and drops them after. When no server answers,
that half is left out and the report says so.
"""

from __future__ import annotations

import os

from tests import engines


def postgres_server() -> tuple[str | None, str]:
    """The server's URL, or None and why it cannot be used."""
    url = os.environ.get("BENCH_DATABASE_URL") or engines.TEST_DATABASE_URL
    engines.TEST_DATABASE_URL = url  # where create_database and drop_database work
    problem = engines.postgres_problem()
    return (None, problem or "") if problem is not None else (url, "")


def create_database(prefix: str) -> str:
    return engines.create_database(prefix=prefix)


def drop_database(url: str) -> None:
    engines.drop_database(url)
