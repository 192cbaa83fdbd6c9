"""A fake Discord API for end-to-end tests of a real, unmodified discord.py client.

The fake serves REST under ``/api/v10`` and the gateway websocket on 127.0.0.1 (random
port), holds a small world, records everything the bot does, and refuses what Discord would.

Setup::

    async with FakeDiscord() as fake:                     # or: await fake.start() / fake.stop()
        guild = fake.add_guild("Study Hall")               # the bot is a member
        chan = fake.add_text_channel(guild.id, "general")  # bot_permissions=... to restrict
        alice = fake.add_member(guild.id, "alice", permissions=Permissions(manage_guild=True))
        dm = fake.open_dm(alice)                           # also add_role(), add_user()
        with patch_discord_endpoints(fake):                # Route.BASE + DEFAULT_GATEWAY
            task = asyncio.create_task(client.start(fake.token))
            await fake.wait_ready()                        # READY + GUILD_CREATEs processed
            await fake.wait_commands_synced(guild.id)      # None = global commands

Playing users (each dispatches INTERACTION_CREATE and returns a handle at once)::

    it = await fake.invoke_slash("decks info", {"deck": "aws"}, user=alice, channel=chan)
    await it.wait_response()   # it.response_type, it.message, it.content, it.ephemeral, it.modal
    await it.wait_final()      # deferred reply filled, then quiet; it.followups
    it2 = await fake.click(it.message, "next", user=alice)   # custom_id, or label
    it3 = await fake.submit_modal(it2, {"answer": "S3"})      # by custom_id, or label
    choices = await fake.autocomplete("quiz", {"deck": "aw"}, focused="deck", user=alice, channel=chan)
    file = fake.upload("deck.csv", b"q,a\n")    # an attachment option's value; served at its url
    it4 = await fake.invoke_slash("decks import", {"file": file}, user=alice, channel=chan)
    also: fake.select(message, custom_id, values, user=...), fake.invoke_context_menu(name,
    target, user=..., channel=...), fake.post_message(chan, alice, "hi") (a user's message)

Doing what a Discord user could not (unregistered command, option off-schema, a disabled or
missing button, someone else's ephemeral message) raises ``DriverError``: the test is wrong.
``wait_response`` raises ``InteractionFailed`` when the fake refused the bot's answer.

Inspecting: ``fake.messages(chan)``, ``fake.wait_for_message(chan, pred)``,
``fake.ephemeral_messages(user)``, ``fake.requests`` / ``requests_to(method, route)``,
``fake.attachment_data(attachment)`` (bytes of a file the bot sent),
``fake.limit_violations`` (every 400, late ack 10062 and the like: fail tests on these),
``fake.unknown_routes``, ``fake.rate_limited_count``, ``fake.identify_payloads``,
``fake.commands(guild_id)``, ``fake.ready_count``, ``fake.resume_count``, ``fake.connected``,
``await fake.sync_gateway()`` (the bot processed every event sent), ``wait_until(pred)``.

Shards: ``fake.add_guild(name, shard=(1, 4))`` (an id on shard 1 of 4); each IDENTIFY
with ``shard: [id, count]`` gets its own session, with the events of its servers (DMs:
shard 0); ``fake.recommend_shards(n)`` and ``fake.set_session_start_limit(remaining=...,
max_concurrency=..., identify_window=5.0)`` shape ``/gateway/bot`` and what the gateway
enforces; ``fake.session_starts``, ``fake.identify_refusals``, ``fake.shard_identifies()``,
``await fake.wait_shards_ready(ids)``, ``await fake.gateway.drop_shard(id)``.

Faults: ``fake.ack_deadline = 0.1``; ``fake.token_ttl``; ``fake.set_route_limit("POST
/channels/{channel_id}/messages", 5, 5.0)``; ``fake.set_global_limit(50)``;
``fake.fail_next("POST", "/channels/*/messages", 500)``; ``await fake.drop_connection()``
(``resumable=False`` or ``code=4000`` too); ``await fake.request_reconnect()`` (op 7);
``await fake.invalidate_session()`` (op 9); ``await fake.wait_disconnected()``.
World changes the bot is told about: ``fake.delete_channel(chan)`` (REST then 404s),
``fake.set_bot_channel_permissions(chan, Permissions(view_channel=True))``.
"""

from .errors import ApiError, DriverError, InteractionFailed, RecordedRequest, Violation
from .interactions import InteractionHandle
from .patching import patch_discord_endpoints
from .server import DEFAULT_TOKEN, FakeDiscord
from .world import Channel, Guild, Member, Overwrite, Role, User

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Channel",
    "DriverError",
    "FakeDiscord",
    "Guild",
    "InteractionFailed",
    "InteractionHandle",
    "Member",
    "Overwrite",
    "RecordedRequest",
    "Role",
    "User",
    "Violation",
    "patch_discord_endpoints",
]
