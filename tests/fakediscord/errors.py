"""Discord-shaped errors and the records the fake keeps about what the bot did."""

from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]

UNKNOWN_MESSAGES = {
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10007: "Unknown Member",
    10008: "Unknown Message",
    10011: "Unknown Role",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown application command",
}


class DriverError(Exception):
    """The test asked for something a Discord user could not do: the test is wrong."""


class InteractionFailed(AssertionError):
    """The fake refused the bot's initial response to an interaction (the bot is wrong)."""


class ApiError(Exception):
    """Raised inside a REST handler; becomes a Discord-shaped JSON error response."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: JSONDict | None = None,
        *,
        reason: str | None = None,
        violation: bool | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.reason = reason or message
        # Every 400 is a bot bug by definition; other statuses opt in (e.g. late acks).
        self.violation = status == 400 if violation is None else violation

    def body(self) -> JSONDict:
        body: JSONDict = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(code: int, *, violation: bool = False) -> ApiError:
    """404 for a missing resource, e.g. ``unknown(10008)`` for Unknown Message."""
    return ApiError(404, code, UNKNOWN_MESSAGES[code], violation=violation)


def forbidden(code: int, message: str) -> ApiError:
    return ApiError(403, code, message)


@dataclass(frozen=True)
class FieldError:
    """One entry of a 50035 Invalid Form Body error, located by its JSON path."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def located(self, *prefix: str | int) -> "FieldError":
        return FieldError((*prefix, *self.path), self.code, self.message)

    def describe(self) -> str:
        return f"{'.'.join(map(str, self.path)) or '<body>'}: {self.message}"


def form_error(errors: list[FieldError]) -> ApiError:
    """Build Discord's nested ``{"a": {"0": {"b": {"_errors": [...]}}}}`` error tree."""
    tree: JSONDict = {}
    for error in errors:
        node = tree
        for part in error.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
    reason = "; ".join(error.describe() for error in errors)
    return ApiError(400, 50035, "Invalid Form Body", tree, reason=reason)


@dataclass(frozen=True)
class RecordedRequest:
    """A REST call the bot made, with what the fake answered."""

    method: str
    path: str
    route: str | None
    query: dict[str, str]
    json: Any
    status: int
    response: Any = field(repr=False)


@dataclass(frozen=True)
class Violation:
    """A request the fake refused because the bot broke a Discord rule."""

    method: str
    path: str
    status: int
    code: int
    reason: str
    errors: JSONDict | None = field(default=None, repr=False)
