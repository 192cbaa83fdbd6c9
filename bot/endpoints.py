"""Point discord.py at another Discord API: the tests' and benches' loopback one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send REST calls (webhooks included) to ``api_base`` and connect to ``gateway_url``
    (a plain `discord.Client` never asks ``/gateway/bot``); None keeps the current one."""
    if api_base:
        Route.BASE = api_base.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@contextlib.contextmanager
def discord_pointed_at(
    api_base: str | None = None, gateway_url: str | None = None
) -> Iterator[None]:
    """`point_discord_at` for a while: the endpoints are put back on exit."""
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    point_discord_at(api_base, gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
