"""/round end to end: the real bot and discord.py against the loopback Discord, on a fake
clock. Tests move the clock and serve the due deadlines themselves (`advance`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import yaml

from bot.domain.rounds import EndReason, hint
from bot.storage.rounds import Round
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import SHIPPED_DECKS, BotRunner, FakeClock, runner_with_decks
from tests.helpers.quiz import SMALL_DECK, options_of
from tests.helpers.rounds import (
    advance,
    click,
    current_round,
    database,
    fields,
    is_final,
    is_question,
    question,
    right_letter,
    rounds_cog,
    rows,
    run_due,
    start_round,
    wrong_letter,
)

pytestmark = pytest.mark.engines


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


async def test_the_question_is_revealed_early_once_every_player_answered(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice, bob = server.alice, server.bob
    await start_round(fake, server.channel, alice, questions=3, seconds=30)
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    await click(fake, first, right_letter(found, 0), alice)
    await run_due(runner)
    assert "Results" not in fields(_now(fake, first)), "the first question runs its time"
    await click(fake, first, wrong_letter(found, 0), bob)
    await advance(runner, clock, 30)
    await advance(runner, clock, 3)
    second = await question(fake, server.channel, 2)
    status = await slash(fake, "round status", server.channel, bob)
    assert status.ephemeral and status.message is not None
    assert status.message["embeds"][0]["description"] == (
        f"Question 2 of 3 · started by <@{alice.id}> · 30 s per question"
    )
    assert fields(status.message)["Scores"] == (
        f"**1.** <@{alice.id}> · 2 points · 1 right · avg 0.0 s\n"
        f"**2.** <@{bob.id}> · 0 points · 0 right"
    )
    await click(fake, second, right_letter(found, 1), bob)
    await run_due(runner)
    assert "Results" not in fields(_now(fake, second)), "alice has not answered yet"
    await click(fake, second, right_letter(found, 1), alice)
    await run_due(runner)  # no time passed: everyone who plays has answered
    assert fields(_now(fake, second))["Results"] == "2 members answered · 100% right"
    await advance(runner, clock, 3)
    await question(fake, server.channel, 3)


async def test_a_member_who_joins_late_does_not_hold_the_early_reveal_back(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice, bob = server.alice, server.bob
    carol = fake.add_member(server.guild.id, "carol")
    await fake.sync_gateway()
    await start_round(fake, server.channel, alice, questions=3, seconds=30)
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    await click(fake, first, right_letter(found, 0), alice)
    await click(fake, first, right_letter(found, 0), bob)
    await run_due(runner)
    assert "Results" not in fields(_now(fake, first)), "the first question runs its time"
    await advance(runner, clock, 30)
    await advance(runner, clock, 3)
    second = await question(fake, server.channel, 2)
    await click(fake, second, right_letter(found, 1), carol)  # new: nobody waits for her
    await click(fake, second, right_letter(found, 1), bob)
    await run_due(runner)
    assert "Results" not in fields(_now(fake, second)), "alice has not answered yet"
    await click(fake, second, wrong_letter(found, 1), alice)
    await run_due(runner)  # no time passed: everyone who played before has answered
    assert fields(_now(fake, second))["Results"] == "3 members answered · 67% right"
    await advance(runner, clock, 3)
    third = await question(fake, server.channel, 3)
    for member in (alice, bob):
        await click(fake, third, right_letter(found, 2), member)
    await run_due(runner)
    assert "Results" not in fields(_now(fake, third)), "carol played question 2"
    await click(fake, third, right_letter(found, 2), carol)
    await run_due(runner)
    assert fields(_now(fake, third))["Results"] == "3 members answered · 100% right"


def _now(fake: FakeDiscord, message: dict[str, Any]) -> dict[str, Any]:
    shown = fake.message(int(message["id"]))
    assert shown is not None
    return shown


async def test_a_round_ends_after_two_questions_nobody_answered(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await start_round(fake, server.channel, server.alice, questions=5, seconds=10)
    first = await question(fake, server.channel, 1)
    await advance(runner, clock, 10)
    assert fields(_now(fake, first))["Results"] == "Nobody answered."
    await advance(runner, clock, 3)
    await question(fake, server.channel, 2)
    await advance(runner, clock, 10)
    final = await fake.wait_for_message(server.channel, is_final)
    assert final["embeds"][0]["description"] == (
        "Nobody answered two questions in a row, so the round ended."
    )
    assert fields(final)["Winner"] == "Nobody scored."
    await advance(runner, clock, 60)
    assert not [m for m in fake.messages(server.channel) if is_question(3)(m)]
    assert rows(runner, "SELECT state, end_reason FROM rounds") == [("finished", "unanswered")]
    assert rows(runner, "SELECT COUNT(*) FROM timers") == [(0,)]


async def test_stop_by_the_starter_or_a_moderator_and_refused_for_a_member(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    moderator = fake.add_member(
        server.guild.id, "mod", permissions=discord.Permissions(manage_messages=True)
    )
    await fake.sync_gateway()
    await start_round(fake, server.channel, server.alice, questions=5)
    first = await question(fake, server.channel, 1)
    await click(fake, first, "A", server.bob)

    refused = await slash(fake, "round stop", server.channel, server.bob)
    assert refused.ephemeral and refused.message is not None
    assert refused.message["content"] == (
        f"Only <@{server.alice.id}>, who started this round, or a member with Manage "
        "Messages in this channel can stop it."
    )
    assert rows(runner, "SELECT state FROM rounds") == [("running",)]

    stopped = await slash(fake, "round stop", server.channel, server.alice)
    assert stopped.message is not None and not stopped.ephemeral
    assert stopped.message["embeds"][0]["description"] == "The round was stopped."
    assert fields(_now(fake, first))["Round"] == "Stopped before this question was revealed."
    assert rows(runner, "SELECT state, ended_by FROM rounds") == [("stopped", server.alice.id)]
    assert rows(runner, "SELECT COUNT(*) FROM answers") == [(1,)], "answers are kept"
    status = await slash(fake, "round status", server.channel, server.bob)
    assert status.message is not None
    assert "The round was stopped." in status.message["embeds"][0]["description"]

    # A moderator stops someone else's round; Play again starts the same round anew.
    again = await fake.click(stopped.message, "Play again", user=server.bob)
    await again.wait_final()
    assert again.message is not None and again.message["content"].startswith("**Round!**")
    assert rows(runner, "SELECT COUNT(*) FROM rounds WHERE state = 'running'") == [(1,)]
    by_mod = await slash(fake, "round stop", server.channel, moderator)
    assert by_mod.message is not None and not by_mod.ephemeral
    assert rows(runner, "SELECT state, ended_by, requested FROM rounds ORDER BY id")[-1] == (
        "stopped",
        moderator.id,
        5,
    )
    nothing = await slash(fake, "round stop", server.channel, server.alice)
    assert nothing.message is not None
    assert nothing.message["content"] == "No round is running in this channel."


async def slash(fake: FakeDiscord, command: str, channel: Any, user: Any, **options: Any) -> Any:
    it = await fake.invoke_slash(command, options, user=user, channel=channel)
    return await it.wait_final()


async def test_one_round_per_channel_but_another_channel_may_play(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    other = fake.add_text_channel(server.guild.id, "other")
    await fake.sync_gateway()
    await start_round(fake, server.channel, server.alice)
    first = await question(fake, server.channel, 1)
    second = await start_round(fake, server.channel, server.bob)
    assert second.ephemeral and second.message is not None
    link = f"https://discord.com/channels/{server.guild.id}/{server.channel.id}/{first['id']}"
    assert link in second.message["content"]
    elsewhere = await start_round(fake, other, server.bob, mode="typed")
    assert elsewhere.message is not None and not elsewhere.ephemeral
    await question(fake, other, 1)
    assert rows(runner, "SELECT COUNT(*) FROM rounds WHERE state = 'running'") == [(2,)]


async def test_a_restart_in_the_middle_of_a_question_and_during_the_pause(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice, bob = server.alice, server.bob
    await start_round(fake, server.channel, alice, questions=3, seconds=20)
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    clock.advance(seconds=5)
    await click(fake, first, right_letter(found, 0), alice)
    await runner.stop()
    clock.advance(seconds=60)  # the question's time ran out while the bot was down
    await runner.start()
    reopened = await current_round(runner, server.channel)
    assert reopened.closes_at == clock.now + timedelta(seconds=10)
    assert f"<t:{int(reopened.closes_at.timestamp())}:R>" in fields(_now(fake, first))["Time"]
    again = await click(fake, first, wrong_letter(found, 0), alice)
    assert again.message is not None
    assert again.message["content"].startswith("You already answered this question")
    late = await click(fake, first, wrong_letter(found, 0), bob)
    assert late.message is not None and late.message["content"].startswith("locked in")
    await advance(runner, clock, 10)
    assert fields(_now(fake, first))["Results"] == "2 members answered · 50% right"

    await runner.restart()  # during the pause
    await advance(runner, clock, 3)
    await question(fake, server.channel, 2)
    await runner.restart()
    await run_due(runner)
    assert len([m for m in fake.messages(server.channel) if is_question(2)(m)]) == 1
    assert rows(runner, "SELECT COUNT(*) FROM answers") == [(2,)]
    assert rows(runner, "SELECT COUNT(*) FROM round_answers") == [(2,)]


async def test_typed_mode_with_the_hint(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    alice, bob = server.alice, server.bob
    await start_round(fake, server.channel, alice, questions=1, seconds=20, mode="typed")
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    back = found.questions[0].back
    assert [c["label"] for c in first["components"][0]["components"]] == ["Answer"]
    opened = await fake.click(first, "Answer", user=alice)
    await opened.wait_response()
    assert opened.modal is not None
    clock.advance(seconds=3)
    sent = await fake.submit_modal(opened, {"answer": back})
    await sent.wait_response()
    assert sent.ephemeral and sent.message is not None
    assert sent.message["content"].startswith("locked in: `")

    assert "Hint" not in fields(_now(fake, first))
    await advance(runner, clock, 7)  # half time
    assert fields(_now(fake, first))["Hint"] == f"`{hint(back)}`"
    opened = await fake.click(first, "Answer", user=bob)
    await opened.wait_response()
    wrong = await fake.submit_modal(opened, {"answer": "CloudWatch dashboards"})
    await wrong.wait_response()
    again = await fake.click(first, "Answer", user=alice)
    await again.wait_response()
    assert again.modal is None and again.message is not None
    assert again.message["content"].startswith("You already answered this question")
    await advance(runner, clock, 10)
    assert fields(_now(fake, first))["Results"] == "2 members answered · 50% right"
    assert rows(runner, "SELECT user_id, correct, points, mode FROM answers ORDER BY id") == [
        (alice.id, 1, 2, "typed"),
        (bob.id, 0, 0, "typed"),
    ]


async def test_a_deleted_channel_ends_the_round_and_keeps_its_answers(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    doomed = fake.add_text_channel(server.guild.id, "doomed")
    await fake.sync_gateway()
    await start_round(fake, doomed, server.alice, questions=5, seconds=10)
    first = await question(fake, doomed, 1)
    await click(fake, first, "A", server.bob)
    fake.delete_channel(doomed)
    await fake.sync_gateway()
    await advance(runner, clock, 30)
    assert rows(runner, "SELECT state, end_reason FROM rounds") == [("failed", "channel-deleted")]
    assert rows(runner, "SELECT COUNT(*) FROM answers") == [(1,)]
    assert rows(runner, "SELECT COUNT(*) FROM timers") == [(0,)]


async def test_a_deleted_message_or_a_lost_permission_ends_the_round(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await start_round(fake, server.channel, server.alice, questions=5, seconds=10)
    first = await question(fake, server.channel, 1)
    await click(fake, first, "A", server.bob)
    fake.delete_message(first)
    await advance(runner, clock, 10)
    assert rows(runner, "SELECT state, end_reason FROM rounds") == [("failed", "message-deleted")]
    status = await slash(fake, "round status", server.channel, server.bob)
    assert status.message is not None
    assert "its question message was deleted" in status.message["embeds"][0]["description"]

    await start_round(fake, server.channel, server.alice, questions=5, seconds=10)
    await advance(runner, clock, 10)
    fake.set_bot_channel_permissions(server.channel, discord.Permissions(view_channel=True))
    await fake.sync_gateway()
    await advance(runner, clock, 3)  # the next question cannot be posted
    assert rows(runner, "SELECT state, end_reason FROM rounds ORDER BY started_at")[-1] == (
        "failed",
        "no-permission",
    )
    refused = await start_round(fake, server.channel, server.alice)
    assert refused.message is not None and refused.ephemeral
    assert refused.message["content"].startswith(
        "I can't run a round here: I'm missing the Send Messages, Embed Links permissions"
    )


async def test_forged_input_is_refused_politely_with_nothing_stored(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    other = fake.add_text_channel(server.guild.id, "other")
    await fake.sync_gateway()
    await start_round(fake, server.channel, server.alice, questions=3)
    first = await question(fake, server.channel, 1)
    choice = await current_round(runner, server.channel)
    await start_round(fake, other, server.alice, questions=3, mode="typed")
    theirs = await question(fake, other, 1)
    typed = await current_round(runner, other)
    for custom_id in (
        f"round:{choice.id}:0:e",  # no such letter
        f"round:{choice.id}:1:a",  # a question not asked yet
        f"round:{choice.id + 1}:0:a",  # no such round
    ):
        it = await fake.forge_click(first, custom_id, user=server.bob)
        await it.wait_response()
        assert it.ephemeral and it.message is not None, custom_id
    # Forms are not on a message: each one is checked against the round it names.
    refusals = {
        f"round:{choice.id}:0:modal": f"That round is played in <#{server.channel.id}>, not "
        "here; nothing was stored.",
        f"round:{typed.id}:1:modal": "This question is closed; watch for the next one.",
        f"round:{typed.id}:0:a": "I don't know that form (any more). Run the command again "
        "for a fresh one.",
    }
    for custom_id, refusal in refusals.items():
        opened = await fake.click(theirs, "Answer", user=server.bob)
        await opened.wait_response()
        forged = await fake.submit_modal(
            opened, {"answer": "anything"}, forged=True, custom_id=custom_id
        )
        await forged.wait_response()
        assert forged.ephemeral and forged.message is not None
        assert forged.message["content"] == refusal, custom_id
    # A form opened for a typed round, sent to the multiple-choice round that followed it.
    third = fake.add_text_channel(server.guild.id, "third")
    await fake.sync_gateway()
    await start_round(fake, third, server.alice, mode="typed")
    opened = await fake.click(await question(fake, third, 1), "Answer", user=server.bob)
    await opened.wait_response()
    await slash(fake, "round stop", third, server.alice)
    await start_round(fake, third, server.alice)
    await fake.wait_for_message(
        third, lambda m: is_question(1)(m) and m["components"][0]["components"][0]["label"] == "A"
    )
    following = await current_round(runner, third)
    assert following.mode == "multiple-choice"
    forged = await fake.submit_modal(
        opened, {"answer": "A"}, forged=True, custom_id=f"round:{following.id}:0:modal"
    )
    await forged.wait_response()
    assert forged.message is not None
    assert forged.message["content"] == (
        "That is not how this question is answered; use its own buttons."
    )
    assert rows(runner, "SELECT COUNT(*) FROM answers") == [(0,)]
    assert rows(runner, "SELECT COUNT(*) FROM round_answers") == [(0,)]


async def test_300_members_click_one_question_within_a_second(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    members = [fake.add_member(server.guild.id, f"member{i}") for i in range(300)]
    await fake.sync_gateway()
    # Discord's limit on editing messages in one channel: 5 per 5 seconds.
    fake.set_route_limit("PATCH /channels/{channel_id}/messages/{message_id}", 5, 5.0)
    await start_round(fake, server.channel, server.alice, questions=2, seconds=60)
    first = await question(fake, server.channel, 1)
    edits_before = len(fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}"))
    clicks = [await fake.click(first, "ABCD"[i % 4], user=m) for i, m in enumerate(members)]
    # Clicks whose answer waited long behind the others' are acknowledged first, then filled.
    answered = await asyncio.gather(*(c.wait_final(timeout=10) for c in clicks))
    assert all(it.ephemeral and it.message["content"].startswith("locked in: ") for it in answered)
    await rounds_cog(runner).live.idle()
    edits = len(fake.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}"))
    assert 1 <= edits - edits_before <= 2  # a leading edit and one trailing edit
    assert fake.rate_limited_count == 0
    assert fields(_now(fake, first))["Answers"] == "300 members answered so far."
    assert rows(runner, "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM answers") == [(300, 300)]
    assert rows(runner, "SELECT COUNT(*) FROM round_answers") == [(300,)]


async def test_rounds_are_not_played_in_dms(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    dm = fake.open_dm(server.alice)
    it = await fake.invoke_slash("round start", {}, user=server.alice, channel=dm)
    await it.wait_final()
    assert it.ephemeral and it.message is not None
    assert it.message["content"].startswith(
        "Rounds are played together in a server's channel, not in DMs."
    )
    assert rows(runner, "SELECT COUNT(*) FROM rounds") == [(0,)]


async def test_a_question_posted_while_its_round_stops_never_opens(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await start_round(fake, server.channel, server.alice, questions=3, seconds=10)
    await question(fake, server.channel, 1)
    cog = rounds_cog(runner)
    send = cog.send_question

    async def stopped_while_sending(shown: Round) -> int:
        # The round is stopped while its timer's step is posting question 2.
        await database(runner).rounds.end(
            shown.id, EndReason.STOPPED, clock.now, by=server.alice.id
        )
        return await send(shown)

    cog.send_question = stopped_while_sending  # type: ignore[method-assign]
    await advance(runner, clock, 10)
    await advance(runner, clock, 3)
    second = await question(fake, server.channel, 2)
    assert fields(second)["Round"] == "Stopped before this question was revealed."
    assert all(c.get("disabled") for c in second["components"][0]["components"])
    assert rows(runner, "SELECT state, phase, message_id FROM rounds") == [("stopped", "ask", None)]


@pytest.mark.parametrize("down", [5, 60], ids=["within-its-time", "past-its-time"])
async def test_a_question_posted_just_before_the_bot_stopped_is_not_posted_again(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock, down: int
) -> None:
    """The bot stops after Discord accepted a question's message but before its id was
    stored: after the restart the message is found in the channel and adopted."""
    alice, bob = server.alice, server.bob
    cog = rounds_cog(runner)
    send = cog.send_question
    posted = asyncio.Event()

    async def send_then_die(shown: Round) -> int:
        await send(shown)
        posted.set()
        await asyncio.Event().wait()  # never returns: the bot is stopped here
        raise AssertionError("unreachable")

    cog.send_question = send_then_die  # type: ignore[method-assign]
    await start_round(fake, server.channel, alice, questions=2, seconds=20)
    await asyncio.wait_for(posted.wait(), timeout=10)
    first = await question(fake, server.channel, 1)
    shown_at = clock.now
    await runner.stop()
    assert rows(runner, "SELECT phase, message_id FROM rounds") == [("ask", None)]

    clock.advance(seconds=down)
    await runner.start()
    await run_due(runner)
    assert len([m for m in fake.messages(server.channel) if is_question(1)(m)]) == 1
    adopted = await current_round(runner, server.channel)
    assert adopted.message_id == int(first["id"]) and adopted.shown_at == shown_at
    # Its own deadline, or a fresh short one if that passed while the bot was down.
    closes = shown_at + timedelta(seconds=20) if down < 20 else clock.now + timedelta(seconds=10)
    assert adopted.closes_at == closes
    assert f"<t:{int(closes.timestamp())}:R>" in fields(_now(fake, first))["Time"]
    locked = await click(fake, first, right_letter(adopted, 0), bob)
    assert locked.message is not None and locked.message["content"].startswith("locked in")
    await advance(runner, clock, (closes - clock.now).total_seconds())
    assert fields(_now(fake, first))["Results"] == "1 member answered · 100% right"
    await advance(runner, clock, 3)
    await question(fake, server.channel, 2)
    assert len([m for m in fake.messages(server.channel) if is_question(1)(m)]) == 1


async def test_a_deleted_channel_ends_its_round_at_once(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    doomed = fake.add_text_channel(server.guild.id, "doomed")
    await fake.sync_gateway()
    await start_round(fake, doomed, server.alice, questions=5, seconds=60)
    await question(fake, doomed, 1)
    fake.delete_channel(doomed)
    await fake.sync_gateway()
    # No time passes: the gateway's event ends it, not the next step's failed edit.
    await fake.wait_until(
        lambda: (
            rows(runner, "SELECT state, end_reason FROM rounds") == [("failed", "channel-deleted")]
        ),
        5.0,
        "the round to end",
    )
    assert rows(runner, "SELECT COUNT(*) FROM timers") == [(0,)]


async def test_a_lost_permission_ends_the_round_at_once(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await start_round(fake, server.channel, server.alice, questions=5, seconds=60)
    first = await question(fake, server.channel, 1)
    await click(fake, first, "A", server.bob)
    fake.set_bot_channel_permissions(
        server.channel, discord.Permissions(view_channel=True, embed_links=True)
    )
    await fake.sync_gateway()
    await fake.wait_until(
        lambda: (
            rows(runner, "SELECT state, end_reason FROM rounds") == [("failed", "no-permission")]
        ),
        5.0,
        "the round to end",
    )
    assert rows(runner, "SELECT COUNT(*) FROM answers") == [(1,)]
    fake.set_bot_channel_permissions(server.channel, discord.Permissions.text())
    await fake.sync_gateway()
    status = await slash(fake, "round status", server.channel, server.bob)
    assert status.message is not None
    assert "permission" in status.message["embeds"][0]["description"]


async def test_no_card_repeats_and_the_channel_sees_its_oldest_cards_last(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await start_round(fake, server.channel, server.alice, questions=1, seconds=5)
    await question(fake, server.channel, 1)
    first = await current_round(runner, server.channel)
    await advance(runner, clock, 5)  # its only question: the round is over
    await fake.wait_for_message(server.channel, is_final)
    clock.advance(minutes=1)
    await start_round(fake, server.channel, server.bob, questions=50, seconds=5)
    second = await current_round(runner, server.channel)
    assert second.id != first.id
    cards = [q.card_id for q in second.questions]
    assert len(cards) == len(set(cards)) == 39  # the whole deck, each card once
    assert cards[-1] == first.questions[0].card_id  # the one this channel saw is last


def _cards(deck_text: str) -> dict[str, dict[str, Any]]:
    """A deck file's cards by their front."""
    return {card["front"]: card for card in yaml.safe_load(deck_text)["cards"]}


