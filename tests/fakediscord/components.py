"""What a user can do with a message's components and a modal, checked like Discord's UI."""

from typing import Any

from .errors import DriverError, JSONDict
from .limits import ACTION_ROW, BUTTON, LABEL, SELECTS, STRING_SELECT, TEXT_INPUT
from .messages import walk_components

_UNCLICKABLE_STYLES = {5: "a link button", 6: "a premium button"}


def find_button(message: JSONDict, target: str) -> JSONDict:
    """The button whose custom_id is ``target`` or, failing that, whose label is."""
    buttons = [
        c for c in walk_components(message.get("components") or []) if c.get("type") == BUTTON
    ]
    matches = [b for b in buttons if b.get("custom_id") == target] or [
        b for b in buttons if b.get("label") == target
    ]
    if len(matches) != 1:
        described = [b.get("custom_id") or b.get("label") for b in buttons]
        problem = "several buttons are" if matches else "no button is"
        raise DriverError(f"{problem} {target!r} on message {message['id']}; buttons: {described}")
    button = matches[0]
    if button.get("style") in _UNCLICKABLE_STYLES:
        raise DriverError(
            f"{target!r} is {_UNCLICKABLE_STYLES[button['style']]}: Discord handles it"
        )
    if button.get("disabled"):
        raise DriverError(f"button {target!r} is disabled")
    return button


def find_select(message: JSONDict, custom_id: str, values: list[str]) -> JSONDict:
    selects = [
        c for c in walk_components(message.get("components") or []) if c.get("type") in SELECTS
    ]
    select = next((s for s in selects if s.get("custom_id") == custom_id), None)
    if select is None:
        known = [s.get("custom_id") for s in selects]
        raise DriverError(f"no select {custom_id!r} on message {message['id']}; selects: {known}")
    if select.get("disabled"):
        raise DriverError(f"select {custom_id!r} is disabled")
    _check_selection(select, values)
    return select


def _check_selection(select: JSONDict, values: list[str]) -> None:
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not low <= len(values) <= high:
        raise DriverError(
            f"select {select.get('custom_id')!r} takes {low}..{high} values, got {values}"
        )
    if select.get("type") == STRING_SELECT:
        offered = [option["value"] for option in select.get("options") or []]
        stray = [value for value in values if value not in offered]
        if stray:
            raise DriverError(
                f"values {stray} are not options of {select.get('custom_id')!r}: {offered}"
            )


def modal_submission(modal: JSONDict, values: dict[str, Any]) -> list[JSONDict]:
    """The ``components`` of a modal submit; ``values`` are keyed by custom_id or label."""
    remaining = dict(values)
    submitted: list[JSONDict] = []
    for top in modal.get("components") or []:
        if top.get("type") == ACTION_ROW:
            inner = (top.get("components") or [{}])[0]
            answer = _answer(inner, inner.get("label"), remaining)
            submitted.append({"type": ACTION_ROW, "id": top.get("id"), "components": [answer]})
        elif top.get("type") == LABEL:
            answer = _answer(top.get("component") or {}, top.get("label"), remaining)
            submitted.append({"type": LABEL, "id": top.get("id"), "component": answer})
    if remaining:
        raise DriverError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(remaining)}")
    return submitted


def _answer(item: JSONDict, label: str | None, remaining: dict[str, Any]) -> JSONDict:
    custom_id = item.get("custom_id")
    key = custom_id if custom_id in remaining else label if label in remaining else None
    value = remaining.pop(key) if key is not None else None
    if item.get("type") in SELECTS:
        chosen = [] if value is None else list(value)
        _check_selection(item, chosen)
        return {
            "type": item["type"],
            "id": item.get("id"),
            "custom_id": custom_id,
            "values": chosen,
        }
    if item.get("type") != TEXT_INPUT:
        raise DriverError(f"cannot fill modal component of type {item.get('type')}")
    text = "" if value is None else str(value)
    if not text and item.get("required", True):
        raise DriverError(f"modal input {custom_id!r} ({label!r}) is required")
    low, high = item.get("min_length"), item.get("max_length")
    if text and ((low is not None and len(text) < low) or (high is not None and len(text) > high)):
        raise DriverError(f"modal input {custom_id!r}: {len(text)} chars, allowed {low}..{high}")
    return {"type": TEXT_INPUT, "id": item.get("id"), "custom_id": custom_id, "value": text}
