"""End-to-end tests of the fake Discord API against a real discord.py client."""

import asyncio
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.http import Route

from tests.fakediscord import (
    Channel,
    DriverError,
    FakeDiscord,
    Guild,
    InteractionFailed,
    InteractionHandle,
    Member,
    patch_discord_endpoints,
)

DECKS = ["aws", "azure", "gcp", "kubernetes"]


# -- the bot under test: a plain discord.py client written here ----------------------------


class CounterView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.count = 0

    @discord.ui.button(label="+1", custom_id="counter:inc", style=discord.ButtonStyle.primary)
    async def increment(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"count: {self.count}", view=self)

    @discord.ui.button(label="Reset", custom_id="counter:reset")
    async def reset(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.count = 0
        await interaction.response.defer()  # type 6: edit the component's message later
        await interaction.edit_original_response(content="count: 0 (reset)")


class PersistentView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", custom_id="persistent:join")
    async def join(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message(f"{interaction.user.name} joined", ephemeral=True)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"vote:(?P<choice>\w+)"):
    def __init__(self, choice: str) -> None:
        super().__init__(discord.ui.Button(label=f"Vote {choice}", custom_id=f"vote:{choice}"))
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> "VoteButton":
        return cls(match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"voted {self.choice}", ephemeral=True)


class AnswerModal(discord.ui.Modal, title="Your answer"):
    answer: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Answer", custom_id="answer", max_length=50
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you said {self.answer.value}")


class AskButton(discord.ui.View):
    @discord.ui.button(label="Answer", custom_id="ask:open")
    async def open(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(AnswerModal())


class DeckSelect(discord.ui.Select[discord.ui.View]):
    def __init__(self) -> None:
        options = [discord.SelectOption(label=deck) for deck in DECKS]
        super().__init__(custom_id="pick:deck", options=options, max_values=2)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"picked {', '.join(self.values)}", view=None
        )


@dataclass
class Bot:
    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]
    synced: list[app_commands.AppCommand] = field(default_factory=list)
    messages: list[discord.Message] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    callback_message_ids: list[int | None] = field(default_factory=list)


