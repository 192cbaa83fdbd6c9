"""Discord's documented size and shape limits, checked on whatever the bot sends.

Each ``check_*`` returns a list of ``FieldError``s (empty when valid), located by JSON path
relative to the object checked, so callers can prefix them (e.g. with ``"data"``).
"""

import re
from typing import Any

from .errors import ApiError, FieldError, JSONDict, form_error
from .messages import COMPONENTS_V2, Upload, walk_components

Path = tuple[str | int, ...]

ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT, TEXT_DISPLAY, LABEL = 1, 2, 3, 4, 10, 18
SELECTS = {3, 5, 6, 7, 8}
LINK_STYLE, PREMIUM_STYLE = 5, 6
MAX_V2_COMPONENTS = 40
# Files on one message, bytes per file (a server without boosts), an alt text's length.
MAX_ATTACHMENTS = 10
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
ATTACHMENT_DESCRIPTION_LIMIT = 1024
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _length(errors: list[FieldError], path: Path, value: Any, low: int, high: int) -> None:
    """Record a Discord length error if ``value`` (a string or list) is out of range."""
    if value is None:
        if low > 0:
            errors.append(FieldError(path, "BASE_TYPE_REQUIRED", "This field is required"))
        return
    size = len(value)
    if low <= size <= high:
        return
    if low == 0:
        message, code = f"Must be {high} or fewer in length.", "BASE_TYPE_MAX_LENGTH"
    elif isinstance(value, list) and size < low:
        message, code = f"Must be {low} or more in length.", "BASE_TYPE_MIN_LENGTH"
    else:
        message, code = f"Must be between {low} and {high} in length.", "BASE_TYPE_BAD_LENGTH"
    errors.append(FieldError(path, code, message))


def _range(errors: list[FieldError], path: Path, value: Any, low: int, high: int) -> None:
    if isinstance(value, int | float) and not low <= value <= high:
        message = f"int value should be between {low} and {high}."
        errors.append(FieldError(path, "NUMBER_TYPE_MAX", message))


# -- messages ------------------------------------------------------------------------------


def is_empty_message(body: JSONDict, uploads: int) -> bool:
    keys = ("content", "embeds", "components", "poll", "sticker_ids", "attachments")
    return not uploads and not any(body.get(key) for key in keys)


