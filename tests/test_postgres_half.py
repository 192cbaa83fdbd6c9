"""`make test` without a PostgreSQL server: the PostgreSQL half is left out and one line
says so; with REQUIRE_POSTGRES=1 the run fails instead. Run in a child pytest against a
port where nothing listens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOBODY = "postgresql://postgres@127.0.0.1:9/postgres"  # the discard port: nothing answers

PROBE = """import pytest

pytestmark = pytest.mark.engines


def test_on_an_engine(engine: str) -> None:
    assert engine in ("sqlite", "postgres")
"""


def child_pytest(tmp_path: Path, *, require: bool) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = {**os.environ, "TEST_DATABASE_URL": NOBODY, "REQUIRE_POSTGRES": "1" if require else ""}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider"]
        + ["--rootdir", str(tmp_path), str(probe)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_server_the_postgres_half_is_left_out_and_said_once(tmp_path: Path) -> None:
    done = child_pytest(tmp_path, require=False)
    assert done.returncode == 0, done.stdout + done.stderr
    said = [line for line in done.stdout.splitlines() if "PostgreSQL half skipped" in line]
    assert len(said) == 1
    assert "127.0.0.1:9" in said[0] and "(1 tests left out)" in said[0]
    assert "1 passed, 1 deselected" in done.stdout


def test_with_require_postgres_the_run_fails_and_says_why(tmp_path: Path) -> None:
    done = child_pytest(tmp_path, require=True)
    assert done.returncode != 0
    assert "REQUIRE_POSTGRES=1, but PostgreSQL at" in done.stdout + done.stderr
    assert "passed" not in done.stdout
