"""Faults: a locked or full database, a killed process. Nothing stored is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.interactions import APOLOGY, RESTARTING
from tests.conftest import StudyServer
from tests.fakediscord import Channel, FakeDiscord, InteractionHandle, Member
from tests.fakediscord.interactions import CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE
from tests.fakediscord.messages import EPHEMERAL
from tests.harness import (
    REPO,
    SHIPPED_DECKS,
    BotRunner,
    fill_the_disk,
    free_the_disk,
    hold_write_lock,
    post_daily_now,
)
from tests.helpers.database import answers, snapshot
from tests.helpers.quiz import ALREADY_ANSWERED, BACK_OF, front_of, labels, press, right_letter

SHIPPED = "aws-mla-c01-deployment"


async def test_a_briefly_locked_database_only_slows_an_answer(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    holder = hold_write_lock(runner.database, 0.6)
    answered = await press(fake, it.message, right_letter(it.message), server.alice)
    holder.join()
    assert answered.response_type == UPDATE_MESSAGE
    assert [row[3] for row in answers(runner.database)] == [1]


async def test_a_long_lock_gets_an_apology_and_the_click_can_be_repeated(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    letter = right_letter(it.message)
    holder = hold_write_lock(runner.database, 2.5)
    refused = await fake.click(it.message, letter, user=server.alice)
    await refused.wait_final(timeout=5)
    holder.join()
    # Acknowledged while the write waited for the lock; the apology follows.
    assert refused.response_type == DEFERRED_UPDATE
    apology = await refused.wait_followups()
    assert [m["content"] for m in apology] == [APOLOGY]
    assert all(m["flags"] & EPHEMERAL for m in apology)
    assert answers(runner.database) == []
    # Nothing was half-written: the same question can be answered now, once.
    answered = await press(fake, it.message, letter, server.alice)
    assert answered.response_type == UPDATE_MESSAGE
    assert [row[3] for row in answers(runner.database)] == [1]


async def test_a_full_disk_gets_an_apology_and_keeps_what_was_stored(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await fake.invoke_slash(
        "quiz", {"questions": 3}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    first = await press(fake, it.message, right_letter(it.message), server.alice)
    message = (await press(fake, first.message, "Next", server.alice)).message
    assert runner.db is not None
    # The disk is now full: answers of another member fill what is left.
    assert await fill_the_disk(runner.db, server.bob.id, runner.clock()) > 0
    letter = right_letter(message)
    refused = await fake.click(message, letter, user=server.alice)
    await refused.wait_response()
    assert refused.ephemeral and refused.message["content"] == APOLOGY
    assert [row[3] for row in answers(runner.database) if row[0] == server.alice.id] == [1]
    # The bot keeps serving, and once there is room the same question can be answered.
    listing = await fake.invoke_slash("decks list", {}, user=server.bob, channel=server.channel)
    await listing.wait_response()
    assert listing.message["embeds"][0]["title"] == "Flashcard decks"
    await free_the_disk(runner.db)
    answered = await press(fake, message, letter, server.alice)
    assert answered.response_type == UPDATE_MESSAGE
    assert [row[3] for row in answers(runner.database) if row[0] == server.alice.id] == [1, 1]


async def spawn_bot(
    fake: FakeDiscord, database: Path, workdir: Path, *, start: int = 1, log: Path | None = None
) -> asyncio.subprocess.Process:
    """`python -m bot` in a process of its own, on ``fake`` and ``database``; returns once
    its session is ready (the ``start``-th the fake has seen) and its commands synced. Its
    output goes to ``log`` (nowhere when None)."""
    api_base, gateway_url = fake.endpoint_urls()
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": f"sqlite:///{database}",
        "DECKS_DIR": str(SHIPPED_DECKS),
        "DISCORD_API_BASE": api_base,
        "DISCORD_GATEWAY_URL": gateway_url,
        "PYTHONPATH": str(REPO),
    }
    env.pop("DEV_GUILD_ID", None)
    output = asyncio.subprocess.DEVNULL if log is None else log.open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=workdir, env=env, stdout=output, stderr=output,
        )  # fmt: skip
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]
    await fake.wait_ready(timeout=30, count=start)
    await fake.wait_commands_synced(timeout=30)
    return process


def reviews_missing_or_doubled(database: Path) -> tuple[int, int]:
    """(answers without a review, answers with more than one)."""
    with sqlite3.connect(database) as conn:
        (unreviewed,) = conn.execute(
            "SELECT COUNT(*) FROM answers a "
            "WHERE NOT EXISTS (SELECT 1 FROM review_log r WHERE r.answer_id = a.id)"
        ).fetchone()
        (reviewed_twice,) = conn.execute(
            "SELECT COUNT(*) FROM (SELECT answer_id FROM review_log GROUP BY answer_id "
            "HAVING COUNT(*) > 1)"
        ).fetchone()
    return int(unreviewed), int(reviewed_twice)


# A burst's answers share commits, so the bot can show all of one wave's results in the
# instant a test takes to notice the first. These last clicks are sent after that: a kill
# or stop right after them is in the middle of the burst whatever the timing.
LATE_CLICKS = 5


async def click_in_two_waves(
    clicks: list[Callable[[], Awaitable[InteractionHandle]]],
    shown: Callable[[InteractionHandle], bool],
    fake: FakeDiscord,
) -> list[InteractionHandle]:
    """Send all but the last `LATE_CLICKS` clicks, wait until one of them is ``shown``,
    then send the rest; returns every handle."""
    first = [await click() for click in clicks[:-LATE_CLICKS]]
    await fake.wait_until(lambda: any(shown(c) for c in first), 10, "a first answer")
    return first + [await click() for click in clicks[-LATE_CLICKS:]]


async def answer_burst(
    fake: FakeDiscord, server: StudyServer
) -> tuple[list[Member], list[InteractionHandle], list[InteractionHandle]]:
    """30 members each start a 3-question quiz and click the right answer to its first
    question; returns (members, their /quiz, their clicks) as soon as the last click is
    sent, the others still in flight (see `LATE_CLICKS`)."""
    members = [fake.add_member(server.guild.id, f"member{n}") for n in range(30)]
    starts = [
        await fake.invoke_slash("quiz", {"questions": 3}, user=m, channel=server.channel)
        for m in members
    ]
    await asyncio.gather(*(s.wait_response(timeout=10) for s in starts))

    async def click(start: InteractionHandle, member: Member) -> InteractionHandle:
        return await fake.click(start.message, right_letter(start.message), user=member)

    clicks = await click_in_two_waves(
        [partial(click, s, m) for s, m in zip(starts, members, strict=True)],
        lambda c: c.response_type == UPDATE_MESSAGE,
        fake,
    )
    return members, starts, clicks


async def test_sigkill_mid_burst_keeps_every_acknowledged_answer_once(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path
) -> None:
    database = tmp_path / "killed.sqlite3"
    process = await spawn_bot(fake, database, tmp_path)
    members, starts, clicks = await answer_burst(fake, server)
    # Kill the bot as soon as the first answer is acknowledged: the rest are in flight.
    process.send_signal(signal.SIGKILL)
    await process.wait()
    acknowledged = [c for c in clicks if c.response_type == UPDATE_MESSAGE]
    assert 0 < len(acknowledged) < len(members), "the kill was not in the middle of the burst"

    rows = answers(database)
    answered_users = [row[0] for row in rows]
    assert len(answered_users) == len(set(answered_users)), "an answer was stored twice"
    for click in acknowledged:
        assert click.user.id in answered_users, "an acknowledged answer was lost"

    await fake.wait_disconnected()
    process = await spawn_bot(fake, database, tmp_path, start=2)
    try:
        # Every member can go on. An answer whose result was shown goes on with Next; a lost
        # one is given again. One stored while its reply was lost is not counted again: the
        # member is told so, with the quiz's Next button.
        for start, member in zip(starts, members, strict=True):
            current = fake.message(int(start.message["id"]))
            assert current is not None
            shown = "Next" in labels(current)
            stored = member.id in answered_users
            assert stored or not shown, "a result was shown for no stored answer"
            target = "Next" if shown else right_letter(current)
            it = await fake.click(current, target, user=member)
            await it.wait_response(timeout=10)
            if stored and not shown:
                assert it.ephemeral and it.message["content"] == ALREADY_ANSWERED
                it = await press(fake, it.message, "Next", member)
                assert it.message["embeds"][0]["title"] == "Question 2 of 3"
            else:
                assert it.response_type == UPDATE_MESSAGE
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
    rows = answers(database)
    assert len(rows) == len({(r[0], r[6]) for r in rows})
    assert sorted(r[0] for r in rows if r[6] == 0) == sorted(m.id for m in members)
    assert reviews_missing_or_doubled(database) == (0, 0), "a review is missing or doubled"


async def stop_cleanly_mid_burst(
    process: asyncio.subprocess.Process, clicks: list[InteractionHandle], log: Path
) -> None:
    """SIGTERM while some clicks are unanswered; the bot exits 0 and logs no error."""
    process.send_signal(signal.SIGTERM)
    answered_at_stop = sum(c.response_type is not None for c in clicks)
    await asyncio.wait_for(process.wait(), timeout=30)
    assert answered_at_stop < len(clicks), "the stop was not in the middle of the burst"
    output = await asyncio.to_thread(log.read_text)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "ERROR" not in output, output


async def test_sigterm_mid_burst_finishes_or_refuses_each_click_and_exits_cleanly(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path
) -> None:
    database, log = tmp_path / "stopped.sqlite3", tmp_path / "bot.log"
    process = await spawn_bot(fake, database, tmp_path, log=log)
    _, _, clicks = await answer_burst(fake, server)
    await stop_cleanly_mid_burst(process, clicks, log)

    stored = [row[0] for row in answers(database)]
    assert len(stored) == len(set(stored)), "an answer was stored twice"
    shown = [c for c in clicks if c.response_type == UPDATE_MESSAGE]
    assert len(shown) > 0, "no answer was shown before the stop"
    # Each answer stored was also shown: the handlers running at the stop were let finish.
    assert sorted(c.user.id for c in shown) == sorted(stored)
    # The clicks read after the stop began were told to try again; none failed otherwise.
    for click in clicks:
        if click.response_type not in (None, UPDATE_MESSAGE):
            assert click.ephemeral and click.content == RESTARTING, click.content
    assert reviews_missing_or_doubled(database) == (0, 0), "a review is missing or doubled"


def daily_answers(database: Path) -> dict[int, int]:
    """How many daily answers each member has stored."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT user_id, COUNT(*) FROM answers WHERE mode = 'daily' GROUP BY user_id"
        ).fetchall()
    return {int(user): int(count) for user, count in rows}


