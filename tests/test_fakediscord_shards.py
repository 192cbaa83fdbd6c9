"""The fake Discord's shards: sessions per shard, event routing, IDENTIFY limits, the
global rate limit shared by every client of one token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.gateway import (
    CLOSE_INVALID_SHARD,
    CLOSE_RATE_LIMITED,
    DISPATCH,
    HEARTBEAT_ACK,
    IDENTIFY,
    INVALID_SESSION,
    shard_of,
)

INTENT_GUILDS = 1


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


class Shard:
    """A raw gateway client that IDENTIFYs as one shard and collects what it gets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    async def next(self, timeout: float = 5.0) -> dict[str, Any] | int:
        """The next frame, or the close code when the server closed."""
        message = await self.ws.receive(timeout)
        if message.type is aiohttp.WSMsgType.TEXT:
            frame: dict[str, Any] = json.loads(message.data)
            self.frames.append(frame)
            return frame
        return self.ws.close_code or 0

    async def events_until_quiet(self) -> list[tuple[str, dict[str, Any]]]:
        """Dispatches received until a heartbeat's ACK (the server sends in order)."""
        await self.ws.send_json({"op": 1, "d": None})
        events: list[tuple[str, dict[str, Any]]] = []
        while True:
            frame = await self.next()
            assert isinstance(frame, dict), frame
            if frame["op"] == HEARTBEAT_ACK:
                return events
            if frame["op"] == DISPATCH:
                events.append((frame["t"], frame["d"]))


