"""What the slowest clicks of the latency bench ran into: `python -m bench.tail [rounds]`.

A diagnostic, not a benchmark (`make bench` does not run it). It plays the latency
bench's daily burst, all three bots, and records when the process was busy with something
other than one click: Python's garbage collections (by generation) and the bot's
live-count edits. Then
it lists, for each bot, what the slowest 2% of clicks overlapped, and how many
collections each bot's bursts set off.

It wraps a few of the bot's own methods to time them, so its latencies are a little
higher than the bench's; compare the bots within one run, as the bench does.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from bench import latency
from bench._common import ms, summary

SLOWEST_SHARE = 0.02
Interval = tuple[float, float]


class Busy:
    """Intervals of other work, on the event loop's clock (time.monotonic)."""

    def __init__(self) -> None:
        self.intervals: dict[str, list[Interval]] = defaultdict(list)
        self._gc_started = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.monotonic()
        else:
            self.intervals[f"gc{info['generation']}"].append((self._gc_started, time.monotonic()))

    def timed_async(
        self, kind: str, function: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return await function(*args, **kwargs)
            finally:
                self.intervals[kind].append((started, time.monotonic()))

        return timed

    def overlapping(self, start: float, end: float) -> list[str]:
        return sorted(
            kind
            for kind, spans in self.intervals.items()
            if any(begin < end and finish > start for begin, finish in spans)
        )

    def count_within(self, kind: str, windows: list[Interval]) -> int:
        return sum(
            1
            for begin, _ in self.intervals.get(kind, [])
            if any(start <= begin <= end for start, end in windows)
        )


def _instrument(busy: Busy) -> None:
    from bot.exts import replies

    gc.callbacks.append(busy.on_gc)
    # Every message edit the bot makes goes through replies.edit (looked up at each call):
    # in the daily burst, those are the live answer-count edits.
    replies.edit = busy.timed_async("live count", replies.edit)  # type: ignore[assignment]


def _burst_windows(clicks: list[tuple[float, float]]) -> list[Interval]:
    """Each click's span, from its dispatch to its shown result."""
    return [(start, start + latency) for start, latency in clicks]


def main(rounds: int) -> None:
    busy = Busy()
    _instrument(busy)
    latency.SCENARIOS = ("daily",)
    results = asyncio.run(latency._measure(200, rounds, postgres=False))
    print(f"daily burst, 200 clicks in 1 s, {rounds} rounds per bot\n")
    for kind in latency.KINDS:
        if not results[kind]["daily"]:
            continue  # the PostgreSQL half, which this diagnostic does not play
        clicks = [w for burst in results[kind]["daily"] for w in burst.windows]
        clicks.sort(key=lambda click: click[1], reverse=True)
        slowest = clicks[: max(1, int(len(clicks) * SLOWEST_SHARE))]
        hits: Counter[str] = Counter()
        for start, took in slowest:
            hits.update(busy.overlapping(start, start + took) or ["nothing recorded"])
        shape = summary([took for _, took in clicks])
        label = latency.LABELS[kind]
        print(f"{label}: {len(clicks)} clicks, p50 {ms(shape['p50'])}, p99 {ms(shape['p99'])}")
        print(f"  the slowest {len(slowest)} ({ms(slowest[-1][1])} and more) overlapped:")
        for what, count in hits.most_common():
            print(f"    {what:18s} {count}")
        windows = _burst_windows(clicks)
        for generation in ("gc0", "gc1"):
            inside = busy.count_within(generation, windows)
            print(f"  {generation} collections that started inside one of its clicks: {inside}")
        print()
    for generation, spans in sorted(busy.intervals.items()):
        if generation.startswith("gc"):
            pauses = summary([end - begin for begin, end in spans])
            print(f"{generation}: {len(spans)} in the run, median {ms(pauses['p50'])}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