def daily_result_shown(click: InteractionHandle) -> bool:
    """A daily click answered with its result (an embed), not a note or an apology."""
    return click.response_type == CHANNEL_MESSAGE and bool(click.message["embeds"])


async def daily_answer_burst(
    fake: FakeDiscord, server: StudyServer, database: Path
) -> tuple[list[Member], dict[str, Any], str, list[InteractionHandle]]:
    """Today's challenge is posted and 30 members click its right answer; returns (members,
    the post, the right letter, their clicks) as soon as the last click is sent, the
    others still in flight (see `LATE_CLICKS`)."""
    members = [fake.add_member(server.guild.id, f"member{n}") for n in range(30)]
    post = await post_daily_now(fake, server.channel, server.admin)
    with sqlite3.connect(database) as conn:
        (question,) = conn.execute("SELECT question FROM daily_challenges").fetchone()
    right = "ABCD"[json.loads(question)["correct_index"]]
    clicks = await click_in_two_waves(
        [partial(fake.click, post, right, user=m) for m in members], daily_result_shown, fake
    )
    return members, post, right, clicks


async def test_sigkill_mid_daily_burst_keeps_every_acknowledged_answer_once(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path
) -> None:
    database = tmp_path / "killed.sqlite3"
    process = await spawn_bot(fake, database, tmp_path)
    members, post, right, clicks = await daily_answer_burst(fake, server, database)
    # Kill the bot as soon as the first answer is acknowledged: the rest are in flight.
    process.send_signal(signal.SIGKILL)
    await process.wait()
    acknowledged = {c.user.id for c in clicks if daily_result_shown(c)}
    assert 0 < len(acknowledged) < len(members), "the kill was not in the middle of the burst"
    stored = daily_answers(database)
    assert set(stored.values()) <= {1}, "an answer was stored twice"
    assert acknowledged <= set(stored), "an acknowledged answer was lost"

    await fake.wait_disconnected()
    process = await spawn_bot(fake, database, tmp_path, start=2)
    try:
        # The challenge goes on: a stored answer is remembered, a lost one can be given again.
        for member in members:
            again = await fake.click(post, right, user=member)
            await again.wait_response(timeout=10)
            if member.id in stored:
                assert again.message["content"].startswith("You already answered")
            else:
                assert daily_result_shown(again), again.message
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=20)
    assert daily_answers(database) == {m.id: 1 for m in members}
    with sqlite3.connect(database) as conn:
        streaks = conn.execute("SELECT user_id, current FROM daily_streaks").fetchall()
    assert dict(streaks) == {m.id: 1 for m in members}, "a day was counted twice or not at all"
    assert reviews_missing_or_doubled(database) == (0, 0), "a review is missing or doubled"


