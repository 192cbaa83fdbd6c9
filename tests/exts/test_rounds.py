"""/round end to end: the real bot and discord.py against the loopback Discord, on a fake
clock. Tests move the clock and serve the due deadlines themselves (`advance`)."""

from __future__ import annotations

from typing import Any

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner, FakeClock
from tests.helpers.rounds import (
    advance,
    click,
    current_round,
    fields,
    is_final,
    question,
    right_letter,
    rows,
    run_due,
    start_round,
    wrong_letter,
)


async def test_a_full_round_with_three_members(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    carol = fake.add_member(server.guild.id, "carol")
    await fake.sync_gateway()
    alice, bob = server.alice, server.bob
    started = await start_round(fake, server.channel, alice, questions=2, seconds=20)
    assert started.message is not None and not started.ephemeral
    assert started.message["content"].startswith("**Round!**")
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    right, wrong = right_letter(found, 0), wrong_letter(found, 0)
    assert [c["label"] for c in first["components"][0]["components"]] == ["A", "B", "C", "D"]
    assert "<t:" in fields(first)["Time"]

    clock.advance(seconds=2)
    locked = await click(fake, first, right, alice)
    assert locked.ephemeral and locked.message is not None
    assert locked.message["content"] == f"locked in: {right}"
    again = await click(fake, first, wrong, alice)
    assert again.message is not None and again.ephemeral
    assert again.message["content"].startswith(f"You already answered this question: {right}.")
    clock.advance(seconds=1)
    await click(fake, first, wrong, bob)
    clock.advance(seconds=1)
    await click(fake, first, right, carol)

    await advance(runner, clock, 16)  # 20 s after the question was shown
    shown = fake.message(int(first["id"]))
    assert shown is not None
    assert fields(shown)["Results"] == "3 members answered · 67% right"
    assert fields(shown)["First right"] == (f"🥇 <@{alice.id}> · 2.0 s\n🥈 <@{carol.id}> · 4.0 s")
    assert fields(shown)["Answer"].startswith(f"**{right}. ")
    late = await fake.forge_click(shown, f"round:{found.id}:0:a", user=carol)
    await late.wait_response()
    assert late.message is not None and "closed" in late.message["content"]

    await advance(runner, clock, 3)  # the pause, then the next question
    second = await question(fake, server.channel, 2)
    right2, wrong2 = right_letter(found, 1), wrong_letter(found, 1)
    clock.advance(seconds=1)
    await click(fake, second, right2, bob)  # fastest: 2 points
    clock.advance(seconds=1)
    await click(fake, second, right2, alice)
    await click(fake, second, wrong2, carol)  # everyone has answered: revealed at once
    await run_due(runner)
    final = await fake.wait_for_message(server.channel, is_final)
    board = fields(final)["Scoreboard"].splitlines()
    assert board == [
        f"**1.** <@{alice.id}> · 3 points · 2 right · avg 2.0 s",
        f"**2.** <@{bob.id}> · 2 points · 1 right · avg 1.0 s",
        f"**3.** <@{carol.id}> · 1 point · 1 right · avg 4.0 s",
    ]
    assert fields(final)["Winner"] == f"🏆 <@{alice.id}> with 3 points!"
    assert [c["label"] for c in final["components"][0]["components"]] == ["Play again"]

    # Each answer stored once, into the points and the spaced repetition.
    assert rows(runner, "SELECT COUNT(*) FROM answers WHERE session_id LIKE 'round:%'") == [(6,)]
    assert rows(runner, "SELECT COUNT(*) FROM review_log") == [(6,)]
    totals = dict(rows(runner, "SELECT user_id, points FROM season_totals"))
    assert totals == {alice.id: 3, bob.id: 2, carol.id: 1}
    board_it = await fake.invoke_slash("leaderboard", {}, user=bob, channel=server.channel)
    await board_it.wait_final()
    assert board_it.message is not None
    text: Any = board_it.message["embeds"][0]["description"]
    assert text.splitlines()[0] == "**1.** alice — 3 points"
    stats = await fake.invoke_slash("stats", {}, user=alice, channel=server.channel)
    await stats.wait_final()
    assert stats.message is not None
    assert fields(stats.message)["Rounds"] == "1 played · 1 won"
