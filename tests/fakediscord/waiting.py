"""Event-driven waiting on the fake's state, so tests never poll with sleeps."""

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


# Conditions may also involve the bot's own state, which never pulses: re-check this often.
POLL_INTERVAL = 0.02


class ChangeNotifier:
    """Wakes every waiter whenever anything in the fake changes."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self.version = 0

    def pulse(self) -> None:
        self.version += 1
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """Return the first non-None ``probe()`` result, re-checking after each change."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    result = probe()
                    if result is not None:
                        return result
                    if self._event is None:
                        self._event = asyncio.Event()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(POLL_INTERVAL):
                            await self._event.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None

    async def wait_quiet(self, revision: Callable[[], int], quiet: float, timeout: float) -> None:
        """Wait until ``revision()`` stays unchanged for ``quiet`` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                before = revision()
                await asyncio.sleep(quiet)
                if revision() == before:
                    return
