"""Every command refuses options outside its own schema, and changes nothing.

Discord checks options against the schema a bot syncs, so a real client cannot send
these; a hostile one can. The cases are made from the synced schema itself, so a new
command or option is covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.client import APOLOGY
from tests.conftest import StudyServer
from tests.exts.test_permissions import snapshot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.errors import JSONDict
from tests.fakediscord.slash import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from tests.harness import BotRunner

DECK = "aws-mla-c01-deployment"
DISCORD_MAX_STRING = 6000
UNKNOWN_SNOWFLAKE = "112233445566778899"


def leaf_commands(fake: FakeDiscord) -> Iterator[tuple[str, list[JSONDict]]]:
    """(qualified name, option schema) of every command a member can run."""
    pending = [(command["name"], command) for command in fake.commands()]
    while pending:
        name, command = pending.pop()
        options = command.get("options", [])
        children = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        pending += [(f"{name} {child['name']}", child) for child in children]
        if not children:
            yield name, options


def forged_values(option: JSONDict) -> list[Any]:
    """Values of the right shape on the wire that the option's schema forbids."""
    kind = option["type"]
    values: list[Any] = []
    if option.get("choices"):
        values.append("not-a-choice" if kind == STRING else 987654)
    if kind == STRING:
        longest = option.get("max_length", DISCORD_MAX_STRING)
        values += ["x" * (longest + 1), "\u0000" * 10]
        if option.get("min_length", 0) > 0:
            values.append("")
    elif kind in (INTEGER, NUMBER):
        low, high = option.get("min_value"), option.get("max_value")
        if low is not None:
            values.append(low - (1 if kind == INTEGER else 0.001))
        if high is not None:
            values.append(high + (1 if kind == INTEGER else 0.001))
        values += [-(2**64) if kind == INTEGER else -1e308, "12abc"]
    elif kind == BOOLEAN:
        values.append("yes")
    elif kind in (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT):
        values.append(UNKNOWN_SNOWFLAKE)  # not among the interaction's resolved objects
    else:
        raise AssertionError(f"no forged values for option type {kind}: add them here")
    return values


def valid_options(fake: FakeDiscord, server: StudyServer) -> dict[str, Any]:
    """A valid value for every required option, by option name."""
    return {
        "value": 0.85,
        "count": 10,
        "zone": "Europe/Berlin",
        "deck": DECK,
        "file": fake.upload("cards.csv", b"front,back\nQ1,A1\nQ2,A2\nQ3,A3\nQ4,A4\n"),
        "channel": server.channel,
        "time": "09:00",
    }


def reply_text(message: JSONDict | None) -> str:
    if message is None:
        return ""
    embeds = " ".join(str(e.get("description", "")) for e in message.get("embeds", []))
    return f"{message.get('content') or ''} {embeds}".strip()


async def test_every_command_refuses_forged_options_and_changes_nothing(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    valid = valid_options(fake, server)
    cases = []
    for name, schema in sorted(leaf_commands(fake)):
        required = {o["name"]: valid[o["name"]] for o in schema if o.get("required")}
        for option in schema:
            for value in forged_values(option):
                forged = {"name": option["name"], "type": option["type"], "value": value}
                cases.append((name, required, forged))
    assert len({(name, forged["name"]) for name, _, forged in cases}) >= 25
    before = snapshot(runner.database)
    failures = []
    for name, required, forged in cases:
        # As an admin, so that admin commands get as far as reading their options.
        it = await fake.forge_slash(
            name, [forged], valid=required, user=server.admin, channel=server.channel
        )
        shown = repr(forged["value"])[:40]
        try:
            await it.wait_final()
        except TimeoutError:
            failures.append(f"/{name} {forged['name']}={shown}: no answer")
            continue
        text = reply_text(it.message)
        if not it.ephemeral or forged["name"] not in text or text == APOLOGY:
            failures.append(f"/{name} {forged['name']}={shown}: {text[:120]!r}")
        elif snapshot(runner.database) != before:
            failures.append(f"/{name} {forged['name']}={shown}: stored something")
            before = snapshot(runner.database)
    assert failures == [], "\n".join(failures)
    assert fake.messages(server.channel) == []  # no challenge was posted


@pytest.mark.parametrize("kind", [STRING, INTEGER, NUMBER, BOOLEAN, USER, CHANNEL, ATTACHMENT])
def test_every_option_type_has_forged_values(kind: int) -> None:
    assert forged_values({"type": kind, "name": "x"})
