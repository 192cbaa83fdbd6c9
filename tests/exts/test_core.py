"""The bot's core through the loopback Discord API: connect, sync, errors, reconnects."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import RETIRED_BUTTON, QuizBot, command_tree_hash
from bot.interactions import APOLOGY, RESTARTING
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.fakediscord.interactions import UPDATE_MESSAGE
from tests.harness import BotRunner
from tests.helpers.database import answers
from tests.helpers.quiz import press, right_letter, start_quiz

EXPECTED_COMMANDS = {"decks", "quiz"}


async def test_connects_without_privileged_intents_and_syncs_globally(
    fake: FakeDiscord, runner: BotRunner
) -> None:
    identify = fake.identify_payloads[-1]
    intents = discord.Intents.none()
    intents.value = identify["intents"]
    assert intents.guilds
    assert not (intents.members or intents.presences or intents.message_content)
    assert {c["name"] for c in fake.commands()} >= EXPECTED_COMMANDS
    assert runner.bot is not None and runner.bot.synced == "global"


async def test_an_unchanged_tree_is_not_synced_again_after_a_restart(
    fake: FakeDiscord, runner: BotRunner
) -> None:
    syncs_before = len(fake.requests_to("PUT", "/applications/{application_id}/commands"))
    assert syncs_before == 1
    bot = await runner.restart()
    assert bot.synced == "unchanged"
    assert len(fake.requests_to("PUT", "/applications/{application_id}/commands")) == 1


async def test_a_changed_tree_is_synced_and_a_forced_sync_always_is(
    fake: FakeDiscord, runner: BotRunner
) -> None:
    assert runner.db is not None
    bot = runner.bot
    assert bot is not None
    await runner.db.state.set("global_commands_hash", "stale", runner.clock())
    bot = await runner.restart()
    assert bot.synced == "global"
    await runner.stop()
    bot = await runner.start(force_global_sync=True)
    assert bot.synced == "global"
    assert len(fake.requests_to("PUT", "/applications/{application_id}/commands")) == 3
    assert runner.db is not None
    assert await runner.db.state.get("global_commands_hash") == command_tree_hash(bot.tree)


async def test_dev_guild_sync_copies_commands_to_that_guild_only(
    fake: FakeDiscord, server: StudyServer, tmp_path: Path
) -> None:
    runner = BotRunner(fake, tmp_path / "dev.sqlite3", dev_guild_id=server.guild.id)
    await runner.start()
    try:
        await fake.wait_commands_synced(scope=server.guild.id)
        assert {c["name"] for c in fake.commands(server.guild.id)} >= EXPECTED_COMMANDS
        assert fake.commands() == []
        assert runner.bot is not None and runner.bot.synced == "guild"
    finally:
        await runner.stop()


async def test_decks_list(fake: FakeDiscord, server: StudyServer, runner: BotRunner) -> None:
    it = await fake.invoke_slash("decks list", {}, user=server.alice, channel=server.channel)
    await it.wait_response()
    assert it.ephemeral
    embed = it.message["embeds"][0]
    assert embed["title"] == "Flashcard decks"
    field = embed["fields"][0]
    assert field["name"] == "AWS MLA-C01: Deployment and Operationalization"
    assert "`aws-mla-c01-deployment` · 39 cards" in field["value"]
    assert "Serverless ML with Lambda" in field["value"]


async def test_decks_info_shows_topics_and_progress(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await fake.invoke_slash(
        "decks info", {"deck": "aws-mla-c01-deployment"}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    embed = it.message["embeds"][0]
    assert embed["description"].startswith("Flashcards for the AWS Machine Learning Engineer")
    topics = embed["fields"][0]
    assert topics["name"] == "Topics (39 cards)"
    assert "12 · SageMaker endpoints & scaling" in topics["value"]
    assert all(f["name"] != "Your progress" for f in embed["fields"])


async def test_decks_info_unknown_deck_suggests(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    it = await fake.invoke_slash(
        "decks info", {"deck": "aws-mla-c01-deploy"}, user=server.alice, channel=server.channel
    )
    await it.wait_response()
    assert it.ephemeral
    assert it.message["content"] == (
        "There is no deck called `aws-mla-c01-deploy`. Did you mean `aws-mla-c01-deployment`? "
        "`/decks list` shows them all."
    )


async def test_deck_autocomplete_is_fuzzy(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    choices = await fake.autocomplete(
        "decks info",
        {"deck": "deploymnt"},
        focused="deck",
        user=server.alice,
        channel=server.channel,
    )
    assert [c["value"] for c in choices] == ["aws-mla-c01-deployment"]
    assert (
        await fake.autocomplete(
            "decks info",
            {"deck": "zzzzqqq"},
            focused="deck",
            user=server.alice,
            channel=server.channel,
        )
        == []
    )


async def test_an_exception_ends_in_an_apology_and_a_log_line(
    fake: FakeDiscord,
    server: StudyServer,
    runner: BotRunner,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runner.db is not None

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runner.db.stats, "deck_progress", broken)
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        it = await fake.invoke_slash(
            "decks info",
            {"deck": "aws-mla-c01-deployment"},
            user=server.alice,
            channel=server.channel,
        )
        await it.wait_response()
    assert it.ephemeral and it.message["content"] == APOLOGY
    record = next(r for r in caplog.records if "command /decks info failed" in r.getMessage())
    assert "aws-mla-c01-deployment" in record.getMessage()
    assert record.exc_info is not None and "disk on fire" in str(record.exc_info[1])


async def test_a_button_nothing_handles_any_more_gets_a_polite_answer(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    """A message of an older version, whose custom_ids no handler knows any more."""
    assert runner.bot is not None
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Show answer", custom_id="flip:2f9c:show"))
    view.stop()  # drawn only: nothing in this process takes its clicks
    channel = runner.bot.get_partial_messageable(server.channel.id)
    sent = await channel.send("Question 3 of 10", view=view)
    message = fake.message(sent.id)
    assert message is not None
    it = await fake.click(message, "Show answer", user=server.alice)
    await it.wait_response()
    assert it.ephemeral and it.message["content"] == RETIRED_BUTTON
    # A live quiz button gets its own answer, not that one as well.
    start = await fake.invoke_slash(
        "quiz", {"questions": 2}, user=server.bob, channel=server.channel
    )
    await start.wait_response()
    click = await fake.click(start.message, "A", user=server.bob)
    await click.wait_response()
    assert click.response_type == UPDATE_MESSAGE and click.refusals == []


def _subclasses(cls: type) -> list[type]:
    return [sub for child in cls.__subclasses__() for sub in (child, *_subclasses(child))]


async def test_every_modal_is_answered_through_a_route(runner: BotRunner) -> None:
    """The client answers a modal submit no route takes (forged, or of an older version).
    That is right only while no modal of ours answers in its own `on_submit`."""
    ours = [m for m in _subclasses(discord.ui.Modal) if m.__module__.startswith("bot.")]
    assert ours, "the extensions define no modal any more; drop this test"
    assert [m for m in ours if m.on_submit is not discord.ui.Modal.on_submit] == []


async def test_a_dropped_connection_and_a_reconnect_request_are_survived(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    await fake.drop_connection(resumable=True)
    await fake.wait_until(lambda: fake.resume_count >= 1, timeout=10)
    it = await fake.invoke_slash("decks list", {}, user=server.alice, channel=server.channel)
    await it.wait_response()
    assert it.message["embeds"][0]["title"] == "Flashcard decks"

    await fake.request_reconnect()
    await fake.wait_until(lambda: fake.resume_count >= 2, timeout=10)
    it = await fake.invoke_slash("decks list", {}, user=server.bob, channel=server.channel)
    await it.wait_response()
    assert it.message["embeds"][0]["title"] == "Flashcard decks"


async def test_shutdown_refuses_new_commands_and_clicks_politely(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    bot: QuizBot | None = runner.bot
    assert bot is not None
    question = await start_quiz(fake, server, server.alice)
    bot.shutting_down = True
    it = await fake.invoke_slash("decks list", {}, user=server.alice, channel=server.channel)
    await it.wait_response()
    assert it.ephemeral and it.message["content"] == RESTARTING
    # A click too: no answer is stored, the question stays, and it can be answered later.
    click = await press(fake, question.message, right_letter(question.message), server.alice)
    assert click.ephemeral and click.message["content"] == RESTARTING
    assert answers(runner.database) == []
    bot.shutting_down = False
    click = await press(fake, question.message, right_letter(question.message), server.alice)
    assert click.response_type == UPDATE_MESSAGE
    assert len(answers(runner.database)) == 1


async def test_buttons_of_messages_sent_by_an_earlier_version_still_work(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    """Each button family's custom_id, written out as messages already in channels carry
    it: changing a format would break those buttons."""
    assert runner.bot is not None
    alice, admin = server.alice.id, server.admin.id
    answers_by_custom_id = {
        "quiz:0a1b2c3d4e5f:0:a": "This quiz no longer exists.",
        "daily:987654321:b": "This challenge no longer exists.",
        f"forget:no:{alice}": "Nothing was deleted.",
        f"forget:go:{admin}": "This button belongs to someone else. Run `/forgetme` yourself.",
        f"season:no:{alice}:1772442000000": "You need the manage server permission",
        "decks-remove:gre-words:no": "You need the manage server permission",
    }
    channel = runner.bot.get_partial_messageable(server.channel.id)

    async def older_message(custom_id: str) -> dict[str, Any]:
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Go", custom_id=custom_id))
        view.stop()  # drawn only: the click goes to the button's family
        sent = await channel.send("An older message", view=view)
        message = fake.message(sent.id)
        assert message is not None
        return message

    for custom_id, expected in answers_by_custom_id.items():
        it = await fake.click(await older_message(custom_id), custom_id, user=server.alice)
        await it.wait_response()
        assert it.refusals == []
        assert (it.message.get("content") or "").startswith(expected), custom_id
    # Someone else's leaderboard pages into a private copy of the viewer's own.
    custom_id = f"lb:points:week:0:{admin}:n"
    it = await fake.click(await older_message(custom_id), custom_id, user=server.alice)
    await it.wait_final()
    assert it.ephemeral and it.message is not None and it.refusals == []
    rows = it.message["components"]
    assert [b["label"] for row in rows for b in row["components"]] == ["Previous", "Next"]