async def identify(
    fake: FakeDiscord, http: aiohttp.ClientSession, shard: list[int] | None
) -> Shard:
    ws = await http.ws_connect(fake.endpoint_urls()[1])
    client = Shard(ws)
    await client.next()  # HELLO
    data: dict[str, Any] = {"token": fake.token, "intents": INTENT_GUILDS, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": IDENTIFY, "d": data})
    return client


def guild_ids(events: list[tuple[str, dict[str, Any]]], name: str = "GUILD_CREATE") -> set[int]:
    return {int(d["id"]) for t, d in events if t == name}


async def test_gateway_bot_reports_shards_and_session_start_limit(fake: FakeDiscord) -> None:
    fake.recommend_shards(4)
    fake.set_session_start_limit(total=1000, remaining=37, max_concurrency=16)
    api = fake.endpoint_urls()[0]
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {fake.token}"}
        async with http.get(f"{api}/gateway/bot", headers=headers) as response:
            body = await response.json()
    assert body["shards"] == 4
    assert body["session_start_limit"] == {
        "total": 1000,
        "remaining": 37,
        "reset_after": 86_400_000,
        "max_concurrency": 16,
    }


async def test_each_shard_gets_its_own_session_and_only_its_servers(fake: FakeDiscord) -> None:
    on_zero = [fake.add_guild(f"zero {n}", shard=(0, 2)) for n in range(3)]
    on_one = [fake.add_guild(f"one {n}", shard=(1, 2)) for n in range(3)]
    assert {shard_of(g.id, 2) for g in on_zero} == {0}
    assert {shard_of(g.id, 2) for g in on_one} == {1}
    async with aiohttp.ClientSession() as http:
        zero = await identify(fake, http, [0, 2])
        one = await identify(fake, http, [1, 2])
        zero_events, one_events = await zero.events_until_quiet(), await one.events_until_quiet()
        ready = {t: d for t, d in zero_events}["READY"], {t: d for t, d in one_events}["READY"]
        assert ready[0]["session_id"] != ready[1]["session_id"]
        assert ready[1]["shard"] == [1, 2]
        assert {int(g["id"]) for g in ready[1]["guilds"]} == {g.id for g in on_one}
        assert guild_ids(zero_events) == {g.id for g in on_zero}
        assert guild_ids(one_events) == {g.id for g in on_one}
        assert fake.session_starts == 2

        # Later events of a server reach only its shard; a new server's too.
        fake.add_text_channel(on_one[0].id, "news")
        late = fake.add_guild("late", shard=(1, 2))
        zero_events, one_events = await zero.events_until_quiet(), await one.events_until_quiet()
        assert zero_events == []
        assert [t for t, _ in one_events] == ["CHANNEL_CREATE", "GUILD_CREATE"]
        assert guild_ids(one_events) == {late.id}


async def test_interactions_go_to_their_servers_shard_and_dms_to_shard_zero(
    fake: FakeDiscord,
) -> None:
    guild = fake.add_guild("on one", shard=(1, 2))
    channel = fake.add_text_channel(guild.id, "general")
    member = fake.add_member(guild.id, "alice")
    fake.registry.overwrite(None, [{"name": "ping", "description": "ping", "type": 1}])
    async with aiohttp.ClientSession() as http:
        zero = await identify(fake, http, [0, 2])
        one = await identify(fake, http, [1, 2])
        await zero.events_until_quiet(), await one.events_until_quiet()
        await fake.invoke_slash("ping", {}, user=member, channel=channel)
        await fake.invoke_slash("ping", {}, user=member, channel=fake.open_dm(member))
        zero_events, one_events = await zero.events_until_quiet(), await one.events_until_quiet()
    assert [(t, d.get("guild_id")) for t, d in one_events] == [
        ("INTERACTION_CREATE", str(guild.id))
    ]
    assert [(t, d.get("guild_id")) for t, d in zero_events] == [("INTERACTION_CREATE", None)]


async def test_identify_in_a_busy_bucket_is_closed_with_4008(fake: FakeDiscord) -> None:
    fake.set_session_start_limit(max_concurrency=2, identify_window=30.0)
    async with aiohttp.ClientSession() as http:
        first = await identify(fake, http, [0, 4])
        other_bucket = await identify(fake, http, [1, 4])
        same_bucket = await identify(fake, http, [2, 4])  # 2 % 2 == 0 % 2
        assert await same_bucket.next() == CLOSE_RATE_LIMITED
        for ok in (first, other_bucket):
            assert "READY" in [t for t, _ in await ok.events_until_quiet()]
    assert fake.identify_refusals == 1
    assert fake.session_starts == 2


async def test_identify_after_the_window_is_accepted(fake: FakeDiscord) -> None:
    fake.set_session_start_limit(max_concurrency=1, identify_window=0.2)
    async with aiohttp.ClientSession() as http:
        await (await identify(fake, http, [0, 2])).events_until_quiet()
        await asyncio.sleep(0.25)
        second = await identify(fake, http, [1, 2])
        assert "READY" in [t for t, _ in await second.events_until_quiet()]
    assert fake.identify_refusals == 0


async def test_spent_session_starts_get_invalid_session(fake: FakeDiscord) -> None:
    fake.set_session_start_limit(remaining=1)
    async with aiohttp.ClientSession() as http:
        await (await identify(fake, http, [0, 2])).events_until_quiet()
        refused = await identify(fake, http, [1, 2])
        frame = await refused.next()
    assert isinstance(frame, dict) and (frame["op"], frame["d"]) == (INVALID_SESSION, False)
    assert fake.session_starts == 1
    assert fake.gateway.limit.remaining == 0


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], "0,1"])
async def test_an_invalid_shard_is_closed_with_4010(fake: FakeDiscord, shard: Any) -> None:
    async with aiohttp.ClientSession() as http:
        client = await identify(fake, http, shard)
        assert await client.next() == CLOSE_INVALID_SHARD


async def test_the_global_limit_is_shared_by_every_client_of_the_token(fake: FakeDiscord) -> None:
    fake.set_global_limit(5)
    api = fake.endpoint_urls()[0]
    headers = {"Authorization": f"Bot {fake.token}"}
    statuses: list[int] = []
    # Two sessions stand for two processes of one bot.
    async with aiohttp.ClientSession() as one, aiohttp.ClientSession() as two:
        for http in (one, two, one, two, one, two, one, two):
            async with http.get(f"{api}/users/@me", headers=headers) as response:
                statuses.append(response.status)
    assert statuses.count(200) == 5
    assert statuses[5:] == [429, 429, 429]
    assert fake.rate_limited_count == 3
