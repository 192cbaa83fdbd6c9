"""Point an in-process discord.py client at a ``FakeDiscord``."""

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.endpoints import discord_pointed_at

if TYPE_CHECKING:
    from .server import FakeDiscord


@contextlib.contextmanager
def patch_discord_endpoints(fake: "FakeDiscord") -> Iterator[None]:
    """Send discord.py's REST calls and gateway connection to the fake; restore them on exit."""
    with discord_pointed_at(*fake.endpoint_urls()):
        yield
