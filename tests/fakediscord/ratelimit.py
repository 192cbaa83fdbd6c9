"""Discord-style rate limit headers, configurable 429s, and fault injection."""

import fnmatch
import hashlib
import math
import re
import time
from dataclasses import dataclass

from .errors import JSONDict

# Unconfigured routes advertise this (generous, never enforced) bucket.
DEFAULT_LIMIT = 50
DEFAULT_WINDOW = 1.0
GLOBAL_WINDOW = 1.0
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def normalize_route(route: str) -> str:
    """``"post /channels/{channel_id}/messages"`` -> ``"POST /channels/{}/messages"``."""
    method, _, path = route.strip().partition(" ")
    return f"{method.upper()} {_PLACEHOLDER.sub('{}', path.strip())}"


@dataclass
class RouteLimit:
    limit: int
    per_seconds: float
    # False models Discord's hidden/shared limits: headers look fine yet 429s arrive.
    advertise: bool = True


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    remaining: int
    body: JSONDict | None
    retry_after: float

    def matches(self, method: str, template: str | None, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        if "{" in self.pattern:
            return template is not None and normalize_route(f"X {self.pattern}") == normalize_route(
                f"X {template}"
            )
        return fnmatch.fnmatchcase(path, self.pattern)


@dataclass
class Verdict:
    """Headers for the response, and a refusal (status, body) if the fake refuses it."""

    headers: dict[str, str]
    refusal: tuple[int, JSONDict] | None = None
    injected: bool = False


class RateLimiter:
    def __init__(self) -> None:
        self.route_limits: dict[str, RouteLimit] = {}
        self.global_limit: int | None = None
        self.faults: list[Fault] = []
        self.limited_count = 0
        self._windows: dict[tuple[str, str], _Window] = {}
        # One global window per bot token, whichever client (process) sends the request.
        self._globals: dict[str, _Window] = {}

    def set_route_limit(
        self, route: str, limit: int, per_seconds: float, *, advertise: bool = True
    ) -> None:
        self.route_limits[normalize_route(route)] = RouteLimit(limit, per_seconds, advertise)

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        count: int = 1,
        *,
        body: JSONDict | None = None,
        retry_after: float = 0.05,
    ) -> None:
        fault = Fault(method.upper(), path_pattern, status, count, body, retry_after)
        self.faults.append(fault)

    def check(
        self,
        method: str,
        template: str | None,
        path: str,
        major: str,
        *,
        global_exempt: bool,
        token: str = "",
    ) -> Verdict:
        fault = next((f for f in self.faults if f.matches(method, template, path)), None)
        if fault is not None:
            return self._inject(fault)
        now = time.monotonic()
        if self.global_limit is not None and not global_exempt:
            window = self._globals.get(token)
            if window is None or now - window.started >= GLOBAL_WINDOW:
                window = self._globals[token] = _Window(now)
            if window.count >= self.global_limit:
                retry = GLOBAL_WINDOW - (now - window.started)
                return self._too_many(retry, {}, is_global=True)
            window.count += 1
        if template is None:
            return Verdict({})
        return self._route(normalize_route(f"{method} {template}"), major, now)

    def _route(self, route: str, major: str, now: float) -> Verdict:
        configured = self.route_limits.get(route)
        limit = configured or RouteLimit(DEFAULT_LIMIT, DEFAULT_WINDOW)
        window = self._windows.get((route, major))
        if window is None or now - window.started >= limit.per_seconds:
            window = self._windows[(route, major)] = _Window(now)
        reset_after = max(limit.per_seconds - (now - window.started), 0.001)
        if configured is not None and window.count >= limit.limit:
            headers = _bucket_headers(route, limit.limit, 0, reset_after)
            return self._too_many(reset_after, headers, is_global=False)
        window.count += 1
        if not limit.advertise:
            return Verdict(_bucket_headers(route, DEFAULT_LIMIT, DEFAULT_LIMIT - 1, DEFAULT_WINDOW))
        return Verdict(_bucket_headers(route, limit.limit, limit.limit - window.count, reset_after))

    def _inject(self, fault: Fault) -> Verdict:
        fault.remaining -= 1
        if fault.remaining <= 0:
            self.faults.remove(fault)
        if fault.status == 429:
            verdict = self._too_many(fault.retry_after, {}, is_global=False)
            verdict.injected = True
            return verdict
        body = fault.body or {"message": f"{fault.status}: injected fault", "code": 0}
        return Verdict({}, (fault.status, body), injected=True)

    def _too_many(self, retry_after: float, headers: dict[str, str], *, is_global: bool) -> Verdict:
        self.limited_count += 1
        retry_after = round(max(retry_after, 0.001), 3)
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        headers = {**headers, "Retry-After": str(math.ceil(retry_after))}
        headers["X-RateLimit-Scope"] = "global" if is_global else "user"
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return Verdict(headers, (429, body))


def _bucket_headers(route: str, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": hashlib.sha1(route.encode()).hexdigest()[:16],
    }
