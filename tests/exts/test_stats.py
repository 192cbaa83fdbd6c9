"""/leaderboard, /streak, /stats, /season start and /forgetme through the loopback Discord API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.domain.decks import load_deck_file
from bot.domain.streaks import StreakState
from bot.storage import Database, NewAnswer
from tests.conftest import StudyServer
from tests.fakediscord import DriverError, FakeDiscord, InteractionHandle, Member
from tests.harness import SHIPPED_DECKS, BotRunner, FakeClock
from tests.helpers.database import rows, seed_daily_streak
from tests.helpers.quiz import right_letter, wrong_letter

pytestmark = pytest.mark.engines

DECK = load_deck_file(SHIPPED_DECKS / "aws-mla-c01-deployment.yaml")
TOPIC_CARDS = {
    topic: [card.id for card in DECK.cards if card.topic == topic] for topic in DECK.topics
}
_sessions = itertools.count(1)


def db_of(runner: BotRunner) -> Database:
    assert runner.db is not None
    return runner.db


async def seed(
    runner: BotRunner,
    user_id: int,
    name: str,
    at: datetime,
    *,
    guild_id: int | None,
    correct: bool = True,
    mode: str = "multiple-choice",
    card_id: str | None = None,
    count: int = 1,
) -> None:
    """Answers stored as the quiz stores them, for boards that need many members."""
    db = db_of(runner)
    await db.members.upsert_user(user_id, name, at)
    if guild_id is not None:
        await db.members.upsert_guild(guild_id, "Study Hall", at)
    for _ in range(count):
        stored = await db.answers.record(
            NewAnswer(
                user_id=user_id,
                guild_id=guild_id,
                deck_id=DECK.id,
                card_id=card_id or DECK.cards[0].id,
                mode=mode,
                correct=correct,
                answered_at=at,
                points=int(correct and mode in ("multiple-choice", "typed")),
                grade=("good" if correct else "again") if mode == "flashcard" else None,
                session_id=f"seed{next(_sessions)}",
                question_index=0,
            )
        )
        assert stored is not None


async def slash(
    fake: FakeDiscord, server: StudyServer, command: str, caller: Member, /, **options: Any
) -> InteractionHandle:
    it = await fake.invoke_slash(command, options, user=caller, channel=server.channel)
    await it.wait_final()
    return it


def embed_of(it: InteractionHandle) -> dict[str, Any]:
    assert it.message is not None
    return dict(it.message["embeds"][0])


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def buttons(message: dict[str, Any]) -> list[tuple[str, bool]]:
    return [
        (c["label"], bool(c.get("disabled")))
        for row in message.get("components", [])
        for c in row["components"]
    ]


def count_rows(database: Path | str, sql: str, *params: Any) -> int:
    return int(rows(database, sql, *params)[0][0])


# --- /leaderboard -----------------------------------------------------------------------------


async def test_quiz_points_reach_the_public_leaderboard(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    quiz = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.alice, channel=server.channel
    )
    await quiz.wait_response()
    message = quiz.message
    assert message is not None
    first = await fake.click(message, right_letter(message), user=server.alice)
    await first.wait_response()
    assert first.message is not None
    nxt = await fake.click(first.message, "Next", user=server.alice)
    await nxt.wait_response()
    assert nxt.message is not None
    last = await fake.click(nxt.message, right_letter(nxt.message), user=server.alice)
    await last.wait_response()
    quiz = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.bob, channel=server.channel
    )
    await quiz.wait_response()
    assert quiz.message is not None
    wrong = await fake.click(quiz.message, wrong_letter(quiz.message), user=server.bob)
    await wrong.wait_response()
    assert wrong.message is not None
    nxt = await fake.click(wrong.message, "Next", user=server.bob)
    await nxt.wait_response()
    assert nxt.message is not None
    done = await fake.click(nxt.message, right_letter(nxt.message), user=server.bob)
    await done.wait_response()

    board = await slash(fake, server, "leaderboard", server.bob)
    assert not board.ephemeral  # leaderboards are for the whole channel
    embed = embed_of(board)
    assert embed["title"] == "Points · all time"
    assert embed["description"] == "**1.** alice — 2 points\n__**2.** bob — 1 point__"
    assert fields(embed) == {"Your rank": "#2 of 2 · 1 point"}
    assert embed["footer"]["text"] == "Page 1 of 1 · days in UTC"
    assert board.message is not None
    assert buttons(board.message) == [("Previous", True), ("Next", True)]


async def _crowd(runner: BotRunner, server: StudyServer, now: datetime) -> None:
    """25 members the bot knows only from the database (several left the server long
    ago): member k has k + 1 points; alice has 3 (a tie with member 2, reached later)."""
    for k in range(25):
        await seed(
            runner, 5000 + k, f"member {k}", now - timedelta(hours=1), guild_id=server.guild.id,
            count=k + 1,
        )  # fmt: skip
    await seed(runner, server.alice.id, "alice", now, guild_id=server.guild.id, count=3)


async def test_paging_by_the_owner_edits_the_board_and_others_get_their_own(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await _crowd(runner, server, clock.now)
    board = await slash(fake, server, "leaderboard", server.alice, board="points")
    embed = embed_of(board)
    lines = embed["description"].split("\n")
    assert lines[0] == "**1.** member 24 — 25 points"
    assert lines[9] == "**10.** member 15 — 16 points"
    # Alice ties with member 2 at 3 points; member 2 got there an hour earlier.
    assert fields(embed) == {"Your rank": "#24 of 26 · 3 points"}
    assert embed["footer"]["text"] == "Page 1 of 3 · days in UTC"
    message = board.message
    assert message is not None
    assert buttons(message) == [("Previous", True), ("Next", False)]

    nxt = await fake.click(message, "Next", user=server.alice)
    await nxt.wait_final()
    assert nxt.message is not None and nxt.message["id"] == message["id"]  # the same message
    assert embed_of(nxt)["description"].split("\n")[0] == "**11.** member 14 — 15 points"
    nxt = await fake.click(nxt.message, "Next", user=server.alice)
    await nxt.wait_final()
    assert nxt.message is not None
    assert embed_of(nxt)["description"].split("\n") == [
        "**21.** member 4 — 5 points",
        "**22.** member 3 — 4 points",
        "**23.** member 2 — 3 points",
        "__**24.** alice — 3 points__",
        "**25.** member 1 — 2 points",
        "**26.** member 0 — 1 point",
    ]
    assert buttons(nxt.message) == [("Previous", False), ("Next", True)]

    # The bot restarts; the buttons on the public board keep working. Bob pages it
    # too, and gets a private copy with his own rank instead of moving Alice's board.
    public_text = embed_of(nxt)["description"]
    await runner.restart()
    theirs = await fake.click(nxt.message, "Previous", user=server.bob)
    await theirs.wait_final()
    assert theirs.ephemeral
    mine = embed_of(theirs)
    assert mine["description"].split("\n")[0] == "**11.** member 14 — 15 points"
    assert fields(mine) == {"Your rank": "No points (all time) yet."}
    assert theirs.message is not None
    # Bob's copy pages for Bob, in place.
    own_next = await fake.click(theirs.message, "Next", user=server.bob)
    await own_next.wait_final()
    assert own_next.message is not None and own_next.message["id"] == theirs.message["id"]
    assert embed_of(own_next)["description"].startswith("**21.** member 4")
    after = fake.message(int(nxt.message["id"]))
    assert after is not None
    assert after["embeds"][0]["description"] == public_text
    assert after["embeds"][0]["description"].startswith("**21.** member 4")
    # After the restart the owner's own click still edits the public board.
    back = await fake.click(after, "Previous", user=server.alice)
    await back.wait_final()
    assert back.message is not None and back.message["id"] == after["id"]
    assert embed_of(back)["description"].startswith("**11.** member 14")


async def test_ties_rank_who_reached_the_value_first_and_left_members_keep_their_name(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    now = clock.now
    guild = server.guild.id
    await seed(runner, server.bob.id, "bob", now - timedelta(minutes=5), guild_id=guild, count=2)
    await seed(runner, 777, "ghost", now - timedelta(minutes=9), guild_id=guild, count=2)
    await seed(
        runner, server.alice.id, "alice", now - timedelta(minutes=1), guild_id=guild, count=2
    )
    await seed(runner, server.admin.id, "admin", now - timedelta(minutes=7), guild_id=guild)
    board = await slash(fake, server, "leaderboard", server.admin)
    assert embed_of(board)["description"].split("\n") == [
        "**1.** ghost — 2 points",  # not a member any more; ranks under the last name
        "**2.** bob — 2 points",
        "**3.** alice — 2 points",
        "__**4.** admin — 1 point__",
    ]


async def test_accuracy_needs_twenty_answers_in_the_period(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    now = clock.now  # Monday 2 March 2026, 09:00 UTC
    guild = server.guild.id
    await seed(runner, server.alice.id, "alice", now, guild_id=guild, count=15)
    await seed(runner, server.alice.id, "alice", now, guild_id=guild, correct=False, count=5)
    await seed(runner, server.bob.id, "bob", now - timedelta(days=10), guild_id=guild, count=25)
    await seed(runner, server.bob.id, "bob", now, guild_id=guild, count=5)
    await seed(runner, server.bob.id, "bob", now, guild_id=guild, mode="flashcard", count=30)
    week = await slash(fake, server, "leaderboard", server.bob, board="accuracy", period="week")
    embed = embed_of(week)
    assert embed["title"] == "Accuracy · this week"
    assert embed["description"] == "**1.** alice — 75.0% (15/20)"
    assert fields(embed) == {
        "Your rank": "Not ranked: 5 of the 20 judged answers needed (this week)."
    }
    ever = await slash(fake, server, "leaderboard", server.bob, board="accuracy")
    assert embed_of(ever)["description"].split("\n") == [
        "__**1.** bob — 100% (30/30)__",
        "**2.** alice — 75.0% (15/20)",
    ]
    today = await slash(fake, server, "leaderboard", server.alice, period="today")
    assert embed_of(today)["description"].split("\n") == [
        "__**1.** alice — 15 points__",
        "**2.** bob — 5 points",
    ]


async def test_the_streak_board_ranks_current_study_streaks(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    now = clock.now
    guild = server.guild.id
    for days_ago in (3, 2, 1):  # alice: three days up to yesterday
        await seed(runner, server.alice.id, "alice", now - timedelta(days=days_ago), guild_id=guild)
    await seed(runner, server.bob.id, "bob", now - timedelta(hours=1), guild_id=guild)
    await seed(
        runner, server.bob.id, "bob", now - timedelta(days=1), guild_id=guild, mode="flashcard"
    )
    await seed(runner, server.admin.id, "admin", now - timedelta(days=3), guild_id=guild)  # broken
    await seed(runner, 888, "dm only", now, guild_id=None)  # DMs count for no server
    board = await slash(fake, server, "leaderboard", server.admin, board="streak")
    embed = embed_of(board)
    assert embed["title"] == "Study streaks"
    # Flashcards count as study: Bob has studied yesterday and today.
    assert embed["description"].split("\n") == [
        "**1.** alice — 3 days",
        "**2.** bob — 2 days",
    ]
    assert fields(embed) == {
        "Your rank": "No current study streak: answer a card today to start one."
    }


# --- /streak ----------------------------------------------------------------------------------


async def test_streak_shows_both_streaks_and_when_the_study_streak_breaks(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    now = clock.now  # Monday 2 March, 09:00 UTC
    guild = server.guild.id
    for days_ago in (5, 2, 1):
        await seed(runner, server.alice.id, "alice", now - timedelta(days=days_ago), guild_id=guild)
    await seed(runner, server.alice.id, "alice", now - timedelta(days=3), guild_id=None)  # a DM
    await seed_daily_streak(
        db_of(runner), guild, server.alice.id, StreakState(2, 5, now.date()), now
    )
    it = await slash(fake, server, "streak", server.alice)
    assert it.ephemeral
    embed = embed_of(it)
    assert embed["title"] == "Streaks of alice"
    breaks = int(datetime(2026, 3, 3, tzinfo=UTC).timestamp())  # the end of today in UTC
    assert fields(embed) == {
        "Study streak in this server": (
            f"**2 days** · best 2 days\nBreaks <t:{breaks}:R> (<t:{breaks}:f>) "
            "without an answer today."
        ),
        "Study streak everywhere": "3 days · best 3 days",
        "Daily challenge streak": "**2** in a row · best 5",
    }
    assert embed["footer"]["text"] == "Days counted in UTC"

    # Bob looks at Alice's streaks; after she studies today, it is safe until tomorrow ends.
    await seed(runner, server.alice.id, "alice", now, guild_id=guild)
    seen = await slash(fake, server, "streak", server.bob, user=server.alice)
    tomorrow_end = int(datetime(2026, 3, 4, tzinfo=UTC).timestamp())
    assert fields(embed_of(seen))["Study streak in this server"] == (
        f"**3 days** · best 3 days\nDone for today. It breaks <t:{tomorrow_end}:R> "
        "if a day is skipped."
    )


async def test_streak_follows_the_members_own_time_zone(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 22:00 on Sunday in New York
    guild = server.guild.id
    # 23:30 in New York on Saturday and Sunday: the same UTC day is Sunday/Monday.
    await seed(
        runner, server.alice.id, "alice", datetime(2026, 3, 1, 4, 30, tzinfo=UTC), guild_id=guild
    )
    await seed(
        runner, server.alice.id, "alice", datetime(2026, 3, 2, 2, 30, tzinfo=UTC), guild_id=guild
    )
    utc_view = await slash(fake, server, "streak", server.alice)
    assert fields(embed_of(utc_view))["Study streak in this server"].startswith("**2 days**")
    await slash(fake, server, "settings timezone", server.alice, zone="America/New_York")
    ny_view = await slash(fake, server, "streak", server.alice)
    embed = embed_of(ny_view)
    # Saturday 28 Feb and Sunday 1 March in New York: two days, studied today (Sunday).
    breaks = int(datetime(2026, 3, 3, 5, 0, tzinfo=UTC).timestamp())  # Monday's end in New York
    assert fields(embed)["Study streak in this server"] == (
        f"**2 days** · best 2 days\nDone for today. It breaks <t:{breaks}:R> if a day is skipped."
    )
    assert embed["footer"]["text"] == "Days counted in America/New_York"


async def test_streak_in_dms_is_the_global_study_streak(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    now = clock.now
    await seed(runner, server.alice.id, "alice", now - timedelta(days=1), guild_id=server.guild.id)
    await seed(runner, server.alice.id, "alice", now, guild_id=None)
    dm = fake.open_dm(server.alice)
    it = await fake.invoke_slash("streak", {}, user=server.alice, channel=dm)
    await it.wait_final()
    assert fields(embed_of(it)) == {
        "Study streak (everywhere)": (
            "**2 days** · best 2 days\nDone for today. It breaks "
            f"<t:{int(datetime(2026, 3, 4, tzinfo=UTC).timestamp())}:R> if a day is skipped."
        ),
        "Daily challenge streak": "Daily challenges are per server.",
    }


# --- /stats -----------------------------------------------------------------------------------


async def test_stats_show_totals_weakest_topics_and_activity(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    now = clock.now
    guild = server.guild.id
    endpoints, lambda_cards = TOPIC_CARDS[DECK.topics[0]], TOPIC_CARDS["Serverless ML with Lambda"]
    await seed(runner, server.alice.id, "alice", now, guild_id=guild, card_id=endpoints[0], count=3)
    await seed(
        runner, server.alice.id, "alice", now, guild_id=guild, card_id=endpoints[1], correct=False
    )
    await seed(
        runner,
        server.alice.id,
        "alice",
        now - timedelta(days=1),
        guild_id=guild,
        card_id=lambda_cards[0],
        correct=False,
        count=2,
    )
    await seed(
        runner,
        server.alice.id,
        "alice",
        now - timedelta(days=1),
        guild_id=guild,
        card_id=lambda_cards[0],
    )
    await seed(
        runner,
        server.alice.id,
        "alice",
        now - timedelta(days=40),
        guild_id=guild,
        mode="flashcard",
        count=4,
    )
    await seed(
        runner, server.alice.id, "alice", now, guild_id=None, count=7
    )  # DMs: not this server
    it = await slash(fake, server, "stats", server.bob, user=server.alice)
    assert it.ephemeral
    embed = embed_of(it)
    assert embed["title"] == "Stats of alice"
    shown = fields(embed)
    assert shown["Answers"] == "11"
    assert shown["Accuracy"] == "57.1% (4/7 judged)"
    assert shown["Points"] == "4"
    assert shown["Study streak"] == "2 days · best 2 days"
    assert shown["Daily streak"] == "0 · best 0"
    topics = shown[f"Topics of {DECK.title}, weakest first"].split("\n")
    assert topics[:2] == [
        "33.3% · Serverless ML with Lambda (1/3)",
        f"75.0% · {DECK.topics[0]} (3/4)",
    ]
    assert topics[2].startswith("Not quizzed yet: ")
    activity = shown["Last 30 days"].split("\n")
    assert activity[0] == "`" + "·" * 28 + "▆█`"
    assert activity[1] == "Feb 01 → Mar 02 · active on 2 of 30 days · 7 answers"


# --- /season start ----------------------------------------------------------------------------


async def test_season_start_is_for_server_managers_only(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    command = next(c for c in fake.commands() if c["name"] == "season")
    assert command["default_member_permissions"] == str(
        discord.Permissions(manage_guild=True).value
    )
    assert command["dm_permission"] is False  # servers only
    # Discord hides it from members without Manage Server ...
    with pytest.raises(DriverError, match="cannot see /season"):
        await fake.invoke_slash("season start", {}, user=server.alice, channel=server.channel)
    # ... unless the server opened it to them in its integration settings; the bot checks again.
    fake.registry.edit(None, int(command["id"]), {"default_member_permissions": None})
    refused = await slash(fake, server, "season start", server.alice)
    assert refused.ephemeral
    assert refused.message is not None
    assert (
        refused.message["content"] == "You need the manage server permission to use this command."
    )
    assert count_rows(runner.database, "SELECT COUNT(*) FROM seasons") == 0


async def test_a_confirmed_season_restarts_the_boards_and_keeps_the_answers(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    guild = server.guild.id
    await seed(runner, server.alice.id, "alice", clock.now, guild_id=guild, count=4)
    clock.advance(hours=1)
    prompt = await slash(fake, server, "season start", server.admin)
    assert prompt.ephemeral and prompt.message is not None
    assert embed_of(prompt)["title"] == "Start a new leaderboard season?"
    assert buttons(prompt.message) == [("Start the new season", False), ("Cancel", False)]
    clock.advance(seconds=10)
    confirmed = await fake.click(prompt.message, "Start the new season", user=server.admin)
    await confirmed.wait_final()
    assert confirmed.message is not None
    started = int(clock.now.timestamp())
    assert confirmed.message["content"] == (
        f"Season 1 started <t:{started}:f>. Leaderboards count from now; earlier answers are kept."
    )
    assert buttons(confirmed.message) == []
    assert (
        count_rows(runner.database, "SELECT COUNT(*) FROM seasons WHERE guild_id = ?", guild) == 1
    )
    assert count_rows(runner.database, "SELECT COUNT(*) FROM answers") == 4

    board = await slash(fake, server, "leaderboard", server.alice)
    embed = embed_of(board)
    assert embed["title"] == "Points · season 1"
    assert embed["description"].startswith("Nobody has scored points (season 1) yet.")
    assert embed["footer"]["text"] == "Page 1 of 1 · days in UTC · season 1 since 2026-03-02"
    clock.advance(minutes=1)
    await seed(runner, server.bob.id, "bob", clock.now, guild_id=guild)
    board = await slash(fake, server, "leaderboard", server.alice)
    assert embed_of(board)["description"] == "**1.** bob — 1 point"
    stats = await slash(fake, server, "stats", server.alice)
    assert fields(embed_of(stats))["Points"] == "0 in season 1 · 4 in all"


async def test_a_cancelled_season_changes_nothing(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    prompt = await slash(fake, server, "season start", server.admin)
    assert prompt.message is not None
    cancelled = await fake.click(prompt.message, "Cancel", user=server.admin)
    await cancelled.wait_final()
    assert cancelled.message is not None
    assert cancelled.message["content"] == "No new season: the current one goes on."
    assert count_rows(runner.database, "SELECT COUNT(*) FROM seasons") == 0


# --- /forgetme --------------------------------------------------------------------------------


def _data_of(database: Path | str, user_id: int) -> dict[str, int]:
    """Rows about the user in every table that has a user_id column, and their profile."""
    if isinstance(database, Path):
        tables = [
            str(name)
            for (name,) in rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'")
            if any(col[1] == "user_id" for col in rows(database, f"PRAGMA table_info({name})"))
        ]
    else:
        tables = [
            str(name)
            for (name,) in rows(
                database,
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'user_id'",
            )
        ]
    found = {"users": count_rows(database, "SELECT COUNT(*) FROM users WHERE id = ?", user_id)}
    for table in tables:
        found[table] = count_rows(
            database, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", user_id
        )
    return found


async def test_forgetme_deletes_exactly_the_callers_data(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    guild = server.guild.id
    for member in (server.alice, server.bob):
        quiz = await fake.invoke_slash(
            "quiz", {"questions": 1}, user=member, channel=server.channel
        )
        await quiz.wait_response()
        assert quiz.message is not None
        done = await fake.click(quiz.message, right_letter(quiz.message), user=member)
        await done.wait_response()
        # More answers on the card the quiz asked (drawn at random), so both members end
        # with the same rows in every table, review states included.
        ((card_id,),) = rows(
            runner.database, "SELECT card_id FROM answers WHERE user_id = ?", member.id
        )
        name = member.user.username
        await seed(runner, member.id, name, clock.now, guild_id=None, card_id=card_id, count=2)
        await seed(runner, member.id, name, clock.now, guild_id=4242, card_id=card_id)
        await seed_daily_streak(db_of(runner), guild, member.id, StreakState(1, 1, None), clock.now)
    bob_before = _data_of(runner.database, server.bob.id)
    assert {
        table: bob_before[table]
        for table in ("answers", "quiz_sessions", "daily_streaks", "season_totals", "users")
    } == {"answers": 4, "quiz_sessions": 1, "daily_streaks": 1, "season_totals": 2, "users": 1}
    assert _data_of(runner.database, server.alice.id) == bob_before

    prompt = await slash(fake, server, "forgetme", server.alice)
    assert prompt.ephemeral and prompt.message is not None
    assert embed_of(prompt)["description"].split("\n")[:5] == [
        "This deletes, in every server and in DMs:",
        "• 4 answers (2 servers and 2 answers in DMs)",
        "• 1 quiz session",
        "• daily challenge streaks in 1 server",
        "• your profile: stored name and settings, with your card review schedule",
    ]
    assert buttons(prompt.message) == [("Delete everything", False), ("Keep it", False)]
    deleted = await fake.click(prompt.message, "Delete everything", user=server.alice)
    await deleted.wait_final()
    assert deleted.message is not None
    assert deleted.message["content"] == (
        "Deleted:\n• 4 answers (2 servers and 2 answers in DMs)\n• 1 quiz session\n"
        "• daily challenge streaks in 1 server\n"
        "• your profile: stored name and settings, with your card review schedule\n\n"
        "Using the bot again starts from zero."
    )
    assert _data_of(runner.database, server.alice.id) == dict.fromkeys(bob_before, 0)
    assert _data_of(runner.database, server.bob.id) == bob_before
    board = await slash(fake, server, "leaderboard", server.bob)
    assert embed_of(board)["description"] == "__**1.** bob — 1 point__"

    again = await slash(fake, server, "forgetme", server.alice)
    assert again.message is not None
    assert again.message["content"] == "I store nothing about you: there is nothing to delete."


async def test_forgetme_can_be_called_off(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await seed(runner, server.alice.id, "alice", clock.now, guild_id=server.guild.id)
    prompt = await slash(fake, server, "forgetme", server.alice)
    assert prompt.message is not None
    kept = await fake.click(prompt.message, "Keep it", user=server.alice)
    await kept.wait_final()
    assert kept.message is not None and kept.message["content"] == "Nothing was deleted."
    assert _data_of(runner.database, server.alice.id)["answers"] == 1
