"""A live round's question clicked by a crowd: the real bot against the storing bare bot.

Members click one question of a `/round` within one second (their clicks spread evenly
over it); the result is the private "locked in" reply. The baseline is the bare
discord.py bot that stores each click as one row with one aiosqlite INSERT before it
answers, clicked the same way on its own question (the latency benchmark's storing bot).
The bots take turns, round after round, in an order rotated each round. Also counted: the
edits of the question's answer count, against Discord's limit of 5 edits per 5 seconds
in a channel (enforced by the fake here: a 429 would show as a rate-limited request).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from typing import Any

from bench._common import Report, Table, Target, ms, ratio, summary, times
from bench.latency import (
    BURST_TIMEOUT,
    DAILY_SPREAD,
    WELL_INSIDE,
    WITHIN_STORING,
    Burst,
    RealArena,
    StoringArena,
    _collect,
    _dispatch,
    _pick,
    _round_world,
    _shipped_question,
    loopback_discords,
)

NAME = "rounds"
EDIT_ROUTE = "PATCH /channels/{channel_id}/messages/{message_id}"
EDIT_LIMIT, EDIT_WINDOW = 5, 5.0  # Discord's message edits per channel


def _locked_in(message: dict[str, Any]) -> bool:
    return str(message.get("content", "")).startswith("locked in: ")


class RoundArena(RealArena):
    async def round(self, world: Any, rng: random.Random) -> tuple[Burst, int, float]:
        """One question clicked by every member: the burst, the count edits it caused and
        the seconds from the first click to the last edit."""
        fake = self.fake
        await fake.sync_gateway()
        started = await fake.invoke_slash(
            "round start",
            {"questions": 1, "seconds": 120},
            user=world.admin,
            channel=world.channel,
        )
        await started.wait_final(timeout=30)
        question = await fake.wait_for_message(
            world.channel,
            lambda m: str((m.get("embeds") or [{}])[0].get("title", "")).startswith("Round ·"),
            timeout=30,
        )
        edits_before = self._edits(question)
        letters = _pick(rng, world.daily_members)
        clicks = [
            (question, letter, m) for letter, m in zip(letters, world.daily_members, strict=True)
        ]
        began = time.perf_counter()
        handles = await _dispatch(fake, self.clock, clicks, spread=DAILY_SPREAD)
        await self.clock.wait(BURST_TIMEOUT)
        burst = Burst()
        _collect(self.clock, handles, burst, _locked_in)
        assert self.runner.bot is not None
        cog: Any = self.runner.bot.get_cog("Rounds")
        await cog.live.idle()  # the trailing count edit, unmeasured
        took = time.perf_counter() - began
        edits = self._edits(question) - edits_before
        rows = self._rows(
            "SELECT user_id, COUNT(*) FROM answers WHERE session_id LIKE ? GROUP BY user_id",
            f"round:{started.id}:%",
        )
        expected = {m.id for m in world.daily_members}
        burst.stored_ok = {r[0] for r in rows} == expected and all(r[1] == 1 for r in rows)
        burst.stored_detail = f"{len(rows)} members stored of {len(expected)}"
        stop = await fake.invoke_slash("round stop", {}, user=world.admin, channel=world.channel)
        await stop.wait_final(timeout=30)
        return burst, edits, took

    def _edits(self, message: dict[str, Any]) -> int:
        return sum(
            1
            for r in self.fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
            if str(message["id"]) in r.path
        )


async def _measure(members: int, rounds: int) -> dict[str, Any]:
    rng = random.Random(20260302)
    bot_bursts: list[Burst] = []
    stored_bursts: list[Burst] = []
    edits: list[tuple[int, float]] = []
    limited = 0
    async with loopback_discords("bench-rounds-") as (tmp, fake):
        real_fake, stored_fake = [await fake() for _ in range(2)]
        for server in (real_fake, stored_fake):
            server.set_route_limit(EDIT_ROUTE, EDIT_LIMIT, EDIT_WINDOW)
        real = RoundArena(real_fake, tmp / "bot.sqlite3")
        stored = StoringArena(stored_fake, _shipped_question(), tmp / "stored.sqlite3")
        for number in range(rounds):
            order: list[RoundArena | StoringArena] = [real, stored]
            if number % 2:
                order.reverse()
            for arena in order:
                world = _round_world(arena.fake, number, members)
                await arena.start()
                try:
                    if isinstance(arena, RoundArena):
                        burst, made, took = await arena.round(world, rng)
                        bot_bursts.append(burst)
                        edits.append((made, took))
                    else:
                        stored_bursts.append(await arena.daily(world, rng))
                finally:
                    await arena.stop()
        limited = real_fake.rate_limited_count
    return {"bot": bot_bursts, "stored": stored_bursts, "edits": edits, "limited": limited}


def run(quick: bool) -> Report:
    members, rounds = (50, 1) if quick else (200, 5)
    results = asyncio.run(_measure(members, rounds))
    report = Report(
        name=NAME,
        title="A live round's question clicked by a crowd",
        command=f"python -m bench rounds{' --quick' if quick else ''}",
        sizes={"members per burst": members, "rounds per bot": rounds},
    )
    bot = summary([v for b in results["bot"] for v in b.latencies])
    base = summary([v for b in results["stored"] for v in b.latencies])
    p99_ratio = ratio(bot["p99"], base["p99"])
    report.data.update(
        {"bot": bot, "stored": base, "p99_ratio_vs_stored": p99_ratio, "edits": results["edits"]}
    )
    report.tables.append(
        Table(
            "Dispatch to the private reply",
            ["bot", "interactions", "p50", "p95", "p99", "max", "p99 vs storing"],
            [
                [
                    "quiz bot, /round",
                    f"{bot['n']:,}",
                    ms(bot["p50"]),
                    ms(bot["p95"]),
                    ms(bot["p99"]),
                    ms(bot["max"]),
                    times(p99_ratio),
                ],
                [
                    "bare + one aiosqlite INSERT",
                    f"{base['n']:,}",
                    ms(base["p50"]),
                    ms(base["p95"]),
                    ms(base["p99"]),
                    ms(base["max"]),
                    "1.00×",
                ],
            ],
        )  # fmt: skip
    )
    bursts = results["bot"]
    missing = sum(b.unanswered + len(b.refused) + b.odd_replies for b in bursts)
    allowed = [EDIT_LIMIT * math.ceil(took / EDIT_WINDOW) for _, took in results["edits"]]
    within = all(made <= cap for (made, _), cap in zip(results["edits"], allowed, strict=True))
    report.targets += [
        Target(
            f"p99 within {WITHIN_STORING}× the bare bot's that stores each click as one row",
            p99_ratio <= WITHIN_STORING,
            f"{ms(bot['p99'])} vs {ms(base['p99'])}: {times(p99_ratio)}",
        ),
        Target(
            f"every click answered well inside 3 s (slowest under {WELL_INSIDE:.0f} s)",
            missing == 0 and bot["max"] < WELL_INSIDE,
            f"slowest {ms(bot['max'])}, {missing} not answered with a result",
        ),
        Target(
            "every answer in the database exactly once",
            all(b.stored_ok for b in bursts),
            "; ".join(b.stored_detail for b in bursts),
        ),
        Target(
            f"answer-count edits within Discord's {EDIT_LIMIT} per {EDIT_WINDOW:.0f} s a channel",
            within and results["limited"] == 0,
            ", ".join(f"{made} edits in {took:.1f} s" for made, took in results["edits"])
            + f"; {results['limited']} requests rate limited",
        ),
    ]
    report.notes.append(
        f"{members} members click one question of a round within {DAILY_SPREAD:.0f} s; the "
        "storing bot's members click its posted question the same way. The count is edited "
        "at most once per 5 s: a leading edit at the first click and one trailing edit."
    )
    return report
