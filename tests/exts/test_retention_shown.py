"""/settings retention answers with the retention it stored, every digit of it."""

from __future__ import annotations

import pytest

from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord
from tests.harness import BotRunner
from tests.helpers.quiz import slash

pytestmark = pytest.mark.engines


@pytest.mark.parametrize(
    ("value", "shown"), [(0.925, "92.5%"), (0.7, "70%"), (0.97, "97%"), (0.8125, "81.25%")]
)
async def test_the_reply_shows_the_stored_retention(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, value: float, shown: str
) -> None:
    done = await slash(fake, server, server.admin, "settings retention", value=value)
    assert done.message["content"].startswith(
        f"Reviews in this server now aim at **{shown}** retention: "
    )
    assert runner.db is not None
    assert await runner.db.reviews.desired_retention(server.guild.id) == value
