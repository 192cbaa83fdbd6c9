"""Time-zone lookup and local wall-clock arithmetic.

Everything the bot stores is in UTC; these helpers translate between UTC instants and what a
user's clock shows, including the awkward hours around daylight-saving changes.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process, utils

__all__ = [
    "COMMON_ZONES",
    "InvalidTimeOfDayError",
    "UnknownTimeZoneError",
    "local_date",
    "local_day_bounds",
    "next_local_occurrence",
    "parse_hhmm",
    "resolve_zone",
    "search_zones",
    "zone_or_utc",
]

# Offered when the autocomplete box is still empty: a spread of the zones most users live in.
COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Warsaw",
    "Europe/Kyiv",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)

MAX_SUGGESTIONS = 5
# Discord rejects autocomplete choices longer than 100 characters.
MAX_CHOICE_LENGTH = 100
# No IANA name is anywhere near this long; cutting the query keeps fuzzy matching cheap even
# when someone pastes a novel into the option.
_MAX_QUERY_CHARS = 64
# Below this similarity (0..100, rapidfuzz ratio) a suggestion is more confusing than helpful.
_SUGGESTION_CUTOFF = 70.0
# An error message lists only the suggestions about as good as the best one; a clear winner
# ("Europe/Berlin" for "Europe/Berln") should not come with a tail of weak alternatives.
_SUGGESTION_BAND = 15.0
_EXAMPLE_HINT = "Use an IANA name such as Europe/Berlin or America/New_York."
_HHMM_RE = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


class UnknownTimeZoneError(ValueError):
    """Raised when a name is not an IANA time zone; carries close matches for the reply."""

    def __init__(self, name: str, suggestions: tuple[str, ...] = ()) -> None:
        self.name = name
        self.suggestions = suggestions
        shown = name if len(name) <= _MAX_QUERY_CHARS else name[:_MAX_QUERY_CHARS] + "…"
        message = f"Unknown time zone {shown!r}."
        if suggestions:
            message += f" Did you mean: {', '.join(suggestions)}?"
        super().__init__(f"{message} {_EXAMPLE_HINT}")


class InvalidTimeOfDayError(ValueError):
    """Raised when a time of day is not in 24-hour HH:MM form."""

    def __init__(self, text: str) -> None:
        self.text = text
        shown = text if len(text) <= 20 else text[:20] + "…"
        prefix = f"{shown!r} is not a valid time of day." if text.strip() else "No time given."
        super().__init__(f"{prefix} Use 24-hour HH:MM, for example 09:00 or 18:30.")


@functools.cache
def _zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database on disk; it never changes while we run.
    return frozenset(available_timezones())


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in _zone_names()}


@functools.cache
def _sorted_zone_names() -> tuple[str, ...]:
    # A fixed order makes fuzzy ties (and therefore suggestions) deterministic.
    return tuple(sorted(_zone_names()))


@functools.cache
def _city_names() -> tuple[str, ...]:
    # "America/Argentina/Buenos_Aires" -> "Buenos_Aires": people usually type the city alone.
    return tuple(name.rsplit("/", 1)[-1] for name in _sorted_zone_names())


def _suggest(query: str, limit: int, band: float | None = None) -> list[str]:
    """Zone names most similar to ``query``, comparing against full names and city names.

    With ``band``, only names scoring within that many points of the best one are returned.
    """
    names = _sorted_zone_names()
    best: dict[int, float] = {}
    for choices in (names, _city_names()):
        for _choice, score, index in process.extract(
            query[:_MAX_QUERY_CHARS],
            choices,
            scorer=fuzz.ratio,
            processor=utils.default_process,
            limit=None,
            score_cutoff=_SUGGESTION_CUTOFF,
        ):
            best[index] = max(score, best.get(index, 0.0))
    ranked = sorted(best, key=lambda index: (-best[index], names[index]))
    if band is not None and ranked:
        floor = best[ranked[0]] - band
        ranked = [index for index in ranked if best[index] >= floor]
    return [names[index] for index in ranked[:limit]]


def resolve_zone(name: str) -> ZoneInfo:
    """Return the zone for an IANA name, ignoring case and surrounding whitespace."""
    cleaned = name.strip()
    canonical = _zones_by_folded_name().get(cleaned.casefold())
    if canonical is None:
        suggestions = tuple(_suggest(cleaned, MAX_SUGGESTIONS, _SUGGESTION_BAND)) if cleaned else ()
        raise UnknownTimeZoneError(name, suggestions)
    return ZoneInfo(canonical)


def search_zones(query: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: prefix matches first, then fuzzy ones; at most ``limit``."""
    if limit <= 0:
        return []
    cleaned = query.strip()[:_MAX_QUERY_CHARS].casefold()
    if not cleaned:
        names = _zone_names()
        return [zone for zone in COMMON_ZONES if zone in names][:limit]

    results: list[str] = []
    seen: set[str] = set()

    def add(zone: str) -> None:
        if zone not in seen and len(zone) <= MAX_CHOICE_LENGTH:
            seen.add(zone)
            results.append(zone)

    # Typing the start of either the full name or the city is the common case, so those come
    # first; common zones lead within each group because they are the likeliest pick.
    ordered = [z for z in COMMON_ZONES if z in _zone_names()] + list(_sorted_zone_names())
    spaced = cleaned.replace(" ", "_")
    for zone in ordered:
        folded = zone.casefold()
        if folded.startswith(spaced) or folded.rsplit("/", 1)[-1].startswith(spaced):
            add(zone)
    for zone in ordered:
        if spaced in zone.casefold():
            add(zone)
    if len(results) < limit:
        for zone in _suggest(cleaned, limit):
            add(zone)
    return results[:limit]


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named zone, or UTC if the stored name is missing or no longer known."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError, OSError):
        # OSError: a folder of the tz database ("America") or a name too long for a file.
        return ZoneInfo("UTC")


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date a clock in ``zone`` shows at ``instant``."""
    _require_aware(instant, "instant")
    return instant.astimezone(zone).date()


def parse_hhmm(text: str) -> time:
    """Parse a 24-hour ``H:MM``/``HH:MM`` time of day."""
    match = _HHMM_RE.fullmatch(text.strip())
    if match is None:
        raise InvalidTimeOfDayError(text)
    return time(int(match.group(1)), int(match.group(2)))


def _wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock in ``zone`` reads ``day`` ``at`` or later.

    Ambiguous wall times (clocks going back) resolve to their first occurrence. Wall times
    skipped by clocks going forward resolve to the moment the clocks jump, which is the first
    valid local time after them.
    """
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # Skipped time: fold=0 reads it with the offset before the jump and fold=1 with the offset
    # after, which brackets the transition; binary-search it to the second.
    later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(first, later), max(first, later)
    offset_after = hi.astimezone(zone).utcoffset()
    low_s, high_s = 0, int((hi - lo).total_seconds())
    while low_s < high_s:
        mid = (low_s + high_s) // 2
        if (lo + timedelta(seconds=mid)).astimezone(zone).utcoffset() == offset_after:
            high_s = mid
        else:
            low_s = mid + 1
    return lo + timedelta(seconds=low_s)


def next_local_occurrence(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant strictly after ``after`` when the clock in ``zone`` reads ``at``.

    ``at`` is a naive wall-clock time. On a day when ``at`` is skipped the result is the moment
    the clocks jump; on a day when it happens twice only the first occurrence counts.
    """
    _require_aware(after, "after")
    if at.tzinfo is not None:
        raise ValueError("at must be a naive wall-clock time")
    start = after.astimezone(zone).date()
    # Checking the day before as well covers clocks that fall back across midnight.
    for offset in range(-1, 3):
        candidate = _wall_to_utc(start + timedelta(days=offset), at, zone)
        if candidate > after:
            return candidate
    raise AssertionError("a wall-clock time recurs within three days")  # pragma: no cover


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of ``day`` as lived in ``zone``."""
    midnight = time(0, 0)
    return _wall_to_utc(day, midnight, zone), _wall_to_utc(day + timedelta(days=1), midnight, zone)
