"""Driving `/round` against the loopback Discord on the fake clock.

The round's deadlines are served by the bot's timer loop; its sleeping is real but its
clock is not, so tests move the clock and then call `run_due()` (what the loop does when
it wakes) and wait for it to finish.
"""

from __future__ import annotations

from typing import Any, cast

from bot.exts.rounds._cog import Rounds
from bot.storage import Database
from bot.storage.rounds import Round
from tests import engines
from tests.fakediscord import Channel, FakeDiscord, InteractionHandle, Member
from tests.harness import BotRunner, FakeClock


def rounds_cog(runner: BotRunner) -> Rounds:
    assert runner.bot is not None
    cog = runner.bot.get_cog("Rounds")
    assert type(cog).__name__ == "Rounds"
    return cast(Rounds, cog)


def database(runner: BotRunner) -> Database:
    assert runner.db is not None
    return runner.db


async def run_due(runner: BotRunner) -> int:
    assert runner.bot is not None
    return await runner.bot.timers.run_due()


async def advance(runner: BotRunner, clock: FakeClock, seconds: float) -> int:
    clock.advance(seconds=seconds)
    return await run_due(runner)


async def start_round(
    fake: FakeDiscord, channel: Channel, user: Member, **options: Any
) -> InteractionHandle:
    it = await fake.invoke_slash("round start", options, user=user, channel=channel)
    return await it.wait_final()


async def current_round(runner: BotRunner, channel: Channel) -> Round:
    found = await database(runner).rounds.latest(channel.id)
    assert found is not None
    return found


def is_question(number: int) -> Any:
    def match(message: dict[str, Any]) -> bool:
        embeds = message.get("embeds") or []
        return bool(embeds) and str(embeds[0].get("title", "")).startswith(
            f"Round · question {number} of"
        )

    return match


def is_final(message: dict[str, Any]) -> bool:
    embeds = message.get("embeds") or []
    return bool(embeds) and embeds[0].get("title") == "Round over"


async def question(fake: FakeDiscord, channel: Channel, number: int) -> dict[str, Any]:
    return await fake.wait_for_message(channel, is_question(number))


def right_letter(found: Round, index: int) -> str:
    return "ABCD"[found.questions[index].correct_index]


def wrong_letter(found: Round, index: int) -> str:
    return next(x for x in "ABCD" if x != right_letter(found, index))


async def click(
    fake: FakeDiscord, message: dict[str, Any], label: str, user: Member
) -> InteractionHandle:
    it = await fake.click(message, label, user=user)
    return await it.wait_response()


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


def rows(runner: BotRunner, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return engines.rows(runner.database, sql, *params)
