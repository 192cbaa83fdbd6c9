"""Options of a slash command, checked against the command's own schema.

Discord checks options against the schema the bot syncs, but discord.py does not check
them again: a hostile client could send a count of -1, a choice that is not one, text
where a number belongs (which discord.py's namespace cannot even parse) or a member that
is not among the interaction's resolved objects. The tree runs `option_problem` before
any command, so every command can trust its options, and the client gets a reply that
names the option instead of an apology or no answer at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from discord import AppCommandOptionType as Kind
from discord import app_commands

# Discord's own bounds: integers and numbers within ±2^53, option text up to 6,000
# characters.
LARGEST_NUMBER = 2**53
LONGEST_TEXT = 6000
# Control characters no keyboard types (tabs and line breaks are let through).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUBCOMMANDS = (Kind.subcommand.value, Kind.subcommand_group.value)
# Where each kind of object option is found among the interaction's resolved data.
_RESOLVED_IN = {
    Kind.user: ("users",),
    Kind.channel: ("channels",),
    Kind.role: ("roles",),
    Kind.mentionable: ("users", "roles"),
    Kind.attachment: ("attachments",),
}
_WHAT = {
    Kind.string: "text",
    Kind.integer: "a whole number",
    Kind.number: "a number",
    Kind.boolean: "true or false",
    Kind.user: "a member",
    Kind.channel: "a channel",
    Kind.role: "a role",
    Kind.mentionable: "a member or a role",
    Kind.attachment: "a file sent with the command",
}


def leaf_options(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The options of the subcommand an interaction's data names (its top level if none)."""
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    while len(options) == 1 and options[0].get("type") in _SUBCOMMANDS:
        options = list(options[0].get("options") or [])
    return options


def option_problem(
    command: app_commands.Command[Any, ..., Any],
    options: Sequence[Mapping[str, Any]],
    resolved: Mapping[str, Any],
    *,
    typing: bool = False,
) -> str | None:
    """What is wrong with the options sent for ``command``, for the member; None if nothing.

    ``typing``: the options of an autocomplete, sent while the member is still filling the
    command in. Its focused option is partial text by design, required options may not be
    there yet, and Discord checks choices, ranges and lengths only when the command is
    sent; so only what no client could send is a problem: unknown or repeated options,
    values of the wrong type, objects that are not among the resolved ones.
    """
    parameters = {parameter.display_name: parameter for parameter in command.parameters}
    seen: set[str] = set()
    for option in options:
        name = str(option.get("name"))
        parameter = parameters.get(name)
        if parameter is None:
            return f"`/{command.qualified_name}` has no `{name[:32]}` option."
        if name in seen:
            return f"The `{name}` option was given twice."
        seen.add(name)
        if typing and option.get("focused"):
            continue
        problem = _value_problem(parameter, option.get("value"), resolved, typing=typing)
        if problem is not None:
            return f"The `{name}` option {problem}."
    if typing:
        return None
    for name, parameter in parameters.items():
        if parameter.required and name not in seen:
            return f"The `{name}` option is required."
    return None


def _value_problem(
    parameter: app_commands.Parameter, value: Any, resolved: Mapping[str, Any], *, typing: bool
) -> str | None:
    kind = parameter.type
    if kind in _RESOLVED_IN:
        return _object_problem(parameter, value, resolved)
    if not _is_kind(kind, value):
        return f"must be {_WHAT.get(kind, 'something else')}"
    if typing:
        return None
    if parameter.choices:
        allowed = [choice.value for choice in parameter.choices]
        if value not in allowed:
            return "must be one of " + ", ".join(f"`{choice}`" for choice in allowed)
    low, high = parameter.min_value, parameter.max_value
    if kind is Kind.string:
        if _CONTROL.search(value):
            return "cannot contain control characters"
        low, high = low or 0, LONGEST_TEXT if high is None else high
        if not low <= len(value) <= high:
            return f"must be {low} to {high} characters long"
    elif kind in (Kind.integer, Kind.number):
        low = -LARGEST_NUMBER if low is None else low
        high = LARGEST_NUMBER if high is None else high
        if not low <= value <= high:
            return f"must be between {low} and {high}"
    return None


def _is_kind(kind: Kind, value: Any) -> bool:
    if kind is Kind.string:
        return isinstance(value, str)
    if kind is Kind.boolean:
        return isinstance(value, bool)
    if isinstance(value, bool):  # a bool is an int to Python, not to Discord
        return False
    if kind is Kind.integer:
        return isinstance(value, int)
    if kind is Kind.number:
        return isinstance(value, int | float) and math.isfinite(value)
    return False


def _object_problem(
    parameter: app_commands.Parameter, value: Any, resolved: Mapping[str, Any]
) -> str | None:
    wanted = f"must be {_WHAT[parameter.type]}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        return wanted
    key = str(value)
    found = [resolved.get(where, {}).get(key) for where in _RESOLVED_IN[parameter.type]]
    found_one = next((item for item in found if item is not None), None)
    if not isinstance(found_one, Mapping):
        return wanted
    allowed = [kind.value for kind in parameter.channel_types]
    if allowed and found_one.get("type") not in allowed:
        return "cannot be that kind of channel"
    return None
