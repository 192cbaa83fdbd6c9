"""/stats pictures, /readiness and exam dates through the loopback Discord API."""

from __future__ import annotations

import asyncio
import io
import itertools
import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from bot import charts
from bot.domain.decks import load_deck_file
from bot.domain.readiness import readiness
from bot.exts.stats._picture import Picture, PictureInput, draw_stats
from bot.storage import Database, NewAnswer
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, InteractionHandle, Member
from tests.harness import SHIPPED_DECKS, BotRunner, FakeClock
from tests.helpers.database import exam_dates
from tests.helpers.quiz import right_letter

pytestmark = pytest.mark.engines

DECK = load_deck_file(SHIPPED_DECKS / "aws-mla-c01-deployment.yaml")
_sessions = itertools.count(1)


def db_of(runner: BotRunner) -> Database:
    assert runner.db is not None
    return runner.db


async def seed(
    runner: BotRunner, member: Member, at: datetime, guild_id: int, *, cards: int = 1
) -> None:
    """Right multiple-choice answers to the deck's first ``cards`` cards, as the quiz
    stores them (each with its review)."""
    db = db_of(runner)
    await db.members.upsert_user(member.id, member.user.username, at)
    await db.members.upsert_guild(guild_id, "Study Hall", at)
    for card in DECK.cards[:cards]:
        stored = await db.answers.record(
            NewAnswer(
                user_id=member.id,
                guild_id=guild_id,
                deck_id=DECK.id,
                card_id=card.id,
                mode="multiple-choice",
                correct=True,
                answered_at=at,
                points=1,
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


def message_of(it: InteractionHandle) -> dict[str, Any]:
    assert it.message is not None
    return it.message


def picture_of(fake: FakeDiscord, it: InteractionHandle, name: str) -> tuple[bytes, str]:
    [attachment] = message_of(it)["attachments"]
    assert attachment["filename"] == name
    return fake.attachment_data(attachment), str(attachment.get("description") or "")


def colour_at(png: bytes, box: tuple[int, int, int, int]) -> tuple[int, ...]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return tuple(image.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)))  # type: ignore[arg-type]


# -- /stats ------------------------------------------------------------------------------


