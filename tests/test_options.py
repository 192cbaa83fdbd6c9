"""`option_problem` against real discord.py commands, case by case."""

from __future__ import annotations

from typing import Any, Literal

import discord
import pytest
from discord import app_commands
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.options import leaf_options, option_problem


async def _setup(
    interaction: discord.Interaction[Any],
    channel: discord.TextChannel,
    time: app_commands.Range[str, 1, 5],
    count: app_commands.Range[int, 1, 23] | None = None,
    share: float | None = None,
    mode: Literal["fast", "slow"] | None = None,
    who: discord.Member | None = None,
    replace: bool = False,
) -> None:
    """Stands in for a command; never called."""


SETUP = app_commands.Command(name="setup", description="d", callback=_setup)
TEXT_CHANNEL, VOICE_CHANNEL = 0, 2
RESOLVED = {
    "channels": {"10": {"id": "10", "type": TEXT_CHANNEL}, "11": {"id": "11", "type": 2}},
    "users": {"20": {"id": "20", "username": "alice"}},
}


def problem(**values: Any) -> str | None:
    options = {"channel": "10", "time": "09:00", **values}
    sent = [{"name": name, "value": value} for name, value in options.items() if value != ...]
    return option_problem(SETUP, sent, RESOLVED)


def test_valid_options_pass() -> None:
    assert problem() is None
    assert problem(count=23, share=0.5, mode="fast", who="20", replace=True) is None
    assert problem(share=2) is None  # a whole number is a number too
    assert problem(time="9\t00") is None  # whitespace is not a control character here


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"count": 24}, "The `count` option must be between 1 and 23."),
        ({"count": 0}, "The `count` option must be between 1 and 23."),
        ({"count": "12"}, "The `count` option must be a whole number."),
        ({"count": True}, "The `count` option must be a whole number."),
        ({"count": 1.5}, "The `count` option must be a whole number."),
        ({"share": "0.5"}, "The `share` option must be a number."),
        ({"share": float("nan")}, "The `share` option must be a number."),
        ({"share": 2**60}, f"The `share` option must be between {-(2**53)} and {2**53}."),
        ({"mode": "medium"}, "The `mode` option must be one of `fast`, `slow`."),
        ({"time": ""}, "The `time` option must be 1 to 5 characters long."),
        ({"time": "09:00:00"}, "The `time` option must be 1 to 5 characters long."),
        ({"time": "9\x00"}, "The `time` option cannot contain control characters."),
        ({"time": 9}, "The `time` option must be text."),
        ({"replace": "yes"}, "The `replace` option must be true or false."),
        ({"who": "21"}, "The `who` option must be a member."),
        ({"channel": "11"}, "The `channel` option cannot be that kind of channel."),
        ({"channel": "20"}, "The `channel` option must be a channel."),
        ({"channel": None}, "The `channel` option must be a channel."),
        ({"channel": ...}, "The `channel` option is required."),
        ({"colour": "red"}, "`/setup` has no `colour` option."),
    ],
)
def test_each_kind_of_forgery_is_named(values: dict[str, Any], expected: str) -> None:
    assert problem(**values) == expected


def test_an_option_given_twice_is_refused() -> None:
    sent = [{"name": "channel", "value": "10"}, {"name": "time", "value": "09:00"}] * 2
    assert option_problem(SETUP, sent, RESOLVED) == "The `channel` option was given twice."


def test_leaf_options_descend_through_subcommands() -> None:
    leaf = [{"name": "count", "type": 4, "value": 3}]
    group = {"name": "daily", "type": 2, "options": [{"name": "setup", "type": 1, "options": leaf}]}
    assert leaf_options({"options": [group]}) == leaf
    assert leaf_options({"options": leaf}) == leaf
    assert leaf_options({}) == []


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["10", "11", "20", "09:00", "fast"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
NAMES = st.sampled_from(["channel", "time", "count", "share", "mode", "who", "replace"]) | st.text(
    max_size=40
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.fixed_dictionaries({"name": NAMES, "value": JSON}), max_size=9))
def test_any_options_get_a_verdict_never_an_exception(options: list[dict[str, Any]]) -> None:
    verdict = option_problem(SETUP, options, RESOLVED)
    if verdict is not None:
        assert verdict.endswith(".") and "`" in verdict


def typing_problem(*sent: dict[str, Any]) -> str | None:
    return option_problem(SETUP, list(sent), RESOLVED, typing=True)


def test_while_typing_only_what_no_client_could_send_is_a_problem() -> None:
    # Partial text in the focused option, required options not there yet, a count out
    # of range and a choice half typed: a member is still filling the command in.
    assert typing_problem({"name": "share", "value": "0.", "focused": True}) is None
    assert typing_problem({"name": "count", "value": 99}, {"name": "mode", "value": "fa"}) is None
    assert (
        typing_problem({"name": "count", "value": "12abc"}, {"name": "time", "value": "0"})
        == "The `count` option must be a whole number."
    )
    assert (
        typing_problem({"name": "share", "value": "x"}, {"name": "time", "focused": True})
        == "The `share` option must be a number."
    )
    assert typing_problem({"name": "who", "value": "99"}) is not None  # not resolved
    assert typing_problem({"name": "nope", "value": 1}) == "`/setup` has no `nope` option."
