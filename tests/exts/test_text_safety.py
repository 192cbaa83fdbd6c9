"""Text from decks and members in the bot's messages: it pings nobody, and it is shown as
written, never as markdown, mentions or links."""

from __future__ import annotations

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
