"""REST plumbing: route table, body parsing, auth, rate limits, recording, error shapes."""

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from .errors import ApiError, JSONDict, RecordedRequest, Violation
from .limits import check_uploads
from .messages import Upload
from .ratelimit import RateLimiter
from .waiting import ChangeNotifier

log = logging.getLogger("fakediscord.rest")
_PARAM = re.compile(r"\{(\w+)\}")
_FILE_PART = re.compile(r"files\[(\d+)\]")


@dataclass
class ApiRequest:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    uploads: list[Upload] = field(default_factory=list)

    def snowflake(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise ApiError(
                400, 50035, "Invalid Form Body", reason=f"{name} {value!r} is not a snowflake"
            )
        return int(value)

    def body(self) -> JSONDict:
        return self.json if isinstance(self.json, dict) else {}


@dataclass
class Reply:
    status: int = 200
    body: Any = None


Handler = Callable[[ApiRequest], Awaitable[Reply]]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    template: str
    handler: Handler
    auth: bool
    pattern: re.Pattern[str]


class Router:
    """Routes are tried in registration order, so register ``@me`` before ``{user_id}``."""

    def __init__(self) -> None:
        self._routes: list[RouteSpec] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        regex = _PARAM.sub(
            r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        )
        spec = RouteSpec(method, template, handler, auth, re.compile(f"^{regex}$"))
        self._routes.append(spec)

    def match(self, method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        for spec in self._routes:
            found = spec.pattern.match(path)
            if found and spec.method == method:
                return spec, found.groupdict()
        return None


class Gate:
    """Requests to one route wait here until it opens (a slow Discord, for a test)."""

    def __init__(self, method: str, template: str) -> None:
        self.method = method
        self.template = template
        self.arrived = 0
        self._opened = asyncio.Event()

    def open(self) -> None:
        self._opened.set()

    async def wait(self) -> None:
        await self._opened.wait()


class RestApi:
    """The aiohttp handler for everything under ``/api/v10``."""

    def __init__(
        self, router: Router, limiter: RateLimiter, token: str, notifier: ChangeNotifier
    ) -> None:
        self._router = router
        self._limiter = limiter
        self._token = token
        self._notifier = notifier
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.unknown_routes: list[str] = []
        self.gates: list[Gate] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method, path = request.method, "/" + request.match_info["tail"]
        body, uploads = await _read_body(request)
        found = self._router.match(method, path)
        template = found[0].template if found else None
        headers: dict[str, str] = {}
        injected = False
        try:
            if found is None:
                self.unknown_routes.append(f"{method} {path}")
                log.warning("fake Discord has no route for %s %s", method, path)
                raise ApiError(404, 0, "404: Not Found")
            spec, params = found
            if spec.auth and request.headers.get(hdrs.AUTHORIZATION) != f"Bot {self._token}":
                raise ApiError(401, 0, "401: Unauthorized")
            verdict = self._limiter.check(
                method,
                template,
                path,
                _major(params),
                global_exempt=path.startswith("/interactions/"),
                token=request.headers.get(hdrs.AUTHORIZATION, ""),
            )
            headers, injected = verdict.headers, verdict.injected
            if verdict.refusal is not None:
                status, payload = verdict.refusal
            else:
                check_uploads(uploads)
                for gate in self.gates:
                    if (gate.method, gate.template) == (method, template):
                        gate.arrived += 1
                        self._notifier.pulse()
                        await gate.wait()
                query = dict(request.query)
                reply = await spec.handler(ApiRequest(method, path, params, query, body, uploads))
                status, payload = reply.status, reply.body
        except ApiError as error:
            status, payload = error.status, error.body()
            if error.violation and not injected:
                self.violations.append(
                    Violation(method, path, status, error.code, error.reason, error.errors)
                )
                log.warning("bot broke a Discord rule: %s %s -> %s", method, path, error.reason)
        self.requests.append(
            RecordedRequest(method, path, template, dict(request.query), body, status, payload)
        )
        self._notifier.pulse()
        return _response(status, payload, headers)


def _major(params: dict[str, str]) -> str:
    """Discord buckets per channel, guild, or webhook(+token)."""
    for key in ("channel_id", "guild_id"):
        if key in params:
            return params[key]
    pairs = (("webhook_id", "webhook_token"), ("interaction_id", "interaction_token"))
    for first, second in pairs:
        if first in params:
            return f"{params[first]}+{params.get(second, '')}"
    return ""


def _response(status: int, payload: Any, headers: dict[str, str]) -> web.Response:
    # discord.py refuses to honour a 429 without a Via header (it assumes Cloudflare).
    headers = {**headers, "Via": "1.1 google"}
    if payload is None:
        return web.Response(status=204 if status < 300 else status, headers=headers)
    # Exactly "application/json": with "; charset=utf-8" discord.py would treat it as text.
    headers[hdrs.CONTENT_TYPE] = "application/json"
    return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


async def _read_multipart(request: web.Request) -> tuple[Any, list[Upload]]:
    reader = await request.multipart()
    body: Any = {}
    uploads: list[Upload] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            body = json.loads(await part.text())
        elif part.filename:
            data = await part.read()
            content_type = part.headers.get(hdrs.CONTENT_TYPE)
            found = _FILE_PART.fullmatch(part.name or "")
            index = int(found[1]) if found else None
            uploads.append(Upload(part.filename, len(data), content_type, data, index))
    return body, uploads
