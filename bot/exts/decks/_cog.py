"""The Discord layer of `/decks`: parse, look up, render; import, export and remove."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuizBot
from bot.domain.decks import Deck, deck_to_yaml, picture_kind
from bot.domain.errors import DomainError
from bot.domain.markdown import literal
from bot.domain.words import plural
from bot.exts import replies
from bot.exts.autocomplete import deck_autocomplete, deck_choice
from bot.exts.decks._remove import RemoveClick, RemoveDeckButton, confirm_view
from bot.exts.embeds import clip, judged_accuracy
from bot.importers import SERVER_LIMITS, ImportResult, check_upload, import_deck
from bot.importers.deck_zip import DeckArchiveWriter, archive_name, deck_pictures
from bot.importers.model import megabytes
from bot.storage.deck_media import DeckPicture
from bot.storage.server_decks import SaveOutcome, ServerDeck, deck_to_json

log = logging.getLogger(__name__)

EMBED_COLOUR = discord.Colour.blurple()
MAX_LISTED = 25  # an embed holds at most 25 fields
MAX_SERVER_DECKS = 50
SERVER_DECK_NOTE = "this server's own deck"
IMPORTS_AT_ONCE = 1


def deck_list_embed(
    decks: list[Deck], server_deck_ids: frozenset[str] = frozenset()
) -> discord.Embed:
    embed = discord.Embed(title="Flashcard decks", colour=EMBED_COLOUR)
    if not decks:
        embed.description = "No decks are installed yet."
        return embed
    embed.description = "Start one with `/quiz deck:<id>`; `/decks info` tells more."
    for deck in decks[:MAX_LISTED]:
        topics = literal(", ".join(deck.topics)) or "no topics"
        own = f" · {SERVER_DECK_NOTE}" if deck.id in server_deck_ids else ""
        embed.add_field(
            name=clip(literal(deck.title), 256),
            value=clip(f"`{deck.id}` · {plural(len(deck.cards), 'card')}{own}\n{topics}", 1024),
            inline=False,
        )
    if len(decks) > MAX_LISTED:
        embed.set_footer(text=f"and {len(decks) - MAX_LISTED} more: type in /decks info to search")
    return embed


def deck_info_embed(
    deck: Deck, progress_line: str | None, *, server_deck: bool = False
) -> discord.Embed:
    embed = discord.Embed(
        title=clip(literal(deck.title), 256),
        description=clip(literal(deck.description), 4000),
        colour=EMBED_COLOUR,
    )
    lines = [f"{count} · {literal(topic)}" for topic, count in deck.topic_counts().items()]
    untagged = sum(1 for card in deck.cards if card.topic is None)
    if untagged:
        lines.append(f"{untagged} · (no topic)")
    embed.add_field(
        name=f"Topics ({plural(len(deck.cards), 'card')})",
        value=clip("\n".join(lines) or "none", 1024),
        inline=False,
    )
    pictured = sum(1 for card in deck.cards if card.front_image or card.back_image)
    if pictured:
        shown = sum(1 for card in deck.cards if card.picture_answer)
        text = f"{plural(pictured, 'card')} show a picture."
        if shown:
            text += (
                f" {plural(shown, 'card answers', 'cards answer')} with a picture alone: "
                f"{'it is' if shown == 1 else 'they are'} asked as flashcards and in "
                "`/review`, never in multiple choice or typed mode."
            )
        embed.add_field(name="Pictures", value=clip(text, 1024), inline=False)
    if progress_line:
        embed.add_field(name="Your progress", value=progress_line, inline=False)
    footer = f"id: {deck.id}"
    if server_deck:
        footer += f" · {SERVER_DECK_NOTE}"
    if deck.source:
        footer += f" · source: {deck.source}"
    embed.set_footer(text=clip(footer, 2048))
    return embed


# An embed field holds 1,024 characters and an embed 6,000 in all; past these the
# summary is cut short in the embed and attached whole as a text file.
FIELD_BUDGET = 1000
SUMMARY_FILE = "import-summary.txt"


def _field_lines(lines: list[str], budget: int = FIELD_BUDGET) -> tuple[str, bool]:
    """As many whole lines as fit a field, and whether any was left out or shortened."""
    shown: list[str] = []
    used = 0
    cut = False
    for index, line in enumerate(lines):
        short = clip(line, 300)
        cut |= short != line
        reserve = 0 if index == len(lines) - 1 else 60
        if used + len(short) + 1 + reserve > budget:
            shown.append(f"…and {len(lines) - index} more (see the attached file)")
            return "\n".join(shown), True
        shown.append(short)
        used += len(short) + 1
    return "\n".join(shown) or "none", cut


def import_embed(
    result: ImportResult, *, replaced: bool, shadows_shipped: bool
) -> tuple[discord.Embed, bool]:
    """The import summary as one embed, and whether it was cut short (then the whole
    summary goes with it as a text file)."""
    deck = result.deck
    summary = result.summary
    lines = [
        f"`{deck.id}` · {literal(summary.headline())}",
        f"Study it with `/quiz deck:{deck.id}`; only this server sees it.",
    ]
    if replaced:
        lines.append("It replaces this server's earlier deck of that id; answers are kept.")
    if shadows_shipped:
        lines.append(f"In this server it takes the place of the shipped deck `{deck.id}`.")
    embed = discord.Embed(
        title=clip(f"Imported: {literal(deck.title)}", 256),
        description=clip("\n".join(lines), 4000),
        colour=EMBED_COLOUR,
    )
    cut = False
    embed.add_field(name="Title", value=clip(literal(summary.title_line()), 1024), inline=False)
    topics, clipped = _field_lines([literal(line) for line in summary.topic_lines()])
    cut |= clipped
    embed.add_field(name=f"Topics ({len(summary.topics)})", value=topics, inline=False)
    if summary.skipped:
        skipped, clipped = _field_lines([literal(g.line()) for g in summary.skipped])
        cut |= clipped
        embed.add_field(name=f"Skipped ({summary.skipped_count})", value=skipped, inline=False)
    pictures = [literal(g.line()) for g in summary.pictures_left_out]
    value, clipped = _field_lines([summary.picture_line(), *pictures])
    cut |= clipped
    embed.add_field(name="Pictures", value=value, inline=False)
    if summary.notes:
        notes, clipped = _field_lines([literal(note) for note in summary.notes])
        cut |= clipped
        embed.add_field(name="Notes", value=notes, inline=False)
    if cut:
        embed.set_footer(text=f"The whole summary is in {SUMMARY_FILE}.")
    return embed, cut


def upload_limit(interaction: discord.Interaction[QuizBot]) -> int:
    """The size of a file Discord lets members (and the bot) attach in this server."""
    guild = interaction.guild
    return (
        guild.filesize_limit if guild is not None else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
    )


async def staged_pictures(deck: Deck, folder: Path) -> AsyncIterator[DeckPicture]:
    """The pictures an import copied into `folder` that the deck's cards show, read one at
    a time (a reader checked each one's size and kind)."""
    for name in deck_pictures(deck):
        data = await asyncio.to_thread((folder / name).read_bytes)
        kind = picture_kind(data[:16])
        if kind is None:  # the readers copy only pictures; this never happens
            raise DomainError(f"The picture {name} of the import cannot be read; try again.")
        yield DeckPicture(name, kind, data)


class _PictureSource(Protocol):
    async def total(self) -> int: ...

    async def read(self, name: str) -> bytes | None: ...


class _StoredPictures:
    """A server deck's pictures, in the database."""

    def __init__(self, bot: QuizBot, guild_id: int, deck_id: str) -> None:
        self._bot = bot
        self._guild_id = guild_id
        self._deck_id = deck_id

    async def total(self) -> int:
        entries = await self._bot.db.pictures.entries(self._guild_id, self._deck_id)
        return sum(entry.size for entry in entries)

    async def read(self, name: str) -> bytes | None:
        stored = await self._bot.db.pictures.get(self._guild_id, self._deck_id, name)
        return None if stored is None else stored.data


class _FilePictures:
    """A deck file's pictures, in its media folder."""

    def __init__(self, deck: Deck) -> None:
        self._deck = deck

    async def total(self) -> int:
        def sizes() -> int:
            total = 0
            for name in deck_pictures(self._deck):
                path = self._deck.picture(name)
                if path is not None and path.is_file():
                    total += path.stat().st_size
            return total

        return await asyncio.to_thread(sizes)

    async def read(self, name: str) -> bytes | None:
        path = self._deck.picture(name)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as error:  # a deck file edited since it was checked
            log.warning("cannot export picture %s: %s", path, error)
            return None


async def _write_archive(
    out: IO[bytes], deck: Deck, names: list[str], source: _PictureSource, limit: int
) -> tuple[int, int]:
    """Write the deck's zip into `out`, one picture at a time, stopping once it is past
    `limit`: its size and the pictures written."""
    writer = await asyncio.to_thread(DeckArchiveWriter, out, deck)
    written = 0
    for name in names:
        data = await source.read(name)
        if data is None:
            continue
        await asyncio.to_thread(writer.add, name, data)
        written += 1
        if out.tell() > limit:
            return out.tell(), written
    await asyncio.to_thread(writer.close)
    return out.tell(), written


def require_manage_server(interaction: discord.Interaction[QuizBot]) -> bool:
    """The check of every admin command and button, made when it is used.

    Discord cannot hide one subcommand of `/decks` from members, so this is what guards it.
    """
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


class Decks(commands.Cog):
    def __init__(self, bot: QuizBot) -> None:
        self.bot = bot
        # One file is read at a time: an import's memory is bounded, so the sum is too.
        self._reading = asyncio.Semaphore(IMPORTS_AT_ONCE)

    async def cog_load(self) -> None:
        # Registered at start, so a confirm button sent before a restart still works.
        self.bot.add_buttons(RemoveDeckButton, self._remove_click)

    async def cog_unload(self) -> None:
        self.bot.remove_buttons(RemoveDeckButton)

    decks = app_commands.Group(
        name="decks", description="Browse the flashcard decks; import and export your own"
    )

    @decks.command(name="list", description="List the flashcard decks you can study")
    async def list_decks(self, interaction: discord.Interaction[QuizBot]) -> None:
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        await replies.reply(
            interaction,
            embed=deck_list_embed(catalog.all(), catalog.server_deck_ids),
            ephemeral=True,
        )

    @decks.command(name="info", description="Describe a deck, its topics and your progress")
    @app_commands.describe(deck="The deck's id or title")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def deck_info(self, interaction: discord.Interaction[QuizBot], deck: str) -> None:
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        found = catalog.get(deck)
        progress = await self.bot.db.stats.deck_progress(interaction.user.id, found.id)
        line = None
        if progress.answered:
            line = (
                f"{plural(progress.answered, 'answer')} · accuracy "
                f"{judged_accuracy(progress.correct, progress.judged)} · "
                f"{progress.distinct_cards} of {plural(len(found.cards), 'card')} seen"
            )
        embed = deck_info_embed(found, line, server_deck=catalog.is_server_deck(found.id))
        await replies.reply(interaction, embed=embed, ephemeral=True)

    # -- a server's own decks ------------------------------------------------

    @decks.command(
        name="import",
        description="Add a deck file to this server: CSV, Anki, Markdown, trivia, zip (Manage Server)",
    )
    @app_commands.describe(
        file="CSV/TSV/TXT, Anki .apkg/.colpkg, Markdown, Red trivia .yaml, a deck .zip; text 2 MiB at most",
        deck_id="The deck's id (default: made from its title)",
        title="The deck's title (default: the Anki deck's name or the file's)",
        replace="Replace this server's deck of the same id (answers are kept)",
        deck="Of an Anki collection: import only this deck (and its subdecks), e.g. Spanish::Verbs",
    )
    @app_commands.rename(deck_id="id")
    @app_commands.check(require_manage_server)
    async def import_file(
        self,
        interaction: discord.Interaction[QuizBot],
        file: discord.Attachment,
        deck_id: app_commands.Range[str, 1, 63] | None = None,
        title: app_commands.Range[str, 1, 200] | None = None,
        replace: bool = False,
        deck: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        replace_deck = replace
        guild_id = interaction.guild_id
        assert guild_id is not None  # require_manage_server
        check_upload(
            file.filename,
            file.size,
            dataclasses.replace(SERVER_LIMITS, max_package_bytes=upload_limit(interaction)),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException as error:
            log.warning("could not download attachment %s: %s", file.id, error)
            raise DomainError("I could not download that file from Discord; try again.") from None
        limits = dataclasses.replace(SERVER_LIMITS, max_package_bytes=upload_limit(interaction))
        # Pictures are copied into a folder of the import's own, then stored with the deck
        # in one transaction; the folder goes whatever happens.
        with tempfile.TemporaryDirectory(prefix="quizbot-import-") as media:
            # Unpacking and parsing blocks; the event loop must keep answering meanwhile.
            async with self._reading:
                result = await asyncio.to_thread(
                    import_deck,
                    data,
                    file.filename,
                    limits=limits,
                    deck_id=deck_id,
                    title=title,
                    deck=deck,
                    media_dir=Path(media),
                )
            deck_read = result.deck
            now = self.bot.clock()
            guild_name = interaction.guild.name if interaction.guild else ""
            await self.bot.db.members.upsert_guild(guild_id, guild_name, now)
            stored = ServerDeck(
                guild_id=guild_id,
                deck_id=deck_read.id,
                title=deck_read.title,
                card_count=len(deck_read.cards),
                deck_json=deck_to_json(deck_read),
                file_name=file.filename,
                imported_by=interaction.user.id,
                imported_at=now,
            )
            outcome = await self.bot.catalogs.save(
                stored,
                replace=replace_deck,
                max_decks=MAX_SERVER_DECKS,
                pictures=staged_pictures(deck_read, Path(media)),
            )
        if outcome is SaveOutcome.EXISTS:
            raise DomainError(
                f"This server already has a deck `{deck_read.id}`. Import again with "
                "`replace:True` to replace it (answers are kept), or choose another `id`."
            )
        if outcome is SaveOutcome.FULL:
            raise DomainError(
                f"This server already has {MAX_SERVER_DECKS} decks, the most it can have. "
                "Remove one with `/decks remove` first."
            )
        log.info(
            "server %s imported deck %s (%d cards) from %s",
            guild_id,
            deck_read.id,
            len(deck_read.cards),
            file.filename,
        )
        embed, cut = import_embed(
            result,
            replaced=outcome is SaveOutcome.REPLACED,
            shadows_shipped=deck_read.id in self.bot.catalogs.shipped.decks,
        )
        if cut:
            text = result.summary.text().encode("utf-8")
            summary_file = discord.File(io.BytesIO(text), filename=SUMMARY_FILE)
            await replies.reply(interaction, embed=embed, file=summary_file, ephemeral=True)
        else:
            await replies.reply(interaction, embed=embed, ephemeral=True)

    @decks.command(
        name="export", description="Get a deck as a deck file (a zip with its pictures, if any)"
    )
    @app_commands.describe(deck="The deck's id or title")
    @app_commands.autocomplete(deck=deck_autocomplete)
    async def export_deck(self, interaction: discord.Interaction[QuizBot], deck: str) -> None:
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        found = catalog.get(deck)
        await interaction.response.defer(ephemeral=True, thinking=True)
        names = deck_pictures(found)
        if not names:
            text = await asyncio.to_thread(deck_to_yaml, found)
            attachment = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"{found.id}.yaml")
            await replies.reply(
                interaction,
                f"`{found.id}`: {plural(len(found.cards), 'card')}, in the deck file format.",
                file=attachment,
                ephemeral=True,
            )
            return
        server_deck = interaction.guild_id is not None and catalog.is_server_deck(found.id)
        source = (
            _StoredPictures(self.bot, interaction.guild_id or 0, found.id)
            if server_deck
            else _FilePictures(found)
        )
        limit = upload_limit(interaction)
        with tempfile.TemporaryFile() as out:
            size, written = await source.total(), 0
            if size <= limit:
                size, written = await _write_archive(out, found, names, source, limit)
            if size > limit:
                raise DomainError(
                    f"`{found.id}` with its pictures is {megabytes(size)} or more, over the "
                    f"{megabytes(limit)} Discord lets me attach here, so it cannot be sent. "
                    "On the bot's machine, `python -m bot decks export` writes it whole."
                )
            out.seek(0)
            await replies.reply(
                interaction,
                f"`{found.id}`: {plural(len(found.cards), 'card')} and "
                f"{plural(written, 'picture')}: the deck file and its media folder in a zip. "
                "`/decks import` takes it back as it is.",
                file=discord.File(out, filename=archive_name(found)),
                ephemeral=True,
            )

    @decks.command(
        name="remove", description="Remove a deck imported into this server (Manage Server)"
    )
    @app_commands.describe(deck="One of this server's own decks")
    @app_commands.check(require_manage_server)
    async def remove_deck(self, interaction: discord.Interaction[QuizBot], deck: str) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None  # require_manage_server
        stored = await self.bot.db.decks.get(guild_id, deck.strip())
        if stored is None:
            catalog = await self.bot.catalogs.for_guild(guild_id)
            shipped = catalog.get(deck)  # an unknown id ends here, with suggestions
            raise DomainError(
                f"`{shipped.id}` comes with the bot; only decks imported into this server "
                "can be removed."
            )
        await replies.reply(
            interaction,
            f"Remove **{clip(literal(stored.title), 400)}** (`{stored.deck_id}`, "
            f"{plural(stored.card_count, 'card')}) from this server? Answers given to it stay "
            "in everyone's stats.",
            view=confirm_view(stored.deck_id),
            ephemeral=True,
        )

    @remove_deck.autocomplete("deck")
    async def _server_deck_autocomplete(
        self, interaction: discord.Interaction[QuizBot], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = await self.bot.catalogs.for_guild(interaction.guild_id)
        own = [i for i in catalog.search(current, limit=len(catalog)) if catalog.is_server_deck(i)]
        return [deck_choice(catalog.decks[i]) for i in own[:25]]

    async def _remove_click(
        self, interaction: discord.Interaction[QuizBot], click: RemoveClick
    ) -> None:
        deck_id, action = click
        require_manage_server(interaction)  # the button may outlive the clicker's permission
        guild_id = interaction.guild_id
        assert guild_id is not None
        if action != "yes":
            await replies.update(interaction, content=f"Kept `{deck_id}`.", view=None)
            return
        removed = await self.bot.catalogs.remove(guild_id, deck_id)
        if removed:
            log.info("server %s removed deck %s", guild_id, deck_id)
            text = (
                f"Removed `{deck_id}` from this server. Answers given to it stay in "
                "everyone's stats."
            )
        else:
            text = f"This server has no deck `{deck_id}` any more; nothing to remove."
        await replies.update(interaction, content=text, view=None)