def check_message(body: JSONDict) -> list[FieldError]:
    errors: list[FieldError] = []
    content = body.get("content")
    if isinstance(content, str):
        _length(errors, ("content",), content, 0, 2000)
    embeds = body.get("embeds") or []
    errors += check_embeds(embeds)
    errors += check_attachments(body.get("attachments") or [])
    v2 = bool(int(body.get("flags") or 0) & COMPONENTS_V2)
    errors += check_components(body.get("components") or [], v2=v2)
    if v2 and (content or embeds):
        message = "Cannot use content or embeds with components v2"
        errors.append(FieldError(("content",), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_V2", message))
    return errors


def check_attachments(attachments: list[JSONDict]) -> list[FieldError]:
    """The ``attachments`` entries of a message: at most ten, alt texts of 1024 or fewer."""
    errors: list[FieldError] = []
    _length(errors, ("attachments",), attachments, 0, MAX_ATTACHMENTS)
    for i, attachment in enumerate(attachments):
        description = attachment.get("description")
        if description is not None:
            path: Path = ("attachments", i, "description")
            _length(errors, path, description, 0, ATTACHMENT_DESCRIPTION_LIMIT)
    return errors


def check_uploads(uploads: list[Upload]) -> None:
    """The files of a multipart request: at most ten, none over the size limit."""
    if len(uploads) > MAX_ATTACHMENTS:
        message = f"Must be {MAX_ATTACHMENTS} or fewer in length."
        raise form_error([FieldError(("files",), "BASE_TYPE_MAX_LENGTH", message)])
    for upload in uploads:
        if upload.size > ATTACHMENT_SIZE_LIMIT:
            reason = f"{upload.filename}: {upload.size} bytes, over {ATTACHMENT_SIZE_LIMIT}"
            raise ApiError(413, 40005, "Request entity too large", reason=reason, violation=True)


def check_embeds(embeds: list[JSONDict]) -> list[FieldError]:
    errors: list[FieldError] = []
    _length(errors, ("embeds",), embeds, 0, 10)
    total = 0
    for i, embed in enumerate(embeds):
        path: Path = ("embeds", i)
        footer, author = embed.get("footer") or {}, embed.get("author") or {}
        texts = [
            embed.get("title"),
            embed.get("description"),
            footer.get("text"),
            author.get("name"),
        ]
        _length(errors, (*path, "title"), embed.get("title"), 0, 256)
        _length(errors, (*path, "description"), embed.get("description"), 0, 4096)
        _length(errors, (*path, "footer", "text"), footer.get("text"), 0, 2048)
        _length(errors, (*path, "author", "name"), author.get("name"), 0, 256)
        fields = embed.get("fields") or []
        _length(errors, (*path, "fields"), fields, 0, 25)
        for j, embed_field in enumerate(fields):
            _length(errors, (*path, "fields", j, "name"), embed_field.get("name"), 1, 256)
            _length(errors, (*path, "fields", j, "value"), embed_field.get("value"), 1, 1024)
            texts += [embed_field.get("name"), embed_field.get("value")]
        total += sum(len(text) for text in texts if isinstance(text, str))
    if total > 6000:
        message = "Embed size exceeds maximum size of 6000"
        errors.append(FieldError(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", message))
    return errors


def check_components(components: list[JSONDict], *, v2: bool = False) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    if not v2:
        _length(errors, ("components",), components, 0, 5)
        for i, row in enumerate(components):
            if row.get("type") != ACTION_ROW:
                message = 'Value of field "type" must be one of (1,).'
                errors.append(FieldError(("components", i, "type"), "UNION_TYPE_CHOICES", message))
            else:
                _check_row(errors, ("components", i), row, seen)
        return errors
    if sum(1 for _ in walk_components(components)) > MAX_V2_COMPONENTS:
        message = f"Must be {MAX_V2_COMPONENTS} or fewer in total."
        errors.append(FieldError(("components",), "BASE_TYPE_MAX_LENGTH", message))
    for i, component in enumerate(components):
        _check_v2(errors, ("components", i), component, seen)
    return errors


def _check_v2(errors: list[FieldError], path: Path, component: JSONDict, seen: set[str]) -> None:
    kind = component.get("type")
    if kind == ACTION_ROW:
        _check_row(errors, path, component, seen)
    elif kind == BUTTON:
        _check_button(errors, path, component, seen)
    elif kind == TEXT_DISPLAY:
        _length(errors, (*path, "content"), component.get("content"), 1, 4000)
    for i, child in enumerate(component.get("components") or []):
        if kind != ACTION_ROW:
            _check_v2(errors, (*path, "components", i), child, seen)
    if isinstance(component.get("accessory"), dict):
        _check_v2(errors, (*path, "accessory"), component["accessory"], seen)


def _check_row(errors: list[FieldError], path: Path, row: JSONDict, seen: set[str]) -> None:
    children = row.get("components") or []
    _length(errors, (*path, "components"), children, 1, 5)
    width = 0
    for i, child in enumerate(children):
        child_path = (*path, "components", i)
        if child.get("type") == BUTTON:
            width += 1
            _check_button(errors, child_path, child, seen)
        elif child.get("type") in SELECTS:
            width += 5
            _check_select(errors, child_path, child, seen)
        else:
            message = 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).'
            errors.append(FieldError((*child_path, "type"), "UNION_TYPE_CHOICES", message))
    if width > 5 and len(children) <= 5:
        message = "The specified component exceeds the maximum width"
        errors.append(FieldError((*path, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", message))


def _check_custom_id(
    errors: list[FieldError], path: Path, component: JSONDict, seen: set[str]
) -> None:
    custom_id = component.get("custom_id")
    _length(errors, (*path, "custom_id"), custom_id, 1, 100)
    if isinstance(custom_id, str):
        if custom_id in seen:
            message = "Component custom id cannot be duplicated"
            errors.append(
                FieldError((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", message)
            )
        seen.add(custom_id)


def _check_button(errors: list[FieldError], path: Path, button: JSONDict, seen: set[str]) -> None:
    style = button.get("style")
    _range(errors, (*path, "style"), style, 1, 6)
    _length(errors, (*path, "label"), button.get("label"), 0, 80)
    if style == LINK_STYLE:
        _length(errors, (*path, "url"), button.get("url"), 1, 512)
        if "custom_id" in button:
            message = "A link button cannot have a custom_id"
            errors.append(FieldError((*path, "custom_id"), "BUTTON_COMPONENT_INVALID", message))
    elif style != PREMIUM_STYLE:
        _check_custom_id(errors, path, button, seen)
        if not button.get("label") and not button.get("emoji"):
            message = "A button must have a label or an emoji"
            errors.append(FieldError((*path, "label"), "BUTTON_COMPONENT_INVALID", message))


def _check_select(errors: list[FieldError], path: Path, select: JSONDict, seen: set[str]) -> None:
    _check_custom_id(errors, path, select, seen)
    _length(errors, (*path, "placeholder"), select.get("placeholder"), 0, 150)
    min_values, max_values = select.get("min_values", 1), select.get("max_values", 1)
    _range(errors, (*path, "min_values"), min_values, 0, 25)
    _range(errors, (*path, "max_values"), max_values, 1, 25)
    if select.get("type") != STRING_SELECT:
        return
    options = select.get("options") or []
    _length(errors, (*path, "options"), options, 1, 25)
    for i, option in enumerate(options):
        _length(errors, (*path, "options", i, "label"), option.get("label"), 1, 100)
        _length(errors, (*path, "options", i, "value"), option.get("value"), 1, 100)
        _length(errors, (*path, "options", i, "description"), option.get("description"), 0, 100)
    if isinstance(max_values, int) and options and max_values > len(options):
        message = f"Must be {len(options)} or less."
        errors.append(FieldError((*path, "max_values"), "NUMBER_TYPE_MAX", message))


# -- modals and autocomplete ---------------------------------------------------------------


def check_modal(modal: JSONDict) -> list[FieldError]:
    errors: list[FieldError] = []
    _length(errors, ("title",), modal.get("title"), 1, 45)
    _length(errors, ("custom_id",), modal.get("custom_id"), 1, 100)
    components = modal.get("components") or []
    _length(errors, ("components",), components, 1, 5)
    seen: set[str] = set()
    for i, top in enumerate(components):
        path: Path = ("components", i)
        if top.get("type") == ACTION_ROW:
            children = top.get("components") or []
            _length(errors, (*path, "components"), children, 1, 1)
            for j, child in enumerate(children):
                _check_modal_input(errors, (*path, "components", j), child, seen, labelled=False)
        elif top.get("type") == LABEL:
            _length(errors, (*path, "label"), top.get("label"), 1, 45)
            _length(errors, (*path, "description"), top.get("description"), 0, 100)
            inner = top.get("component") or {}
            _check_modal_input(errors, (*path, "component"), inner, seen, labelled=True)
        elif top.get("type") == TEXT_DISPLAY:
            _length(errors, (*path, "content"), top.get("content"), 1, 4000)
    return errors


def _check_modal_input(
    errors: list[FieldError], path: Path, item: JSONDict, seen: set[str], *, labelled: bool
) -> None:
    if item.get("type") in SELECTS:
        _check_select(errors, path, item, seen)
        return
    if item.get("type") != TEXT_INPUT:
        return
    _check_custom_id(errors, path, item, seen)
    _range(errors, (*path, "style"), item.get("style"), 1, 2)
    # Inside a Label component the label lives on the Label; in a legacy row it is required.
    _length(errors, (*path, "label"), item.get("label"), 0 if labelled else 1, 45)
    _length(errors, (*path, "placeholder"), item.get("placeholder"), 0, 100)
    _length(errors, (*path, "value"), item.get("value"), 0, 4000)
    _range(errors, (*path, "min_length"), item.get("min_length"), 0, 4000)
    _range(errors, (*path, "max_length"), item.get("max_length"), 1, 4000)


def check_choices(choices: list[JSONDict], path: Path = ("choices",)) -> list[FieldError]:
    errors: list[FieldError] = []
    _length(errors, path, choices, 0, 25)
    for i, choice in enumerate(choices):
        _length(errors, (*path, i, "name"), choice.get("name"), 1, 100)
        if isinstance(choice.get("value"), str):
            _length(errors, (*path, i, "value"), choice["value"], 0, 100)
    return errors


# -- application commands ------------------------------------------------------------------


def check_commands(commands: list[JSONDict]) -> list[FieldError]:
    """A bulk overwrite: each command, plus uniqueness and count across the list."""
    errors: list[FieldError] = []
    seen: set[tuple[str, int]] = set()
    for i, command in enumerate(commands):
        errors += [error.located(i) for error in check_command(command)]
        key = (str(command.get("name")), int(command.get("type", 1)))
        if key in seen:
            message = "Application command names must be unique"
            errors.append(FieldError((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", message))
        seen.add(key)
    if sum(1 for command in commands if command.get("type", 1) == 1) > 100:
        errors.append(FieldError((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    return errors


def check_command(command: JSONDict) -> list[FieldError]:
    errors: list[FieldError] = []
    name = command.get("name")
    if command.get("type", 1) != 1:
        _length(errors, ("name",), name, 1, 32)
        return errors
    _check_name(errors, ("name",), name)
    _length(errors, ("description",), command.get("description"), 1, 100)
    _check_options(errors, ("options",), command.get("options") or [])
    return errors


def _check_name(errors: list[FieldError], path: Path, name: Any) -> None:
    if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
        message = "Command name is invalid"
        errors.append(FieldError(path, "APPLICATION_COMMAND_INVALID_NAME", message))


def _check_options(errors: list[FieldError], path: Path, options: list[JSONDict]) -> None:
    _length(errors, path, options, 0, 25)
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        option_path = (*path, i)
        _check_name(errors, (*option_path, "name"), option.get("name"))
        _length(errors, (*option_path, "description"), option.get("description"), 1, 100)
        if option.get("name") in names:
            message = "Option names must be unique"
            errors.append(
                FieldError(
                    (*option_path, "name"), "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", message
                )
            )
        names.add(str(option.get("name")))
        if option.get("type") in (1, 2):
            _check_options(errors, (*option_path, "options"), option.get("options") or [])
            continue
        if option.get("required") and seen_optional:
            message = "Required options must be placed before non-required options"
            errors.append(
                FieldError(
                    (*option_path, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    message,
                )
            )
        seen_optional = seen_optional or not option.get("required")
        errors += check_choices(option.get("choices") or [], (*option_path, "choices"))
        _range(errors, (*option_path, "min_length"), option.get("min_length"), 0, 6000)
        _range(errors, (*option_path, "max_length"), option.get("max_length"), 1, 6000)
