"""Every message the bot sends or edits goes out through these, fitted to Discord's limits.

Renderers write what they have to say; `fit_message` (in `embeds`) then makes it a message
Discord accepts, whatever a deck or a member typed. Sending through
`interaction.response`, `interaction.followup` or a channel directly would skip that step,
so the feature packages call these instead.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.exts.embeds import fit_message


async def reply(
    interaction: discord.Interaction[Any], content: str | None = None, **message: Any
) -> None:
    """Answer an interaction: its response, or a follow-up once it is acknowledged
    (deferred, or already answered)."""
    fitted = fit_message({"content": content, **message})
    if interaction.response.is_done():
        await interaction.followup.send(**fitted)
    else:
        await interaction.response.send_message(**fitted)


async def update(interaction: discord.Interaction[Any], **message: Any) -> None:
    """Change the message of the interaction: the one a clicked button is on, or the
    response once it is acknowledged. Only the parts given change."""
    fitted = fit_message(message)
    if interaction.response.is_done():
        await interaction.edit_original_response(**fitted)
    else:
        await interaction.response.edit_message(**fitted)


async def post(
    channel: discord.abc.Messageable, content: str | None = None, **message: Any
) -> discord.Message:
    """Send a message to a channel."""
    return await channel.send(**fit_message({"content": content, **message}))


async def edit(message: discord.Message | discord.PartialMessage, **parts: Any) -> None:
    """Change a message the bot sent earlier. Only the parts given change."""
    await message.edit(**fit_message(parts))