def build_bot(
    guild_id: int, *, intents: discord.Intents | None = None, sync: bool = True, extra: bool = False
) -> Bot:
    # A short guild_ready_timeout makes on_ready fire quickly (the default waits 2 s).
    client = discord.Client(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    bot = Bot(client, tree)

    async def identify_now(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; nothing to pace against here."""

    client.before_identify_hook = identify_now  # type: ignore[method-assign]
    decks = app_commands.Group(name="decks", description="Deck commands")

    @tree.command(description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        response = await interaction.response.send_message("pong")
        bot.callback_message_ids.append(response.message_id)

    @tree.command(description="Export a deck")
    async def export(interaction: discord.Interaction) -> None:
        deck = discord.File(io.BytesIO(b"q,a\n"), "deck.csv")
        await interaction.response.send_message(file=deck, ephemeral=True)

    @tree.command(description="Upload a file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        first = data.split(b"\n", 1)[0].decode()
        echo = discord.File(io.BytesIO(data), f"copy-{file.filename}")
        await interaction.response.send_message(
            f"{file.filename}: {len(data)} bytes, first line {first}", file=echo
        )

    @tree.command(description="A secret")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @tree.command(description="Slow work")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("step 1")
        await interaction.edit_original_response(content="step 1 (edited)")
        await interaction.followup.send("step 2", ephemeral=True)

    @tree.command(description="A counter")
    async def counter(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("count: 0", view=CounterView())

    @tree.command(description="Persistent and dynamic buttons")
    async def board(interaction: discord.Interaction) -> None:
        view = PersistentView()
        view.add_item(VoteButton("red"))
        await interaction.response.send_message("board", view=view)

    @tree.command(description="Ask for an answer")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press to answer", view=AskButton())

    @tree.command(description="Start a quiz")
    @app_commands.describe(deck="Deck", rounds="Rounds")
    async def quiz(
        interaction: discord.Interaction, deck: str, rounds: app_commands.Range[int, 1, 10] = 3
    ) -> None:
        await interaction.response.send_message(f"quiz {deck} x{rounds}")

    @quiz.autocomplete("deck")
    async def quiz_deck(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if current == "many":
            return [app_commands.Choice(name=f"deck {i}", value=f"d{i}") for i in range(26)]
        if current == "long name":
            return [app_commands.Choice(name="n" * 101, value="d")]
        if current == "long value":
            return [app_commands.Choice(name="d", value="v" * 101)]
        return [app_commands.Choice(name=d, value=d) for d in DECKS if d.startswith(current)]

    @decks.command(description="Deck info")
    @app_commands.choices(deck=[app_commands.Choice(name=d, value=d) for d in DECKS])
    async def info(interaction: discord.Interaction, deck: app_commands.Choice[str]) -> None:
        await interaction.response.send_message(f"info {deck.value}")

    @tree.command(description="Pick a deck")
    async def pick(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(DeckSelect())
        await interaction.response.send_message("pick one", view=view)

    @tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"profile of {member.name}", ephemeral=True)

    @tree.command(description="Open a modal with a too long title")
    async def longmodal(interaction: discord.Interaction) -> None:
        modal = discord.ui.Modal(title="t" * 46, custom_id="long")
        modal.add_item(discord.ui.TextInput(label="l" * 46, custom_id="x"))
        try:
            await interaction.response.send_modal(modal)
        except discord.HTTPException as error:
            bot.errors.append(error)

    @tree.command(description="Reply with a bad payload")
    async def bad(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException as error:
            bot.errors.append(error)

    tree.add_command(decks)
    if extra:

        @tree.command(description="Too many choices")
        @app_commands.choices(pick=[app_commands.Choice(name=f"c{i}", value=i) for i in range(26)])
        async def toomany(interaction: discord.Interaction, pick: int) -> None:
            await interaction.response.send_message(str(pick))

    async def setup_hook() -> None:
        client.add_view(PersistentView())
        client.add_dynamic_items(VoteButton)
        if sync:
            guild = discord.Object(guild_id)
            tree.copy_global_to(guild=guild)
            bot.synced = await tree.sync()
            await tree.sync(guild=guild)

    async def on_message(message: discord.Message) -> None:
        bot.messages.append(message)

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    client.event(on_message)
    return bot


# -- fixtures ------------------------------------------------------------------------------


@dataclass
class Scene:
    fake: FakeDiscord
    guild: Guild
    chan: Channel
    alice: Member
    start: Callable[..., Awaitable[Bot]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        # What a project's conftest would do: any refused request fails the test.
        assert server.limit_violations == [], server.limit_violations


@pytest.fixture
async def scene(fake: FakeDiscord) -> AsyncIterator[Scene]:
    guild = fake.add_guild("Study Hall")
    chan = fake.add_text_channel(guild.id, "general")
    alice = fake.add_member(guild.id, "alice")
    running: list[tuple[Bot, asyncio.Task[None]]] = []

    async def start(**options: Any) -> Bot:
        bot = build_bot(guild.id, **options)
        expected = fake.ready_count + 1
        running.append((bot, asyncio.create_task(bot.client.start(fake.token))))
        await fake.wait_ready(count=expected)
        if options.get("sync", True):
            await fake.wait_commands_synced(guild.id)
        return bot

    with patch_discord_endpoints(fake):
        yield Scene(fake, guild, chan, alice, start)
        for bot, task in running:
            await bot.client.close()
            await asyncio.wait_for(task, 5)


# -- connection ----------------------------------------------------------------------------


async def test_ready_delivers_guilds_channels_and_identify_intents(scene: Scene) -> None:
    intents = discord.Intents.default()
    intents.members = True  # privileged: the client will chunk members over the gateway
    bot = await scene.start(intents=intents, sync=False)
    await asyncio.wait_for(bot.client.wait_until_ready(), 5)  # after the member chunk arrived

    guild = bot.client.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "Study Hall"
    assert [c.name for c in guild.text_channels] == ["general"]
    assert bot.client.user is not None and bot.client.user.id == scene.fake.bot.id
    assert bot.client.application_id == scene.fake.application_id
    assert scene.fake.identify_payloads[0]["intents"] == intents.value
    assert {m.name for m in guild.members} == {"alice", "quizbot-owner", "QuizBot"}
    channel = guild.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    assert channel.permissions_for(guild.me).send_messages


async def test_gateway_url_and_unknown_route_404(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    with pytest.raises(discord.NotFound) as raised:
        await bot.client.http.request(Route("GET", "/users/@me/guilds/nope"))
    assert raised.value.code == 0 and raised.value.text == "404: Not Found"
    assert scene.fake.unknown_routes == ["GET /users/@me/guilds/nope"]
    assert scene.fake.requests[-1].status == 404
    gateway = await bot.client.http.request(Route("GET", "/gateway"))
    assert gateway["url"] == scene.fake.endpoint_urls()[1]


async def test_rest_responses_carry_ratelimit_headers_and_exact_json_type(
    fake: FakeDiscord,
) -> None:
    api, _ = fake.endpoint_urls()
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{api}/users/@me", headers=headers) as r,
    ):
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/json"
        for name in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
            assert f"X-RateLimit-{name}" in r.headers
        assert (await r.json())["id"] == str(fake.bot.id)
    async with aiohttp.ClientSession() as session, session.get(f"{api}/users/@me") as r:
        assert r.status == 401


# -- commands ------------------------------------------------------------------------------


async def test_command_sync_global_and_guild_returns_ids(scene: Scene) -> None:
    bot = await scene.start()
    global_commands = scene.fake.commands()
    guild_commands = scene.fake.commands(scene.guild.id)
    names = {"ping", "secret", "slow", "counter", "board", "ask", "quiz", "decks", "bad", "pick"}
    names |= {"longmodal", "export", "upload"}
    assert {c["name"] for c in global_commands} == names | {"Profile"}
    assert {c["name"] for c in guild_commands} == names | {"Profile"}
    assert {c.id for c in bot.synced} == {int(c["id"]) for c in global_commands}
    assert all(c["guild_id"] == str(scene.guild.id) for c in guild_commands)
    decks = next(c for c in global_commands if c["name"] == "decks")
    assert decks["options"][0]["name"] == "info" and decks["options"][0]["type"] == 1

    fetched = await bot.tree.fetch_commands()
    assert sorted(c.id for c in fetched) == sorted(c.id for c in bot.synced)


async def test_resync_keeps_command_ids(scene: Scene) -> None:
    bot = await scene.start()
    before = {c["name"]: c["id"] for c in scene.fake.commands()}
    again = await bot.tree.sync()
    assert {c.name: str(c.id) for c in again} == before


# -- slash commands ------------------------------------------------------------------------


async def test_slash_reply_is_a_channel_message(scene: Scene) -> None:
    bot = await scene.start()
    it = await scene.fake.invoke_slash("ping", user=scene.alice, channel=scene.chan)
    await it.wait_response()
    assert it.response_type == 4
    assert it.content == "pong" and it.message is not None
    await scene.fake.wait_until(lambda: bool(bot.callback_message_ids))
    assert bot.callback_message_ids == [int(it.message["id"])]  # parsed ?with_response=1 body
    assert it.ephemeral is False
    assert [m["content"] for m in scene.fake.messages(scene.chan)] == ["pong"]
    assert it.payload["member"]["user"]["id"] == str(scene.alice.id)
    assert "guild_id" in it.payload["data"]  # dispatched as the guild copy


async def test_ephemeral_reply_is_kept_off_the_channel(scene: Scene) -> None:
    await scene.start()
    it = await (
        await scene.fake.invoke_slash("secret", user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert it.ephemeral is True and it.message is not None
    assert it.message["content"] == "only you" and it.message["flags"] & 64
    assert scene.fake.messages(scene.chan) == []
    assert scene.fake.ephemeral_messages(scene.alice) == [it.message]


async def test_file_only_reply_keeps_its_attachment(scene: Scene) -> None:
    await scene.start()
    it = await (
        await scene.fake.invoke_slash("export", user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert it.message is not None and it.ephemeral
    assert [(a["filename"], a["size"]) for a in it.message["attachments"]] == [("deck.csv", 4)]


async def test_attachment_option_is_resolved_and_its_bytes_served(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    content = b"front,back\nS3,storage\n"
    file = fake.upload("deck.csv", content, "text/csv")
    assert file["size"] == 22 and file["ephemeral"] is True
    it = await fake.invoke_slash("upload", {"file": file}, user=scene.alice, channel=scene.chan)
    await it.wait_response()
    assert it.payload["data"]["resolved"]["attachments"][file["id"]]["filename"] == "deck.csv"
    assert it.content == "deck.csv: 22 bytes, first line front,back"
    echoed = it.message["attachments"][0]
    assert (echoed["filename"], echoed["size"]) == ("copy-deck.csv", 22)
    assert fake.attachment_data(echoed) == content
    async with aiohttp.ClientSession() as session:
        async with session.get(echoed["url"]) as served:
            assert served.status == 200 and await served.read() == content
        async with session.get(echoed["url"].replace("copy-deck", "other")) as missing:
            assert missing.status == 404
    with pytest.raises(DriverError, match="wants an attachment"):
        await fake.invoke_slash(
            "upload", {"file": "deck.csv"}, user=scene.alice, channel=scene.chan
        )
    with pytest.raises(DriverError, match="upload limit"):
        fake.upload("huge.bin", bytes(10 * 1024 * 1024 + 1))


async def test_deferred_reply_then_followups_and_edit(scene: Scene) -> None:
    await scene.start()
    it = await scene.fake.invoke_slash("slow", user=scene.alice, channel=scene.chan)
    await it.wait_response()
    assert it.response_type == 5
    await it.wait_final()
    assert it.message is not None
    assert it.message["content"] == "step 1 (edited)"
    assert not it.message["flags"] & 128  # no longer "thinking"
    assert [m["content"] for m in it.followups] == ["step 2"]
    assert it.followups[0]["flags"] & 64
    assert [m["content"] for m in scene.fake.messages(scene.chan)] == ["step 1 (edited)"]


async def test_observers_see_each_change_to_an_interaction(scene: Scene) -> None:
    await scene.start()
    it = await scene.fake.invoke_slash("slow", user=scene.alice, channel=scene.chan)
    seen: list[tuple[int | None, int]] = []
    once: list[int] = []

    def only_first(handle: InteractionHandle) -> None:
        once.append(handle.revision)
        handle.observers.remove(only_first)  # leaving mid-call skips no other observer

    before = it.revision  # 0 unless the bot deferred already
    it.observers += [
        only_first,
        lambda handle: seen.append((handle.response_type, handle.revision)),
    ]
    await it.wait_final()
    await scene.fake.wait_until(lambda: len(it.followups) == 1)
    # The defer, the reply filled, its edit, the follow-up: one call each, in order.
    assert it.revision == 4
    assert seen == [(5, revision) for revision in range(before + 1, 5)]
    assert once == [before + 1]


async def test_subcommand_with_choices_and_validated_options(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    it = await fake.invoke_slash(
        "decks info", {"deck": "gcp"}, user=scene.alice, channel=scene.chan
    )
    assert (await it.wait_response()).content == "info gcp"
    quiz = await fake.invoke_slash(
        "quiz", {"deck": "aws", "rounds": 5}, user=scene.alice, channel=scene.chan
    )
    assert (await quiz.wait_response()).content == "quiz aws x5"

    bad_calls: list[tuple[str, dict[str, Any]]] = [
        ("nope", {}),
        ("decks", {}),
        ("decks info", {"deck": "oracle"}),
        ("quiz", {"rounds": 2}),
        ("quiz", {"deck": "aws", "rounds": 11}),
        ("quiz", {"deck": "aws", "rounds": "3"}),
        ("quiz", {"deck": "aws", "colour": "red"}),
    ]
    for name, options in bad_calls:
        with pytest.raises(DriverError):
            await fake.invoke_slash(name, options, user=scene.alice, channel=scene.chan)


async def test_dm_interaction_has_user_not_member(scene: Scene) -> None:
    await scene.start()
    dm = scene.fake.open_dm(scene.alice)
    it = await (await scene.fake.invoke_slash("ping", user=scene.alice, channel=dm)).wait_response()
    assert "member" not in it.payload and it.payload["user"]["id"] == str(scene.alice.id)
    assert it.payload["context"] == 1 and "guild_id" not in it.payload["data"]
    assert it.message is not None and it.message["channel_id"] == str(dm.id)


# -- components and modals -----------------------------------------------------------------


async def test_button_click_updates_the_message(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    it = await (
        await fake.invoke_slash("counter", user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert it.message is not None
    click = await (await fake.click(it.message, "counter:inc", user=scene.alice)).wait_response()
    assert click.response_type == 7
    click2 = await (await fake.click(it.message, "+1", user=scene.alice)).wait_response()
    assert click2.content == "count: 2"
    assert fake.messages(scene.chan)[0]["content"] == "count: 2"
    with pytest.raises(DriverError):
        await fake.click(it.message, "counter:dec", user=scene.alice)
    reset = await (await fake.click(it.message, "Reset", user=scene.alice)).wait_final()
    assert reset.response_type == 6
    assert [m["content"] for m in fake.messages(scene.chan)] == ["count: 0 (reset)"]


async def test_persistent_view_and_dynamic_item_handlers_fire(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    board = await (
        await fake.invoke_slash("board", user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert board.message is not None
    joined = await (
        await fake.click(board.message, "persistent:join", user=scene.alice)
    ).wait_response()
    assert joined.content == "alice joined"
    voted = await (await fake.click(board.message, "vote:red", user=scene.alice)).wait_response()
    assert voted.content == "voted red"
    assert voted.ephemeral


async def test_persistent_view_survives_a_bot_restart(scene: Scene) -> None:
    first = await scene.start()
    board = await (
        await scene.fake.invoke_slash("board", user=scene.alice, channel=scene.chan)
    ).wait_response()
    await first.client.close()
    await scene.start(sync=False)
    assert scene.fake.ready_count == 2
    assert board.message is not None
    joined = await (await scene.fake.click(board.message, "Join", user=scene.alice)).wait_response()
    assert joined.content == "alice joined"


async def test_modal_round_trip(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    ask = await (
        await fake.invoke_slash("ask", user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert ask.message is not None
    opened = await (await fake.click(ask.message, "ask:open", user=scene.alice)).wait_response()
    assert opened.response_type == 9 and opened.modal is not None
    assert opened.modal["title"] == "Your answer"
    with pytest.raises(DriverError):
        await fake.submit_modal(opened, {"answer": "x" * 51})
    submitted = await (await fake.submit_modal(opened, {"Answer": "S3"})).wait_response()
    assert submitted.content == "you said S3"


async def test_select_menu_and_user_context_menu(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    menu = await (
        await fake.invoke_slash("pick", user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert menu.message is not None
    with pytest.raises(DriverError):
        await fake.select(menu.message, "pick:deck", ["oracle"], user=scene.alice)
    picked = await (
        await fake.select(menu.message, "pick:deck", ["aws", "gcp"], user=scene.alice)
    ).wait_response()
    assert picked.message is not None
    assert picked.message["content"] == "picked aws, gcp" and picked.message["components"] == []

    bob = fake.add_member(scene.guild.id, "bob")
    card = await (
        await fake.invoke_context_menu("Profile", bob, user=scene.alice, channel=scene.chan)
    ).wait_response()
    assert card.content == "profile of bob" and card.message is not None
    with pytest.raises(DriverError):  # only alice sees her ephemeral reply
        await fake.click(card.message, "anything", user=bob)


async def test_autocomplete_returns_choices(scene: Scene) -> None:
    await scene.start()
    choices = await scene.fake.autocomplete(
        "quiz", {"deck": "a"}, focused="deck", user=scene.alice, channel=scene.chan
    )
    assert choices == [{"name": "aws", "value": "aws"}, {"name": "azure", "value": "azure"}]


# -- limits --------------------------------------------------------------------------------


def _button(label: str = "ok", custom_id: str = "b") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def _row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


OVER_LIMIT: dict[str, tuple[dict[str, Any], str]] = {
    "content 2001": ({"content": "x" * 2001}, "content"),
    "embed description 4097": ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
    "button label 81": ({"components": [_row(_button(label="l" * 81))]}, "label"),
    "custom_id 101": ({"components": [_row(_button(custom_id="c" * 101))]}, "custom_id"),
    "6 action rows": (
        {"components": [_row(_button(custom_id=f"b{i}")) for i in range(6)]},
        "components: Must be 5 or fewer",
    ),
    "duplicate custom_id": ({"components": [_row(_button(), _button())]}, "cannot be duplicated"),
    "6 buttons in a row": (
        {"components": [_row(*(_button(custom_id=f"b{i}") for i in range(6)))]},
        "components.0.components",
    ),
    "26 embed fields": (
        {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
        "embeds.0.fields",
    ),
    "select with 26 options": (
        {
            "components": [
                _row(
                    {
                        "type": 3,
                        "custom_id": "s",
                        "options": [{"label": f"o{i}", "value": f"o{i}"} for i in range(26)],
                    }
                )
            ]
        },
        "options: Must be between 1 and 25",
    ),
    "6001 embed chars": (
        {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
        "Embed size exceeds",
    ),
    "6001 chars over titles, fields, footers and authors": (
        {
            "embeds": [
                {
                    "title": "t" * 256,
                    "fields": [{"name": "n" * 256, "value": "v" * 1024}] * 3,
                    "footer": {"text": "f" * 1000},
                    "author": {"name": "a" * 256},
                },
                {"description": "d" * 4000},
            ]
        },
        "Embed size exceeds",
    ),
    "embed title 257": ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
    "field name 257": (
        {"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
        "embeds.0.fields.0.name",
    ),
    "field value 1025": (
        {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
        "embeds.0.fields.0.value",
    ),
    "footer 2049": ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "embeds.0.footer.text"),
    "author name 257": ({"embeds": [{"author": {"name": "a" * 257}}]}, "embeds.0.author.name"),
    "11 embeds": ({"embeds": [{"title": "t"}] * 11}, "embeds: Must be 10 or fewer"),
}


@pytest.mark.parametrize("case", list(OVER_LIMIT))
async def test_message_over_limit_is_refused_with_400(scene: Scene, case: str) -> None:
    bot = await scene.start(sync=False)
    body, reason = OVER_LIMIT[case]
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=scene.chan.id)
    with pytest.raises(discord.HTTPException) as raised:
        await bot.client.http.request(route, json=body)
    assert raised.value.status == 400 and raised.value.code == 50035
    [violation] = scene.fake.limit_violations
    assert violation.path == f"/channels/{scene.chan.id}/messages" and reason in violation.reason
    assert scene.fake.messages(scene.chan) == []
    scene.fake.limit_violations.clear()


OVER_LIMIT_ELSEWHERE = ("6001 embed chars", "field value 1025", "embed title 257", "content 2001")


@pytest.mark.parametrize("case", OVER_LIMIT_ELSEWHERE)
async def test_edits_and_followups_over_limit_are_refused(scene: Scene, case: str) -> None:
    """The same limits hold for a channel message's edit, a follow-up and its edit."""
    bot = await scene.start()
    fake = scene.fake
    body, reason = OVER_LIMIT[case]
    sent = await bot.client.http.request(
        Route("POST", "/channels/{channel_id}/messages", channel_id=scene.chan.id),
        json={"content": "v1"},
    )
    edit = Route(
        "PATCH",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=scene.chan.id,
        message_id=int(sent["id"]),
    )
    with pytest.raises(discord.HTTPException) as raised:
        await bot.client.http.request(edit, json=body)
    assert raised.value.code == 50035
    it = await (
        await fake.invoke_slash("ping", user=scene.alice, channel=scene.chan)
    ).wait_response()
    base = f"{fake.endpoint_urls()[0]}/webhooks/{fake.application_id}/{it.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(base, json=body) as followup:
            assert followup.status == 400 and (await followup.json())["code"] == 50035
        async with session.patch(f"{base}/messages/@original", json=body) as edited:
            assert edited.status == 400 and (await edited.json())["code"] == 50035
    assert len(fake.limit_violations) == 3
    assert all(reason in violation.reason for violation in fake.limit_violations)
    assert [m["content"] for m in fake.messages(scene.chan) if m["id"] == sent["id"]] == ["v1"]
    fake.limit_violations.clear()


@pytest.mark.parametrize("typed", ["long name", "long value"])
async def test_autocomplete_choice_over_100_characters_is_refused(scene: Scene, typed: str) -> None:
    await scene.start()
    with pytest.raises(InteractionFailed, match="choices.0"):
        await scene.fake.autocomplete(
            "quiz", {"deck": typed}, focused="deck", user=scene.alice, channel=scene.chan
        )
    assert "Must be between 1 and 100" in scene.fake.limit_violations[0].reason or (
        "Must be 100 or fewer" in scene.fake.limit_violations[0].reason
    )
    scene.fake.limit_violations.clear()


async def test_interaction_reply_over_limit_is_refused(scene: Scene) -> None:
    bot = await scene.start()
    it = await scene.fake.invoke_slash("bad", user=scene.alice, channel=scene.chan)
    with pytest.raises(InteractionFailed, match="data.content"):
        await it.wait_response()
    await scene.fake.wait_until(lambda: bool(bot.errors))
    assert isinstance(bot.errors[0], discord.HTTPException) and bot.errors[0].status == 400
    assert [v.code for v in scene.fake.limit_violations] == [50035]
    scene.fake.limit_violations.clear()


async def test_modal_over_limits_is_refused(scene: Scene) -> None:
    await scene.start()
    it = await scene.fake.invoke_slash("longmodal", user=scene.alice, channel=scene.chan)
    with pytest.raises(InteractionFailed) as failed:
        await it.wait_response()
    assert "data.title: Must be between 1 and 45" in str(failed.value)
    assert "data.components.0.components.0.label" in str(failed.value)
    scene.fake.limit_violations.clear()


async def test_expired_token_refuses_followups(scene: Scene) -> None:
    await scene.start()
    fake = scene.fake
    it = await (
        await fake.invoke_slash("ping", user=scene.alice, channel=scene.chan)
    ).wait_response()
    fake.token_ttl = 0.0
    url = f"{fake.endpoint_urls()[0]}/webhooks/{fake.application_id}/{it.token}"
    async with aiohttp.ClientSession() as session, session.post(url, json={"content": "late"}) as r:
        assert r.status == 401 and (await r.json())["code"] == 50027
    assert [v.code for v in fake.limit_violations] == [50027]
    fake.limit_violations.clear()


async def test_26_autocomplete_choices_are_refused(scene: Scene) -> None:
    await scene.start()
    with pytest.raises(InteractionFailed, match="choices"):
        await scene.fake.autocomplete(
            "quiz", {"deck": "many"}, focused="deck", user=scene.alice, channel=scene.chan
        )
    assert "Must be 25 or fewer" in scene.fake.limit_violations[0].reason
    scene.fake.limit_violations.clear()


async def test_26_command_choices_fail_the_sync(scene: Scene) -> None:
    bot = await scene.start(sync=False, extra=True)
    with pytest.raises(discord.HTTPException) as raised:
        await bot.tree.sync()
    assert raised.value.status == 400
    [violation] = scene.fake.limit_violations
    assert "choices" in violation.reason and scene.fake.commands() == []
    scene.fake.limit_violations.clear()


async def test_late_and_double_acks_are_refused(scene: Scene) -> None:
    bot = await scene.start()
    fake = scene.fake
    late_errors: list[int | None] = []
    double_errors: list[int | None] = []

    @bot.tree.command(description="Too slow")
    async def sleepy(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.15)
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as error:
            late_errors.append(error.code)

    @bot.tree.command(description="Acks twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        adapter = discord.webhook.async_.async_context.get()
        params = discord.webhook.async_.interaction_response_params(4, {"content": "again"})
        try:
            await adapter.create_interaction_response(
                interaction.id,
                interaction.token,
                session=interaction._session,  # noqa: SLF001 - the adapter needs the client's HTTP session
                params=params,
            )
        except discord.HTTPException as error:
            double_errors.append(error.code)

    await bot.tree.sync()
    fake.ack_deadline = 0.1
    it = await fake.invoke_slash("sleepy", user=scene.alice, channel=scene.chan)
    with pytest.raises(InteractionFailed, match="deadline"):
        await it.wait_response()
    await fake.wait_until(lambda: bool(late_errors))
    assert late_errors == [10062]

    fake.ack_deadline = 3.0
    twice_it = await (
        await fake.invoke_slash("twice", user=scene.alice, channel=scene.chan)
    ).wait_response()
    await fake.wait_until(lambda: bool(double_errors))
    assert double_errors == [40060]
    assert twice_it.content == "first"
    assert [v.code for v in fake.limit_violations] == [10062, 40060]
    fake.limit_violations.clear()


# -- rate limits and faults ----------------------------------------------------------------


async def test_429_retry_after_is_honoured(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    channel = bot.client.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    scene.fake.fail_next("POST", "/channels/{channel_id}/messages", 429, retry_after=0.2)
    started = time.monotonic()
    await channel.send("hello")
    assert time.monotonic() - started >= 0.2
    statuses = [r.status for r in scene.fake.requests_to("POST", "/channels/{channel_id}/messages")]
    assert statuses == [429, 200]
    assert scene.fake.rate_limited_count == 1
    assert [m["content"] for m in scene.fake.messages(scene.chan)] == ["hello"]


async def test_route_limit_hidden_gives_429_advertised_is_waited_out(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    channel = bot.client.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    route = "POST /channels/{channel_id}/messages"
    scene.fake.set_route_limit(route, 2, 0.2, advertise=False)
    for i in range(3):
        await channel.send(f"hidden {i}")
    assert scene.fake.rate_limited_count == 1

    scene.fake.set_route_limit(route, 2, 0.2)
    await asyncio.sleep(0.2)  # let the hidden window expire
    for i in range(3):
        await channel.send(f"advertised {i}")
    assert scene.fake.rate_limited_count == 1  # discord.py read the headers and waited
    assert len(scene.fake.messages(scene.chan)) == 6


async def test_global_limit_answers_global_429(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    scene.fake.set_global_limit(2)
    started = time.monotonic()
    for _ in range(3):
        await bot.client.http.request(Route("GET", "/users/@me"))
    assert scene.fake.rate_limited_count == 1
    assert time.monotonic() - started > 0.1
    refused = [r for r in scene.fake.requests if r.status == 429]
    assert refused[0].response["global"] is True


async def test_injected_server_error_is_not_a_violation(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    scene.fake.fail_next("GET", "/users/*", 403, body={"message": "Missing Access", "code": 50001})
    with pytest.raises(discord.Forbidden):
        await bot.client.fetch_user(scene.alice.id)
    user = await bot.client.fetch_user(scene.alice.id)
    assert user.name == "alice"


async def test_missing_channel_permission_is_forbidden(scene: Scene) -> None:
    read_only = scene.fake.add_text_channel(
        scene.guild.id, "announcements", bot_permissions=discord.Permissions(view_channel=True)
    )
    bot = await scene.start(sync=False)
    channel = bot.client.get_channel(read_only.id)
    assert isinstance(channel, discord.TextChannel)
    assert not channel.permissions_for(channel.guild.me).send_messages
    with pytest.raises(discord.Forbidden) as raised:
        await channel.send("hi")
    assert raised.value.code == 50013


async def test_revoked_permission_and_deleted_channel_reach_the_bot(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    fake = scene.fake
    fake.set_bot_channel_permissions(scene.chan, discord.Permissions(view_channel=True))
    await fake.sync_gateway()
    channel = bot.client.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    assert not channel.permissions_for(channel.guild.me).send_messages
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("hi")
    assert refused.value.code == 50013
    fake.delete_channel(scene.chan)
    await fake.sync_gateway()
    assert bot.client.get_channel(scene.chan.id) is None
    with pytest.raises(discord.NotFound) as gone:
        await bot.client.get_partial_messageable(scene.chan.id).send("anyone?")
    assert gone.value.code == 10003
    with pytest.raises(DriverError):
        fake.messages(scene.chan)


# -- plain REST resources -----------------------------------------------------------------


async def test_channel_messages_send_edit_fetch_delete_and_upload(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    channel = bot.client.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("v1", embed=discord.Embed(title="Card", description="Q?"))
    await sent.edit(content="v2")
    fetched = await channel.fetch_message(sent.id)
    assert fetched.content == "v2" and fetched.embeds[0].title == "Card"
    upload = await channel.send(file=discord.File(io.BytesIO(b"abc"), "deck.csv"))
    assert upload.attachments[0].filename == "deck.csv" and upload.attachments[0].size == 3
    assert [m.id async for m in channel.history(limit=10)] == [upload.id, sent.id]
    await sent.delete()
    assert [m["id"] for m in scene.fake.messages(scene.chan)] == [str(upload.id)]
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(sent.id)


async def test_a_message_notifies_only_whom_its_allowed_mentions_let_through(
    scene: Scene,
) -> None:
    bot = await scene.start(sync=False)
    channel = bot.client.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    role = scene.fake.add_role(scene.guild.id, "quizzers")
    text = f"<@{scene.alice.id}> <@&{role.id}> @everyone"

    async def notified(content: str, allowed: discord.AllowedMentions) -> tuple[Any, ...]:
        sent = await channel.send(content, allowed_mentions=allowed)
        stored = scene.fake.message(sent.id)
        assert stored is not None
        users = [int(user["id"]) for user in stored["mentions"]]
        return users, [int(r) for r in stored["mention_roles"]], stored["mention_everyone"]

    everything = discord.AllowedMentions.all()
    assert await notified(text, everything) == ([scene.alice.id], [role.id], True)
    assert await notified(text, discord.AllowedMentions.none()) == ([], [], False)
    only_role = discord.AllowedMentions.none()
    only_role.roles = [role]
    assert await notified(text, only_role) == ([], [role.id], False)
    escaped = f"\\<@{scene.alice.id}> \\<@&{role.id}> \\@everyone"  # shown as text
    assert await notified(escaped, everything) == ([], [], False)


async def test_fetch_guild_channel_member_user_and_dm(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    client = bot.client
    guild = await client.fetch_guild(scene.guild.id)
    assert guild.name == "Study Hall"
    channel = await client.fetch_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel) and channel.name == "general"
    assert [c.name for c in await guild.fetch_channels()] == ["general"]
    member = await guild.fetch_member(scene.alice.id)
    assert member.name == "alice"
    loner = scene.fake.add_user("loner")
    user = await client.fetch_user(loner.id)
    await user.send("psst")
    dm = scene.fake.open_dm(loner)
    assert [m["content"] for m in scene.fake.messages(dm)] == ["psst"]
    with pytest.raises(discord.NotFound):
        await guild.fetch_member(loner.id)


# -- reconnects ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [None, 4000], ids=["abrupt", "close-4000"])
async def test_dropped_connection_resumes_and_replays_missed_events(
    scene: Scene, code: int | None
) -> None:
    bot = await scene.start(sync=False)
    fake = scene.fake
    await fake.drop_connection(code=code)
    missed = fake.post_message(scene.chan, scene.alice, f"hey {fake.bot.mention}")
    await fake.wait_until(lambda: fake.resume_count == 1)
    await fake.wait_until(lambda: any(m.id == int(missed["id"]) for m in bot.messages))
    assert fake.ready_count == 1  # resumed, not re-identified
    assert bot.messages[-1].content == missed["content"]


async def test_unresumable_drop_makes_the_bot_identify_again(scene: Scene) -> None:
    await scene.start()
    await scene.fake.drop_connection(resumable=False)
    await scene.fake.wait_ready(count=2)
    assert scene.fake.resume_count == 0
    it = await scene.fake.invoke_slash("ping", user=scene.alice, channel=scene.chan)
    assert (await it.wait_response()).content == "pong"


async def test_op7_reconnect_is_survived(scene: Scene) -> None:
    await scene.start()
    await scene.fake.request_reconnect()
    await scene.fake.wait_until(lambda: scene.fake.resume_count == 1)
    await scene.fake.wait_ready()
    it = await scene.fake.invoke_slash("ping", user=scene.alice, channel=scene.chan)
    assert (await it.wait_response()).content == "pong"
    assert scene.fake.ready_count == 1


async def test_restart_keeps_world_and_commands(scene: Scene) -> None:
    first = await scene.start()
    ids = sorted(c["id"] for c in scene.fake.commands())
    await first.client.close()
    await scene.fake.wait_disconnected()
    assert not scene.fake.connected
    # discord.py closes with 4000 even on Client.close(), so the old session stays resumable.
    assert scene.fake.gateway.close_codes == [4000]
    await scene.start(sync=False)
    assert sorted(c["id"] for c in scene.fake.commands()) == ids
    it = await scene.fake.invoke_slash("ping", user=scene.alice, channel=scene.chan)
    assert (await it.wait_response()).content == "pong"
    assert len(scene.fake.identify_payloads) == 2


async def test_attachments_keep_their_alt_text_within_discords_limits(scene: Scene) -> None:
    bot = await scene.start(sync=False)
    channel = bot.client.get_channel(scene.chan.id)
    assert isinstance(channel, discord.TextChannel)
    png = discord.File(io.BytesIO(b"\x89PNG"), "chart.png", description="A bar chart.")
    sent = await channel.send(file=png)
    assert sent.attachments[0].description == "A bar chart."
    assert scene.fake.messages(scene.chan)[0]["attachments"][0]["description"] == "A bar chart."
    too_long = discord.File(io.BytesIO(b"x"), "a.png", description="x" * 1025)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(file=too_long)
    assert refused.value.status == 400
    too_big = discord.File(io.BytesIO(b"x" * (10 * 1024 * 1024 + 1)), "big.bin")
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(file=too_big)
    assert refused.value.status == 413
    assert [v.code for v in scene.fake.limit_violations] == [50035, 40005]
    scene.fake.limit_violations.clear()