async def test_stats_attaches_a_picture_of_the_year_with_alt_text(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    studied = clock.now - timedelta(days=3)
    await seed(runner, server.alice, studied, server.guild.id, cards=5)
    it = await slash(fake, server, "stats", server.alice)
    message = message_of(it)
    assert it.ephemeral
    assert message["embeds"][0]["title"] == "Stats of alice"  # the text stays
    png, alt_text = picture_of(fake, it, "stats.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert alt_text.startswith("Charts: 5 answers on 1 day of the past year")
    shown = charts.StatsPicture(
        date(2026, 3, 2), {}, [charts.TopicBar("t", None, 0)] * len(DECK.topics), "d", "UTC"
    )
    assert Image.open(io.BytesIO(png)).size == charts.stats_size(shown)
    today = clock.now.date()  # days in UTC: neither alice nor the server set a zone
    assert colour_at(png, charts.cell_box(today, studied.date())) in charts.CELL_LEVELS
    idle = studied.date() - timedelta(days=1)
    assert colour_at(png, charts.cell_box(today, idle)) == charts.EMPTY_CELL


async def test_stats_of_a_member_without_answers_has_no_picture(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await slash(fake, server, "stats", server.bob)
    message = message_of(it)
    assert message["attachments"] == []
    assert message["content"].startswith("You have no answers here yet")
    assert message["embeds"]


async def test_a_click_is_answered_while_the_picture_is_drawn(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    for day in range(0, 360, 3):
        await seed(runner, server.alice, clock.now - timedelta(days=day), server.guild.id, cards=8)
    quiz = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.bob, channel=server.channel
    )
    await quiz.wait_response()
    entered, release = threading.Event(), threading.Event()

    def held_draw(given: PictureInput) -> Picture:
        entered.set()
        assert release.wait(timeout=30), "the test never released the drawing"
        return draw_stats(given)

    assert runner.bot is not None
    stats_cog: Any = runner.bot.get_cog("Stats")
    stats_cog.draw = held_draw
    stats = await fake.invoke_slash("stats", {}, user=server.alice, channel=server.channel)
    assert await asyncio.to_thread(entered.wait, 10)
    # The drawing is held; the event loop must still answer bob's click.
    click = await fake.click(message_of(quiz), right_letter(message_of(quiz)), user=server.bob)
    await click.wait_response()
    assert "✅" in message_of(click)["embeds"][0]["description"]
    assert not stats.acknowledged  # /stats is still drawing
    release.set()
    await stats.wait_final()
    png, alt_text = picture_of(fake, stats, "stats.png")
    assert png.startswith(b"\x89PNG") and alt_text


# -- /readiness ----------------------------------------------------------------------------


async def test_readiness_shows_recall_per_topic_and_starts_the_weakest(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await seed(runner, server.alice, clock.now - timedelta(days=2), server.guild.id, cards=10)
    it = await slash(fake, server, "readiness", server.alice)
    assert it.ephemeral
    message = message_of(it)
    [embed] = message["embeds"]
    states = await db_of(runner).reviews.states(server.alice.id, DECK.id)
    found = readiness(DECK, states, now=clock.now)
    assert 0 < found.overall < 1
    assert f"If the exam were today: **{found.overall * 100:.0f}%**" in embed["description"]
    assert "weighted by each topic's card count" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    for topic in found.topics:
        assert (
            f"{topic.topic} · seen {topic.seen}/{topic.cards}"
            in (fields["Predicted recall now, by topic"])
        )
    assert "`/settings exam-date`" in fields["Exam plan"]
    png, alt_text = picture_of(fake, it, "readiness.png")
    assert Image.open(io.BytesIO(png)).size == charts.readiness_size(list(found.topics))
    assert alt_text.startswith("Bar chart of predicted recall per topic")
    labels = [c["label"] for row in message["components"] for c in row["components"]]
    weakest = [t.topic for t in found.weakest()]
    assert labels == [f"Study this: {topic}" for topic in weakest]

    study = await fake.click(message, labels[0], user=server.alice)
    await study.wait_response()
    session = await db_of(runner).sessions.active(server.alice.id)
    assert session is not None
    assert (session.topic, session.mode) == (weakest[0], "flashcard")
    assert study.ephemeral and "Show answer" in [
        c["label"] for row in message_of(study)["components"] for c in row["components"]
    ]


async def test_exam_date_errors_are_private_and_store_nothing(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    for text, says in (
        ("2026-03-01", "`2026-03-01` is in the past (today is 2026-03-02 in your time zone)"),
        ("2026-02-30", "`2026-02-30` is not a date on the calendar"),
        ("next week", "Write the exam date as YYYY-MM-DD"),
    ):
        it = await slash(fake, server, "settings exam-date", server.alice, date=text)
        assert it.ephemeral
        assert says in message_of(it)["content"]
    assert exam_dates(db_of(runner), server.alice.id) == []


async def test_an_exam_date_brings_a_plan_and_forgetme_deletes_it(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, clock: FakeClock
) -> None:
    await seed(runner, server.alice, clock.now - timedelta(days=1), server.guild.id, cards=3)
    it = await slash(fake, server, "settings exam-date", server.alice, date="2026-04-01")
    assert it.ephemeral
    assert "is on Wednesday 01 April 2026, in 30 days" in message_of(it)["content"]
    await slash(fake, server, "settings exam-date", server.bob, date="2026-05-01")
    assert await db_of(runner).progress.exam_date(server.alice.id, DECK.id) == date(2026, 4, 1)

    shown = await slash(fake, server, "readiness", server.alice)
    plan = {f["name"]: f["value"] for f in message_of(shown)["embeds"][0]["fields"]}["Exam plan"]
    unseen = len(DECK.cards) - 3
    assert plan.startswith("**30 days** left until Wednesday 01 April 2026.")
    assert "reviews a day** keep every card at 90% retention on that day" in plan
    assert f"**{-(-unseen // 30)} new cards a day** to see the {unseen} cards" in plan

    prompt = await slash(fake, server, "forgetme", server.alice)
    assert "• 1 exam date" in message_of(prompt)["embeds"][0]["description"]
    done = await fake.click(message_of(prompt), "Delete everything", user=server.alice)
    await done.wait_response()
    assert "• 1 exam date" in message_of(done)["content"]
    assert exam_dates(db_of(runner), server.alice.id) == []
    assert [e.day for e in exam_dates(db_of(runner), server.bob.id)] == [date(2026, 5, 1)]
