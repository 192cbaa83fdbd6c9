"""Every message the bot sends or edits goes out through these, fitted to Discord's limits.

Renderers write what they have to say; `fit_message` (in `embeds`) then makes it a message
Discord accepts, whatever a deck or a member typed. Sending through
`interaction.response`, `interaction.followup` or a channel directly would skip that step,
so the feature packages call these instead.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import discord

from bot.exts.embeds import fit_message

log = logging.getLogger(__name__)

# Not given: an edit keeps the message's attachments as they are.
_KEEP: Any = object()
T = TypeVar("T")
# Discord forgets an interaction that is not acknowledged within 3 s of the click. Work
# still running this long after it (a write queued behind a burst of others) gets the
# interaction acknowledged first, and its answer follows when the work is done. Early
# enough that the acknowledgement lands in time even while a burst keeps the process
# busy (a 300-click round on a slow hour delivered some a second late).
ACKNOWLEDGE_WITHIN = timedelta(seconds=1)


@dataclass(frozen=True)
class PictureData:
    """A picture held in memory (a server deck's, read from the database), by its name."""

    name: str
    data: bytes


Picture = Path | PictureData


def _picture(fitted: dict[str, Any], picture: Picture | None, *, key: str) -> dict[str, Any]:
    """Attach a deck's picture and show it as the first embed's image
    (`attachment://name`); None removes the one an edited message showed."""
    if picture is _KEEP:
        return fitted
    if picture is None:
        if key == "attachments":
            fitted[key] = []
        return fitted
    try:
        if isinstance(picture, PictureData):
            file = discord.File(io.BytesIO(picture.data), filename=picture.name)
        else:
            file = discord.File(picture, filename=picture.name)
    except OSError as error:  # a deck file edited since it was checked: the text still goes
        log.warning("cannot attach picture %s: %s", picture, error)
        if key == "attachments":
            fitted[key] = []
        return fitted
    embeds = fitted.get("embeds") or ([fitted["embed"]] if fitted.get("embed") else [])
    if embeds:
        embeds[0].set_image(url=f"attachment://{picture.name}")
    fitted[key] = [file]
    return fitted


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    picture: Picture | None = None,
    **message: Any,
) -> None:
    """Answer an interaction: its response, or a follow-up once it is acknowledged
    (deferred, or already answered). `picture`: a file shown as the first embed's image."""
    fitted = _picture(fit_message({"content": content, **message}), picture, key="files")
    if interaction.response.is_done():
        await interaction.followup.send(**fitted)
    else:
        await interaction.response.send_message(**fitted)


async def update(
    interaction: discord.Interaction[Any], *, picture: Picture | None = _KEEP, **message: Any
) -> None:
    """Change the message of the interaction: the one a clicked button is on, or the
    response once it is acknowledged. Only the parts given change; `picture` replaces the
    message's picture (None: shows none)."""
    fitted = _picture(fit_message(message), picture, key="attachments")
    if interaction.response.is_done():
        await interaction.edit_original_response(**fitted)
    else:
        await interaction.response.edit_message(**fitted)


async def in_time(
    interaction: discord.Interaction[Any], work: Awaitable[T], *, edits_message: bool = False
) -> T:
    """The result of ``work``, the interaction acknowledged meanwhile if the work is not
    done `ACKNOWLEDGE_WITHIN` after the click: a deferred edit of the clicked message
    when the answer edits it (`update`), else a private "thinking" reply that the answer
    (`reply`) fills."""
    task = asyncio.ensure_future(work)
    # From the click, by Discord's clock; a host clock behind it counts from now.
    age = max(timedelta(0), discord.utils.utcnow() - interaction.created_at)
    try:
        done, _ = await asyncio.wait(
            {task}, timeout=max(0.0, (ACKNOWLEDGE_WITHIN - age).total_seconds())
        )
        if not done and not interaction.response.is_done():
            if edits_message:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
    except BaseException:
        task.cancel()
        raise
    return await task


async def post(
    channel: discord.abc.Messageable, content: str | None = None, **message: Any
) -> discord.Message:
    """Send a message to a channel."""
    return await channel.send(**fit_message({"content": content, **message}))


async def edit(message: discord.Message | discord.PartialMessage, **parts: Any) -> None:
    """Change a message the bot sent earlier. Only the parts given change."""
    await message.edit(**fit_message(parts))
