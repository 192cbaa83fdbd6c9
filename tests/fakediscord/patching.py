"""Point an in-process discord.py client at a ``FakeDiscord``."""

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

if TYPE_CHECKING:
    from .server import FakeDiscord


@contextlib.contextmanager
def patch_discord_endpoints(fake: "FakeDiscord") -> Iterator[None]:
    """Set ``Route.BASE`` (REST, webhooks included) and ``DiscordWebSocket.DEFAULT_GATEWAY``
    (a plain ``Client`` never asks ``/gateway/bot``) to the fake; restore them on exit."""
    api_base, gateway_url = fake.endpoint_urls()
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
