"""Every command refuses options outside its own schema, and changes nothing; every
autocomplete offers nothing beside options of the wrong type.

Discord checks options against the schema a bot syncs, so a real client cannot send
these; a hostile one can. The cases are made from the synced schema itself, so a new
command or option is covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.interactions import APOLOGY
from tests.conftest import StudyServer
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
from tests.helpers.database import snapshot

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
        "date": "2026-12-31",
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


def type_breaking_values(option: JSONDict) -> list[Any]:
    """Values whose very type is wrong for the option (what its namespace cannot take)."""
    kind = option["type"]
    if kind == STRING:
        return [12345]
    if kind in (INTEGER, NUMBER):
        return ["12abc"]
    if kind == BOOLEAN:
        return ["yes"]
    if kind in (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT):
        return [UNKNOWN_SNOWFLAKE]
    raise AssertionError(f"no type-breaking values for option type {kind}: add them here")


async def test_autocomplete_with_forged_options_offers_nothing_and_logs_no_error(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    cases = []
    for name, schema in sorted(leaf_commands(fake)):
        for focused in (o for o in schema if o.get("autocomplete")):
            typed = {"name": focused["name"], "type": STRING, "value": "a", "focused": True}
            for option in schema:
                if option is focused:
                    continue
                for value in type_breaking_values(option):
                    forged = {"name": option["name"], "type": option["type"], "value": value}
                    cases.append((name, focused["name"], [forged, typed]))
    assert len({(name, options[0]["name"]) for name, _, options in cases}) >= 10
    failures = []
    for name, focused_name, options in cases:
        it = await fake.forge_autocomplete(name, options, user=server.admin, channel=server.channel)
        where = f"/{name} {focused_name} with {options[0]['name']}={options[0]['value']!r}"
        try:
            await it.wait_response()
        except TimeoutError:
            failures.append(f"{where}: no answer")
            continue
        if it.choices != []:
            failures.append(f"{where}: offered {it.choices}")
    assert failures == [], "\n".join(failures)
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert errors == [], [r.getMessage() for r in errors]


async def test_autocomplete_still_helps_while_another_option_is_out_of_range(
    fake: FakeDiscord, server: StudyServer, runner: BotRunner
) -> None:
    # A member may type 99 questions, then pick a deck: Discord refuses the 99 only when
    # the command is sent, so the deck list must still come.
    options = [
        {"name": "questions", "type": INTEGER, "value": 99},
        {"name": "deck", "type": STRING, "value": "aws", "focused": True},
    ]
    it = await fake.forge_autocomplete("quiz", options, user=server.alice, channel=server.channel)
    await it.wait_response()
    assert [choice["value"] for choice in it.choices or []] == [DECK]
