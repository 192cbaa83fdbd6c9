"""Fixtures of the domain tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest


@pytest.fixture(params=["<+14>-14", "<-12>+12"], ids=["machine-utc+14", "machine-utc-12"])
def machine_clock_far_from_utc(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The machine's own clock set to UTC+14, then to UTC-12 (POSIX TZ strings), so code
    that used the machine's zone instead of a member's or a server's gets other dates."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