SHIPPED_CARDS = _cards((SHIPPED_DECKS / "aws-mla-c01-deployment.yaml").read_text())


async def test_a_round_without_options_asks_ten_questions_of_20_seconds(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    started = await start_round(fake, server.channel, server.alice)
    assert started.message is not None and not started.ephemeral
    first = await question(fake, server.channel, 1)
    assert first["embeds"][0]["title"] == "Round · question 1 of 10"
    found = await current_round(runner, server.channel)
    assert (found.requested, found.total, found.seconds) == (10, 10, 20)
    assert found.deck_id == "aws-mla-c01-deployment" and found.topic is None
    assert found.shown_at is not None and found.closes_at == found.shown_at + timedelta(seconds=20)
    assert f"<t:{int(found.closes_at.timestamp())}:R>" in fields(first)["Time"]
    await advance(runner, clock, 19)
    assert "Results" not in fields(_now(fake, first))
    await advance(runner, clock, 1)
    assert fields(_now(fake, first))["Results"] == "Nobody answered."


async def test_the_topic_option_asks_only_that_topics_cards(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    topic = "Serverless ML with Lambda"
    in_topic = {front for front, card in SHIPPED_CARDS.items() if card["topic"] == topic}
    assert 1 < len(in_topic) < 10
    await start_round(fake, server.channel, server.alice, topic=topic, seconds=5)
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    assert found.topic == topic
    # Fewer cards than the 10 questions asked for: each of the topic's cards once, no other.
    assert {q.front for q in found.questions} == in_topic and found.total == len(in_topic)
    assert topic in first["embeds"][0]["footer"]["text"]
    assert first["embeds"][0]["title"] == f"Round · question 1 of {len(in_topic)}"


@pytest.fixture
async def two_decks(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    shipped = (SHIPPED_DECKS / "aws-mla-c01-deployment.yaml").read_text()
    decks = {"small.yaml": SMALL_DECK, "aws-mla-c01-deployment.yaml": shipped}
    async with runner_with_decks(fake, tmp_path, clock, decks) as bot_runner:
        yield bot_runner


async def test_the_deck_option_asks_only_that_decks_cards(
    fake: FakeDiscord, server: StudyServer, two_decks: BotRunner
) -> None:
    await start_round(fake, server.channel, server.alice, deck="small", questions=3)
    first = await question(fake, server.channel, 1)
    found = await current_round(two_decks, server.channel)
    assert found.deck_id == "small" and found.total == 3
    assert {q.front for q in found.questions} <= set(_cards(SMALL_DECK))
    assert first["embeds"][0]["footer"]["text"].startswith("small · ")


async def test_the_question_writes_out_its_options_and_the_reveal_explains(
    fake: FakeDiscord, server: StudyServer, two_decks: BotRunner, clock: FakeClock
) -> None:
    # The small deck's one card on drift carries an explanation.
    await start_round(fake, server.channel, server.alice, deck="small", topic="drift", questions=1)
    first = await question(fake, server.channel, 1)
    found = await current_round(two_decks, server.channel)
    (asked,) = found.questions
    card = _cards(SMALL_DECK)[asked.front]
    description = first["embeds"][0]["description"]
    assert description.split("\n")[0] == f"**{asked.front}**"
    assert options_of(first) == dict(zip("ABCD", asked.options, strict=True))
    assert card["back"] in asked.options
    assert "Why" not in fields(first)

    await click(fake, first, right_letter(found, 0), server.bob)
    await advance(two_decks, clock, 20)
    shown = _now(fake, first)
    assert fields(shown)["Answer"] == f"**{right_letter(found, 0)}. {card['back']}**"
    assert fields(shown)["Why"] == card["explanation"]
    assert options_of(shown)[right_letter(found, 0)] == card["back"]


async def test_the_reveal_names_only_the_first_three_right(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    carol = fake.add_member(server.guild.id, "carol")
    dave = fake.add_member(server.guild.id, "dave")
    await fake.sync_gateway()
    players = [server.alice, server.bob, carol, dave]
    await start_round(fake, server.channel, server.alice, questions=2, seconds=30)
    first = await question(fake, server.channel, 1)
    found = await current_round(runner, server.channel)
    for player in players:
        clock.advance(seconds=1)
        await click(fake, first, right_letter(found, 0), player)
    await advance(runner, clock, 30)
    shown = fields(_now(fake, first))
    assert shown["Results"] == "4 members answered · 100% right"
    assert shown["First right"].splitlines() == [
        f"🥇 <@{server.alice.id}> · 1.0 s",
        f"🥈 <@{server.bob.id}> · 2.0 s",
        f"🥉 <@{carol.id}> · 3.0 s",
    ]


async def test_a_round_started_in_a_thread_plays_there(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    thread = fake.add_thread(server.channel, "quiz night", owner=server.alice)
    await fake.sync_gateway()
    alice, bob = server.alice, server.bob
    started = await start_round(fake, thread, alice, questions=1, seconds=20)
    assert started.message is not None and not started.ephemeral
    first = await question(fake, thread, 1)
    assert int(first["channel_id"]) == thread.id
    found = await current_round(runner, thread)
    assert found.channel_id == thread.id
    clock.advance(seconds=2)
    locked = await click(fake, first, right_letter(found, 0), alice)
    assert locked.message is not None and locked.message["content"].startswith("locked in")
    await click(fake, first, wrong_letter(found, 0), bob)
    await advance(runner, clock, 18)
    assert fields(_now(fake, first))["Results"] == "2 members answered · 50% right"
    final = await fake.wait_for_message(thread, is_final)
    assert fields(final)["Winner"] == f"🏆 <@{alice.id}> with 2 points!"
    assert not [m for m in fake.messages(server.channel) if is_question(1)(m) or is_final(m)]
    status = await slash(fake, "round status", server.channel, bob)
    assert status.message is not None
    assert status.message["content"].startswith("No round has been played in this channel.")

    # In a thread the bot posts with Send Messages in Threads, and names it when missing.
    parent = fake.add_text_channel(
        server.guild.id,
        "no-threads",
        bot_permissions=discord.Permissions(
            view_channel=True, send_messages=True, embed_links=True, read_message_history=True
        ),
    )
    closed = fake.add_thread(parent, "closed", owner=bob)
    await fake.sync_gateway()
    refused = await start_round(fake, closed, bob)
    assert refused.ephemeral and refused.message is not None
    assert refused.message["content"].startswith(
        "I can't run a round here: I'm missing the Send Messages in Threads permission"
    )
    assert rows(runner, "SELECT COUNT(*) FROM rounds WHERE channel_id = ?", closed.id) == [(0,)]
