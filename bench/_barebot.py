"""The baseline: a bare discord.py bot that does no work, answering with constants.

It imports nothing but discord.py (and `bot.endpoints`, which imports nothing more), so as
a process (`python -m bench._barebot`, the start-up baseline) it costs what any
discord.py bot costs to start.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import discord
from discord import app_commands

from bot.endpoints import point_discord_at

# Constant answers: what a bot that does no work at all would show.
DAILY_REPLY = "Thanks, your answer is noted."
QUIZ_REPLY = "Answer noted."
DECKS_REPLY = "Flashcard decks: one deck."
QUIZ_PREFIX, DAILY_PREFIX = "bare-quiz", "bare-daily"


def letters_view(prefix: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for letter in "ABCD":
        view.add_item(discord.ui.Button(label=letter, custom_id=f"{prefix}:{letter.lower()}"))
    return view


def question_embed(title: str, front: str, options: list[str]) -> discord.Embed:
    """A question shaped like the real bot's, so both bots receive payloads of a like size."""
    lines = [f"**{front}**", ""]
    lines += [f"**{letter}.** {text}" for letter, text in zip("ABCD", options, strict=False)]
    return discord.Embed(title=title, description="\n".join(lines))


class BareBot(discord.Client):
    """`/quiz` shows four buttons, `/decks list` one line, and every button click gets a
    constant answer of the same kind the real bot sends (an ephemeral reply to a daily
    button, an update of the message for a quiz button)."""

    def __init__(self, *, question: discord.Embed | None = None) -> None:
        super().__init__(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
        self.tree: app_commands.CommandTree[BareBot] = app_commands.CommandTree(self)
        self.question = question or question_embed("Question 1 of 10", "?", list("1234"))
        self.tree.add_command(
            app_commands.Command(
                name="quiz", description="A question with four buttons", callback=self._quiz
            )
        )
        decks = app_commands.Group(name="decks", description="Decks")
        decks.add_command(
            app_commands.Command(name="list", description="The decks", callback=self._decks)
        )
        self.tree.add_command(decks)

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def _quiz(self, interaction: discord.Interaction[Any]) -> None:
        view = letters_view(QUIZ_PREFIX)
        await interaction.response.send_message(embed=self.question, view=view, ephemeral=True)
        view.stop()  # clicks are answered by on_interaction, not by this view

    async def _decks(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(DECKS_REPLY, ephemeral=True)

    async def post_question(self, channel_id: int, embed: discord.Embed) -> int:
        """Post a daily-style question with A-D buttons in a channel; returns its id."""
        view = letters_view(DAILY_PREFIX)
        message = await self.get_partial_messageable(channel_id).send(embed=embed, view=view)
        view.stop()
        return message.id

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if custom_id.startswith(QUIZ_PREFIX):
            await interaction.response.edit_message(content=QUIZ_REPLY, embed=None, view=None)
        elif custom_id.startswith(DAILY_PREFIX):
            await interaction.response.send_message(DAILY_REPLY, ephemeral=True)


async def _serve() -> None:
    bot = BareBot()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: loop.create_task(bot.close()))
    async with bot:
        await bot.start(os.environ["DISCORD_TOKEN"])


def main() -> int:
    """Serve on the endpoints in the environment, like `python -m bot`; SIGTERM ends it."""
    point_discord_at(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"])
    asyncio.run(_serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