async def test_sigterm_mid_daily_burst_shows_every_answer_stored_and_exits_cleanly(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path
) -> None:
    database, log = tmp_path / "stopped.sqlite3", tmp_path / "bot.log"
    process = await spawn_bot(fake, database, tmp_path, log=log)
    _, _, _, clicks = await daily_answer_burst(fake, server, database)
    await stop_cleanly_mid_burst(process, clicks, log)
    stored = daily_answers(database)
    assert set(stored.values()) <= {1}, "an answer was stored twice"
    assert {c.user.id for c in clicks if daily_result_shown(c)} == set(stored)
    for click in clicks:
        if click.response_type is not None and not daily_result_shown(click):
            assert click.ephemeral and click.content == RESTARTING, click.content
    assert reviews_missing_or_doubled(database) == (0, 0), "a review is missing or doubled"


async def test_garbage_and_hostile_custom_ids_are_refused_politely(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    session_id = it.message["components"][0]["components"][0]["custom_id"].split(":")[1]
    hostile = [
        "not-ours",
        "quiz:",
        "quiz:'; DROP TABLE answers;--:0:a",
        f"quiz:{session_id}:0:explode",
        f"quiz:{session_id}:7:a",
        f"quiz:{session_id}:0:next",
        "quiz:abcdef123456:0:a",
        "x" * 100,
    ]
    for custom_id in hostile:
        forged = await fake.forge_click(it.message, custom_id, user=server.alice)
        await forged.wait_response()
        assert forged.ephemeral, custom_id
        assert forged.message["content"] == "That button is not on this message any more."
    assert answers(runner.database) == []
    with sqlite3.connect(runner.database) as conn:
        assert conn.execute("SELECT position, answered, status FROM quiz_sessions").fetchall() == [
            (0, 0, "active")
        ]
    # The real buttons still work afterwards.
    answered = await press(fake, it.message, right_letter(it.message), server.alice)
    assert answered.response_type == UPDATE_MESSAGE


async def test_hostile_custom_ids_on_a_daily_post_are_refused_politely(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    post = await post_daily_now(fake, server.channel, server.admin)
    challenge_id = int(post["components"][0]["components"][0]["custom_id"].split(":")[1])
    hostile = [
        "daily:",
        f"daily:{challenge_id}:e",
        f"daily:{challenge_id}:",
        f"daily:{challenge_id + 1}:a",  # another challenge's button, or none
        "daily:9999999999999999999:a",  # beyond SQLite's integers
        "daily:-1:a",
        f"daily:{challenge_id}:a:extra",
        "quiz:abcdef123456:0:a",  # a quiz button on a daily post
    ]
    for custom_id in hostile:
        forged = await fake.forge_click(post, custom_id, user=server.alice)
        await forged.wait_response()
        assert forged.ephemeral, custom_id
        assert forged.message["content"] == "That button is not on this message any more."
    with sqlite3.connect(runner.database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM daily_streaks").fetchone() == (0,)
    # The real buttons still work afterwards.
    answered = await fake.click(post, "A", user=server.alice)
    await answered.wait_response()
    assert answered.ephemeral and answered.message["embeds"]


async def open_answer_form(
    fake: FakeDiscord, member: Member, channel: Channel
) -> InteractionHandle:
    """Start a typed quiz of two questions and press `Answer`: the handle shows the form."""
    it = await fake.invoke_slash(
        "quiz", {"mode": "typed", "questions": 2}, user=member, channel=channel
    )
    await it.wait_response()
    opened = await fake.click(it.message, "Answer", user=member)
    await opened.wait_response()
    assert opened.modal is not None
    return opened


async def test_a_huge_typed_answer_is_cut_and_graded(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    opened = await open_answer_form(fake, server.alice, server.channel)
    submitted = await fake.submit_modal(opened, {"answer": "cloudwatch " * 20_000}, forged=True)
    await submitted.wait_response()
    fields = {f["name"]: f["value"] for f in submitted.message["embeds"][0]["fields"]}
    assert len(fields["You wrote"]) <= 1024
    assert [row[2] for row in answers(runner.database)] in ([], ["typed"])


async def test_forged_modal_submits_are_refused_politely(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    opened = await open_answer_form(fake, server.alice, server.channel)
    assert opened.modal is not None
    modal_id = opened.modal["custom_id"]
    session_id = modal_id.split(":")[1]
    forgeries: list[tuple[str, dict[str, str]]] = [
        ("nonsense", {"answer": "S3"}),
        ("", {"answer": "S3"}),
        ("x" * 100, {"answer": "S3"}),
        (f"quiz:{session_id}:0:a", {"answer": "S3"}),  # a button's id, as a form's
        (f"quiz:{session_id}:1:modal", {"answer": "S3"}),  # a question not yet shown
        (f"quiz:{'z' * len(session_id)}:0:modal", {"answer": "S3"}),  # no such session
        (modal_id, {}),  # the form without its answer
        (modal_id, {"other": "S3"}),  # an input the form does not have
    ]
    failures = []
    for custom_id, values in forgeries:
        submitted = await fake.submit_modal(opened, values, forged=True, custom_id=custom_id)
        try:
            await submitted.wait_response()
        except TimeoutError:
            failures.append(f"{custom_id[:40]!r} {values}: no answer")
            continue
        content = (submitted.message or {}).get("content") or ""
        if not submitted.ephemeral or content in ("", APOLOGY):
            failures.append(f"{custom_id[:40]!r} {values}: {content!r}")
        if answers(runner.database):
            failures.append(f"{custom_id[:40]!r} {values}: an answer was stored")
            break
    assert failures == [], "\n".join(failures)
    # The real form still answers, once (with the card's exact answer: a near one could
    # be graded unsure, which asks again and stores nothing).
    question = fake.message(opened.source_message_id or 0)
    assert question is not None
    right = BACK_OF[front_of(question)]
    submitted = await fake.submit_modal(opened, {"answer": right})
    await submitted.wait_response()
    assert [row[2:4] for row in answers(runner.database)] == [("typed", 1)]


PERSONAL_REPLIES = [
    # (command, options, who runs it), each answered with buttons only its caller sees
    ("quiz", {"deck": SHIPPED, "questions": 2}, "carol"),
    ("quiz", {"deck": SHIPPED, "mode": "flashcard", "questions": 2}, "dave"),
    ("quiz", {"deck": SHIPPED, "mode": "typed", "questions": 2}, "erin"),
    ("quiz", {"deck": SHIPPED, "questions": 2}, "carol"),  # "You already have a quiz"
    ("review", {"deck": SHIPPED}, "alice"),
    ("forgetme", {}, "carol"),
    ("season start", {}, "admin"),
    ("decks remove", {"deck": "words"}, "admin"),
]


async def test_every_button_of_a_personal_reply_refuses_another_member(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    """Bob cannot see these replies; a forged click carries their custom_ids anyway."""
    members = {"alice": server.alice, "admin": server.admin}
    for name in ("carol", "dave", "erin"):
        members[name] = fake.add_member(server.guild.id, name)
    deck_file = fake.upload("words.csv", b"one,1\ntwo,2\nthree,3\nfour,4\n")
    imported = await fake.invoke_slash(
        "decks import", {"file": deck_file}, user=server.admin, channel=server.channel
    )
    await imported.wait_final()
    clicked = set()
    for command, options, name in PERSONAL_REPLIES:
        it = await fake.invoke_slash(command, options, user=members[name], channel=server.channel)
        await it.wait_final()
        assert it.ephemeral and it.message is not None, command
        shown = it.message
        before = snapshot(runner.database)
        for label in labels(shown):
            forged = await fake.click(shown, label, user=server.bob, forged=True)
            await forged.wait_response()
            clicked.add(label)
            assert forged.ephemeral, (command, label)
            content = forged.message["content"]
            assert content and content != APOLOGY, (command, label, content)
            assert fake.message(int(shown["id"])) == shown, (command, label)  # not moved
        assert snapshot(runner.database) == before, command
    assert {"A", "Show answer", "Answer", "Keep the old one", "Delete everything"} <= clicked
    assert {"Start the new season", "Remove"} <= clicked, clicked


async def test_a_database_file_deleted_while_the_bot_runs_is_an_apology_and_one_line(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Writes into the deleted file would be lost at the next start: each is refused with
    the usual apology, and the log says in one line what happened."""
    alice = server.alice
    quiz = await fake.invoke_slash("quiz", {"questions": 2}, user=alice, channel=server.channel)
    await quiz.wait_response()
    assert quiz.message is not None
    assert isinstance(runner.database, Path)
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{runner.database}{suffix}")
    with caplog.at_level(logging.ERROR, logger="bot"):
        click = await press(fake, quiz.message, right_letter(quiz.message), alice)
    assert click.ephemeral and click.message is not None
    assert click.message["content"] == APOLOGY
    record = next(r for r in caplog.records if "is gone" in r.getMessage())
    assert f"the database file {runner.database} is gone" in record.getMessage()
    assert record.exc_info is None
