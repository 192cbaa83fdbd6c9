"""Timing what happens on the loopback Discord.

The fake runs in the benchmark's event loop and announces every change: to anyone, on its
notifier (a request served, an interaction answered or edited), and to the observers of the
one interaction that changed. Hooking those timestamps each change the moment the fake
applies it, with the same clock that stamps ``dispatched_at``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable

from tests.fakediscord import FakeDiscord, InteractionHandle

CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7


def on_change(fake: FakeDiscord, callback: Callable[[], None]) -> None:
    """Run ``callback`` right after every change the fake announces."""
    announce = fake.notifier.pulse

    def pulse() -> None:
        announce()
        callback()

    fake.notifier.pulse = pulse  # type: ignore[method-assign]


class ResultClock:
    """When each watched interaction first showed its member the result.

    A message or message update in the initial response shows it at once; a deferred reply
    shows it when filled; a deferred update when the bot first edits the message after it.
    Each interaction is looked at only when it changes, so a burst of hundreds pending
    costs the shared event loop no more per change than one.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, InteractionHandle] = {}
        self._ack_revision: dict[int, int] = {}
        self.shown_at: dict[int, float] = {}
        self.failed: dict[int, str] = {}
        self._all_done = asyncio.Event()
        self._all_done.set()

    def watch(self, handle: InteractionHandle) -> None:
        self._pending[handle.id] = handle
        self._all_done.clear()
        handle.observers.append(self._check)
        self._check(handle)  # it may have been answered already

    def _check(self, handle: InteractionHandle) -> None:
        if handle.id not in self._pending:
            return
        if handle.refusals:
            self.failed[handle.id] = "; ".join(handle.refusals)
        elif self._shown(handle):
            self.shown_at[handle.id] = self._loop.time()
        else:
            return
        del self._pending[handle.id]
        handle.observers.remove(self._check)
        if not self._pending:
            self._all_done.set()

    def _shown(self, handle: InteractionHandle) -> bool:
        kind = handle.response_type
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            return True
        if kind == DEFERRED_CHANNEL_MESSAGE:
            stored = handle._store.get(handle.original_id or 0)
            return stored is not None and not stored.loading
        if kind == DEFERRED_UPDATE:
            acked = self._ack_revision.setdefault(handle.id, handle.revision)
            return handle.revision > acked
        return False

    async def wait(self, timeout: float) -> bool:
        """Wait until every watched interaction is shown or refused; False on timeout."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._all_done.wait()
                return True
        return False

    def latency(self, handle: InteractionHandle) -> float | None:
        shown = self.shown_at.get(handle.id)
        return None if shown is None else shown - handle.dispatched_at


class RequestClock:
    """The instant the fake finished serving each REST request, in ``fake.requests`` order
    (NaN for those served before the clock was made)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self._loop = asyncio.get_running_loop()
        self._fake = fake
        self.stamps: list[float] = [math.nan] * len(fake.requests)
        on_change(fake, self._check)

    def _check(self) -> None:
        missing = len(self._fake.requests) - len(self.stamps)
        if missing > 0:
            self.stamps.extend([self._loop.time()] * missing)


# aiohttp's default; the kernel drops connection attempts beyond it.
_AIOHTTP_BACKLOG = 128


def widen_backlog(fake: FakeDiscord, backlog: int = 1024) -> None:
    """Let the fake accept a burst of new connections at once.

    The fake listens with aiohttp's backlog of 128. When 200 answers go out at the same
    instant, discord.py opens up to 200 new connections; the kernel drops the attempts past
    the backlog and each such client waits out TCP's one-second retransmission timeout.
    That second is the fake's, not the bot's (Discord's edge takes any burst), so the
    listening socket is given room; calling listen() again only changes its backlog.
    """
    runner = getattr(fake, "_runner", None)
    for site in getattr(runner, "sites", ()):
        sock = getattr(site, "_sock", None)
        if sock is not None and backlog > _AIOHTTP_BACKLOG:
            sock.listen(backlog)
