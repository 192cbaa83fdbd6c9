"""Text from decks and members in the bot's messages: it pings nobody, and it is shown as
written, never as markdown, mentions or links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, Member, RecordedRequest
from tests.harness import BotRunner

ROLE_MENTION = "<@&{}>"


def message_bodies(fake: FakeDiscord) -> Iterator[tuple[RecordedRequest, dict[str, Any]]]:
    """Every message the bot sent or edited, with the request that carried it."""
    for request in fake.requests:
        if request.method not in ("POST", "PATCH") or not isinstance(request.json, dict):
            continue
        route = request.route or ""
        if route.endswith("/callback"):
            body = request.json.get("data")
            if request.json.get("type") in (4, 7) and isinstance(body, dict):
                yield request, body
        elif "/messages" in route or route.startswith("/webhooks/"):
            yield request, request.json


def pings_nobody(body: dict[str, Any]) -> bool:
    allowed = body.get("allowed_mentions")
    return (
        allowed is not None
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
    )


async def slash(
    fake: FakeDiscord, command: str, user: Member, server: StudyServer, **options: Any
) -> dict[str, Any]:
    it = await fake.invoke_slash(command, options, user=user, channel=server.channel)
    await it.wait_final()
    message = it.message or (it.followups[-1] if it.followups else None)
    assert message is not None
    return message


async def test_only_the_daily_post_may_ping_and_only_its_own_role(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    role = fake.add_role(server.guild.id, "quizzers")
    await fake.sync_gateway()
    mention = ROLE_MENTION.format(role.id)
    setup = await slash(
        fake, "daily setup", server.admin, server, channel=server.channel, time="09:00", role=role
    )
    assert mention in setup["content"]  # says which role the posts mention...
    assert setup["mention_roles"] == []  # ...without pinging it
    await slash(fake, "daily post", server.admin, server)
    post = await fake.wait_for_message(server.channel)
    assert post["mention_roles"] == [str(role.id)]
    # A member's reply quoting what they typed pings nobody either.
    echoed = f"{mention} @everyone <@{server.bob.id}>"
    reply = await slash(fake, "quiz", server.alice, server, topic=echoed)
    assert "no topic" in reply["content"]
    assert (reply["mention_roles"], reply["mentions"], reply["mention_everyone"]) == ([], [], False)

    sent = list(message_bodies(fake))
    daily_posts = [body for _request, body in sent if body.get("content", "").startswith(mention)]
    assert len(daily_posts) == 1
    allowed = daily_posts[0]["allowed_mentions"]
    assert allowed["parse"] == [] and [str(r) for r in allowed["roles"]] == [str(role.id)]
    others = [(r.method, r.route, body) for r, body in sent if body is not daily_posts[0]]
    assert len(others) >= 3
    assert [o for o in others if not pings_nobody(o[2])] == []


async def test_one_of_a_thing_is_written_as_one(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    reply = await slash(fake, "settings new-cards-per-day", server.alice, server, count=1)
    assert reply["content"].startswith("`/review` now starts up to **1 new card** a day,")


def hostile_deck(role_id: int) -> bytes:
    """Four cards whose every text is markdown, a mention or a masked link."""
    rows = [
        f"Fourth **question** {n}\tAnswer_{n} <@&{role_id}> [site](https://evil.example/{n})"
        for n in range(1, 5)
    ]
    return "\n".join(rows).encode()


FRONT = re.compile(r"^\*\*Fourth \\\*\\\*question\\\*\\\* [1-4]\*\*\n\n", re.MULTILINE)
UNESCAPED_MENTION = re.compile(r"(?<!\\)<[@#]")


async def test_deck_text_is_shown_as_written_never_as_markdown_or_mentions(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    role = fake.add_role(server.guild.id, "quizzers")
    await fake.sync_gateway()
    title = f"<@&{role.id}> **Deck**"
    file = fake.upload("hostile.tsv", hostile_deck(role.id))
    imported = await slash(
        fake, "decks import", server.admin, server, file=file, id="hostile", title=title
    )
    assert imported["embeds"][0]["title"] == f"Imported: \\<\\@&{role.id}> \\*\\*Deck\\*\\*"

    # The daily post: the card's ** does not end the bold around it; options show as written.
    await slash(
        fake,
        "daily setup",
        server.admin,
        server,
        channel=server.channel,
        time="09:00",
        deck="hostile",
    )
    await slash(fake, "daily post", server.admin, server)
    post = await fake.wait_for_message(server.channel)
    description = post["embeds"][0]["description"]
    assert FRONT.match(description), description
    options = re.findall(r"^\*\*[ABCD]\.\*\* (.*)$", description, re.MULTILINE)
    assert len(options) == 4
    for option in options:
        assert re.fullmatch(
            rf"Answer\\_[1-4] \\<\\@&{role.id}> \\\[site\]\(https://evil\.example/[1-4]\)", option
        ), option

    # A flashcard: front and back, escaped the same way.
    card = await slash(fake, "quiz", server.alice, server, deck="hostile", mode="flashcard")
    assert FRONT.match(card["embeds"][0]["description"])

    # The remove confirmation names the deck by its title, a role mention that is not one.
    confirm = await slash(fake, "decks remove", server.admin, server, deck="hostile")
    assert confirm["content"].startswith(
        f"Remove **\\<\\@&{role.id}> \\*\\*Deck\\*\\*** (`hostile`, 4 cards) from this server?"
    )
    listed = await slash(fake, "decks list", server.alice, server)
    info = await slash(fake, "decks info", server.alice, server, deck="hostile")
    texts = [confirm["content"], description, card["embeds"][0]["description"]]
    for embed in listed["embeds"] + info["embeds"]:
        texts += [embed.get("title", ""), embed.get("description", "")]
        texts += [f["name"] + f["value"] for f in embed.get("fields", [])]
    assert [t for t in texts if UNESCAPED_MENTION.search(t)] == []


async def test_a_member_name_is_shown_as_written_without_direction_controls(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    role = fake.add_role(server.guild.id, "quizzers")
    nick = f"<@&{role.id}> **boss**\u202eexe.gnp\u2066"
    mallory = fake.add_member(server.guild.id, "mallory", nick=nick)
    await fake.sync_gateway()
    await slash(fake, "daily setup", server.admin, server, channel=server.channel, time="09:00")
    await slash(fake, "daily post", server.admin, server)
    post = await fake.wait_for_message(server.channel)
    assert runner.db is not None
    challenge = await runner.db.daily.latest(server.guild.id)
    assert challenge is not None
    click = await fake.click(post, challenge.question.correct_letter, user=mallory)
    await click.wait_final()

    board = await slash(fake, "leaderboard", mallory, server)
    line = board["embeds"][0]["description"]
    assert f"\\<\\@&{role.id}> \\*\\*boss\\*\\*exe.gnp —" in line, line
    assert not UNESCAPED_MENTION.search(line)
    assert not set(line) & {"\u202e", "\u2066"}
    stats = await slash(fake, "stats", mallory, server)
    assert stats["embeds"][0]["title"] == f"Stats of \\<\\@&{role.id}> \\*\\*boss\\*\\*exe.gnp"
