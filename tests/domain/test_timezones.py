"""Tests for time-zone lookup and local wall-clock arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, available_timezones

import pytest
from rapidfuzz import fuzz, utils

from bot.domain.timezones import (
    COMMON_ZONES,
    InvalidTimeOfDayError,
    UnknownTimeZoneError,
    local_date,
    local_day_bounds,
    next_local_occurrence,
    parse_hhmm,
    resolve_zone,
    search_zones,
    zone_or_utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")

# 2024 transitions: Berlin springs forward 2024-03-31 02:00 -> 03:00 and falls back
# 2024-10-27 03:00 -> 02:00; New York springs forward 2024-03-10 and falls back 2024-11-03.


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- resolve_zone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  AMERICA/NEW_YORK ", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("asia/kolkata", "Asia/Kolkata"),
    ],
)
def test_resolve_zone_accepts_iana_names_in_any_case(name: str, key: str) -> None:
    assert resolve_zone(name).key == key


def test_resolve_zone_suggests_close_names() -> None:
    with pytest.raises(UnknownTimeZoneError) as excinfo:
        resolve_zone("Europe/Berln")
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.name == "Europe/Berln"
    assert error.suggestions[0] == "Europe/Berlin"
    assert 1 <= len(error.suggestions) <= 5
    message = str(error)
    assert message.startswith("Unknown time zone 'Europe/Berln'. Did you mean: Europe/Berlin")
    assert message.endswith("Use an IANA name such as Europe/Berlin or America/New_York.")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("berlin", "Europe/Berlin"), ("new york", "America/New_York"), ("tokio", "Asia/Tokyo")],
)
def test_resolve_zone_suggests_zone_from_city_name(name: str, expected: str) -> None:
    with pytest.raises(UnknownTimeZoneError) as excinfo:
        resolve_zone(name)
    assert excinfo.value.suggestions[0] == expected


@pytest.mark.parametrize("name", ["", "   ", "qqqqqq"])
def test_resolve_zone_without_suggestions(name: str) -> None:
    with pytest.raises(UnknownTimeZoneError) as excinfo:
        resolve_zone(name)
    assert excinfo.value.suggestions == ()
    assert "Did you mean" not in str(excinfo.value)


def test_resolve_zone_rejects_paths_and_huge_input_quickly() -> None:
    for name in ["../../etc/passwd", "/usr/share/zoneinfo/UTC", "x" * 100_000]:
        with pytest.raises(UnknownTimeZoneError) as excinfo:
            resolve_zone(name)
        assert len(str(excinfo.value)) < 400


# --- search_zones -----------------------------------------------------------------------------


def test_search_zones_empty_query_lists_common_zones() -> None:
    assert search_zones("") == list(COMMON_ZONES)[:25]
    assert search_zones("   ", limit=3) == ["UTC", "Europe/London", "Europe/Berlin"]


def test_search_zones_prefix_matches_first() -> None:
    results = search_zones("europe/be")
    assert results[0] == "Europe/Berlin"
    assert all(zone.startswith("Europe/Be") for zone in results[:3])


def test_search_zones_matches_city_and_spaces() -> None:
    assert search_zones("new y")[0] == "America/New_York"
    assert search_zones("los angeles")[0] == "America/Los_Angeles"
    assert search_zones("kolkata")[0] == "Asia/Kolkata"


def test_search_zones_fuzzy_fallback() -> None:
    assert "Europe/London" in search_zones("Lndon")


@pytest.mark.parametrize("query", ["", "a", "america", "e", "x" * 5_000])
def test_search_zones_respects_limits(query: str) -> None:
    for limit in (0, 1, 5, 25):
        results = search_zones(query, limit=limit)
        assert len(results) <= limit
        assert len(set(results)) == len(results)
        assert all(len(zone) <= 100 for zone in results)


def test_search_zones_results_resolve() -> None:
    for zone in search_zones("america"):
        assert resolve_zone(zone).key == zone


# --- local_date -------------------------------------------------------------------------------


def test_local_date_late_evening_in_los_angeles_is_next_day_in_utc() -> None:
    instant = datetime(2024, 5, 6, 23, 30, tzinfo=LOS_ANGELES)
    assert local_date(instant, LOS_ANGELES) == date(2024, 5, 6)
    assert local_date(instant, ZoneInfo("UTC")) == date(2024, 5, 7)


def test_local_date_accepts_any_aware_datetime() -> None:
    instant = datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5)))
    assert local_date(instant, BERLIN) == date(2023, 12, 31)


def test_local_date_rejects_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2024, 1, 1, 12), BERLIN)


# --- parse_hhmm -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9, 0)),
        ("9:05", time(9, 5)),
        ("21:30", time(21, 30)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        (" 18:30 ", time(18, 30)),
    ],
)
def test_parse_hhmm_valid(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    "text",
    ["25:00", "24:00", "9:60", "9am", "", "  ", "9", "0900", "9:5", "09:00:00", "١٢:٣٠", "-1:00"],
)
def test_parse_hhmm_invalid(text: str) -> None:
    with pytest.raises(InvalidTimeOfDayError) as excinfo:
        parse_hhmm(text)
    assert isinstance(excinfo.value, ValueError)
    assert "Use 24-hour HH:MM, for example 09:00 or 18:30." in str(excinfo.value)


# --- next_local_occurrence --------------------------------------------------------------------


def test_next_occurrence_later_today_and_tomorrow() -> None:
    after = datetime(2024, 6, 1, 8, 0, tzinfo=BERLIN)
    assert next_local_occurrence(after, time(9), BERLIN) == utc(2024, 6, 1, 7, 0)
    assert next_local_occurrence(after, time(7), BERLIN) == utc(2024, 6, 2, 5, 0)


def test_next_occurrence_is_strictly_after() -> None:
    at_nine = datetime(2024, 6, 1, 9, 0, tzinfo=BERLIN)
    result = next_local_occurrence(at_nine, time(9), BERLIN)
    assert result.astimezone(BERLIN) == datetime(2024, 6, 2, 9, 0, tzinfo=BERLIN)


def test_next_occurrence_result_is_utc() -> None:
    result = next_local_occurrence(utc(2024, 6, 1), time(9), NEW_YORK)
    assert result.tzinfo is UTC
    assert result == utc(2024, 6, 1, 13, 0)


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
def test_nine_oclock_stays_nine_across_dst(zone: ZoneInfo) -> None:
    instant = utc(2024, 3, 1)
    offsets = set()
    for _ in range(300):
        instant = next_local_occurrence(instant, time(9), zone)
        local = instant.astimezone(zone)
        assert (local.hour, local.minute) == (9, 0)
        offsets.add(local.utcoffset())
    assert len(offsets) == 2  # the run crossed both changes of the year


def test_skipped_time_on_spring_forward_day_goes_to_first_valid_minute() -> None:
    result = next_local_occurrence(utc(2024, 3, 30, 12), time(2, 30), BERLIN)
    # Clocks jump from 02:00 to 03:00, so 02:30 does not exist; 03:00 local is 01:00 UTC.
    assert result == utc(2024, 3, 31, 1, 0)
    assert result.astimezone(BERLIN).time() == time(3, 0)
    following = next_local_occurrence(result, time(2, 30), BERLIN)
    assert following.astimezone(BERLIN) == datetime(2024, 4, 1, 2, 30, tzinfo=BERLIN)


def test_repeated_time_on_fall_back_day_fires_once() -> None:
    first = next_local_occurrence(utc(2024, 10, 26, 12), time(2, 30), BERLIN)
    assert first == utc(2024, 10, 27, 0, 30)  # 02:30 CEST, the first of the two
    second = next_local_occurrence(first, time(2, 30), BERLIN)
    assert second == utc(2024, 10, 28, 1, 30)  # next day, 02:30 CET
    # Also from between the two occurrences it goes to the next day.
    between = utc(2024, 10, 27, 1, 0)
    assert next_local_occurrence(between, time(2, 30), BERLIN) == second


def test_new_york_skipped_and_repeated_hours() -> None:
    spring = next_local_occurrence(utc(2024, 3, 9, 12), time(2, 15), NEW_YORK)
    assert spring.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2024, 3, 10, 3, 0)
    autumn = next_local_occurrence(utc(2024, 11, 2, 12), time(1, 30), NEW_YORK)
    assert autumn == utc(2024, 11, 3, 5, 30)  # 01:30 EDT
    assert next_local_occurrence(autumn, time(1, 30), NEW_YORK) == utc(2024, 11, 4, 6, 30)


def test_next_occurrence_rejects_naive_and_aware_time() -> None:
    with pytest.raises(ValueError):
        next_local_occurrence(datetime(2024, 1, 1), time(9), BERLIN)
    with pytest.raises(ValueError):
        next_local_occurrence(utc(2024, 1, 1), time(9, tzinfo=UTC), BERLIN)


# --- local_day_bounds -------------------------------------------------------------------------


def test_day_bounds_ordinary_day() -> None:
    start, end = local_day_bounds(date(2024, 6, 1), BERLIN)
    assert (start, end) == (utc(2024, 5, 31, 22), utc(2024, 6, 1, 22))
    assert start.tzinfo is UTC and end.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (BERLIN, date(2024, 3, 31), 23),
        (BERLIN, date(2024, 10, 27), 25),
        (NEW_YORK, date(2024, 3, 10), 23),
        (NEW_YORK, date(2024, 11, 3), 25),
        (LOS_ANGELES, date(2024, 7, 4), 24),
    ],
)
def test_day_bounds_length_on_dst_days(zone: ZoneInfo, day: date, hours: int) -> None:
    start, end = local_day_bounds(day, zone)
    assert end - start == timedelta(hours=hours)
    assert local_date(start, zone) == day
    assert local_date(end - timedelta(microseconds=1), zone) == day
    assert local_date(end, zone) == day + timedelta(days=1)


def test_day_bounds_when_midnight_is_skipped() -> None:
    # Havana moved its clocks from 00:00 to 01:00 on 2024-03-10, so that day starts at 01:00.
    havana = ZoneInfo("America/Havana")
    start, end = local_day_bounds(date(2024, 3, 10), havana)
    assert start.astimezone(havana).replace(tzinfo=None) == datetime(2024, 3, 10, 1, 0)
    assert end - start == timedelta(hours=23)


def test_consecutive_days_tile_without_gaps() -> None:
    day = date(2024, 3, 25)
    for _ in range(10):
        _start, end = local_day_bounds(day, BERLIN)
        day += timedelta(days=1)
        assert local_day_bounds(day, BERLIN)[0] == end


# --- rules pinned by mutation testing ---------------------------------------------------------


def _related(query: str, zone: str) -> bool:
    """The query (spaces read as underscores) is in the name, or the name or its city is a
    close fuzzy match (at least 70% similar)."""
    spaced = query.strip().casefold().replace(" ", "_")
    if spaced in zone.casefold():
        return True
    city = zone.rsplit("/", 1)[-1]
    return any(
        fuzz.ratio(query, candidate, processor=utils.default_process) >= 70
        for candidate in (zone, city)
    )


@pytest.mark.parametrize("query", ["berlin", "in", "la", "bu", "port o", "Lndon", "asia/tok"])
def test_search_zones_offers_only_related_zones_each_once(query: str) -> None:
    results = search_zones(query)
    assert results, "a query that matches zones finds some"
    assert all(_related(query, zone) for zone in results), results
    assert len(set(results)) == len(results), "no zone is offered twice"


def test_search_zones_offers_nothing_for_a_query_that_matches_no_zone() -> None:
    assert search_zones("qqqqqq") == []


def test_search_zones_a_single_zone_query_gives_exactly_that_zone_even_at_limit_one() -> None:
    assert search_zones("berlin") == ["Europe/Berlin"]
    assert search_zones("berlin", limit=1) == ["Europe/Berlin"]
    assert search_zones("europe/be", limit=1) == ["Europe/Berlin"]


def test_search_zones_default_is_discords_limit_of_25_choices() -> None:
    assert len(search_zones("a")) == 25
    assert len(search_zones("")) == 25


@pytest.mark.parametrize("query", ["in", "la", "bu"])
def test_search_zones_names_or_cities_starting_with_the_query_come_before_other_matches(
    query: str,
) -> None:
    def starts(zone: str) -> bool:
        folded = zone.casefold()
        return folded.startswith(query) or folded.rsplit("/", 1)[-1].startswith(query)

    results = search_zones(query)
    flags = [starts(zone) for zone in results]
    assert any(flags) and not all(flags), "the case needs both kinds"
    assert flags == sorted(flags, reverse=True), results


def test_search_zones_a_space_stands_for_the_underscore_of_a_city() -> None:
    # "Port of Spain" is too long for a fuzzy match on "port o": only the prefix finds it.
    assert search_zones("port o")[0] == "America/Port_of_Spain"
    # A city in a three-part name ("America/Argentina/La_Rioja") counts as a city prefix.
    assert search_zones("la rioja")[0] == "America/Argentina/La_Rioja"


def test_search_zones_fills_up_with_every_close_fuzzy_match_best_first() -> None:
    query = "asia/tok"
    close = {
        zone
        for zone in available_timezones()
        if fuzz.ratio(query, zone, processor=utils.default_process) >= 70
    }
    results = search_zones(query)
    assert len(close) > 5  # more than one batch of five
    assert close <= set(results)
    assert results[0] == "Asia/Tokyo"


def test_resolve_zone_a_clear_winner_comes_without_weaker_alternatives() -> None:
    for typo, zone in [("Europe/Berln", "Europe/Berlin"), ("Amrica/Chicago", "America/Chicago")]:
        with pytest.raises(UnknownTimeZoneError) as excinfo:
            resolve_zone(typo)
        assert excinfo.value.suggestions == (zone,)


def test_resolve_zone_suggests_at_most_five_names_even_when_more_are_as_close() -> None:
    with pytest.raises(UnknownTimeZoneError) as excinfo:
        resolve_zone("Etc/GMT+13")
    assert len(excinfo.value.suggestions) == 5
    assert excinfo.value.suggestions[0] == "Etc/GMT-13"


def test_unknown_zone_message_lists_suggestions_and_cuts_a_long_name() -> None:
    error = UnknownTimeZoneError("Europe/Brl", ("Europe/Berlin", "Europe/Brussels"))
    assert str(error).startswith(
        "Unknown time zone 'Europe/Brl'. Did you mean: Europe/Berlin, Europe/Brussels? "
    )
    exact = "x" * 64
    assert f"'{exact}'" in str(UnknownTimeZoneError(exact))
    assert f"'{exact}…'" in str(UnknownTimeZoneError(exact + "y"))


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ("Asia/Tokyo", "Asia/Tokyo"),
        (None, "UTC"),
        ("", "UTC"),
        ("Mars/Olympus_Mons", "UTC"),  # a name the tz database no longer knows
        ("../etc/passwd", "UTC"),
        ("America", "UTC"),  # a folder of the tz database, not a zone
        ("x" * 300, "UTC"),  # longer than a file name may be
    ],
)
def test_zone_or_utc_falls_back_to_utc_for_missing_or_unknown_names(
    stored: str | None, key: str
) -> None:
    assert zone_or_utc(stored).key == key


def test_invalid_time_of_day_message_shows_what_was_typed_cut_to_20_characters() -> None:
    error = InvalidTimeOfDayError("9am")
    assert error.text == "9am"
    assert str(error) == (
        "'9am' is not a valid time of day. Use 24-hour HH:MM, for example 09:00 or 18:30."
    )
    twenty = "1" * 20
    assert str(InvalidTimeOfDayError(twenty)).startswith(f"'{twenty}' is not")
    assert str(InvalidTimeOfDayError(twenty + "2")).startswith(f"'{twenty}…' is not")
    assert str(InvalidTimeOfDayError("  ")) == (
        "No time given. Use 24-hour HH:MM, for example 09:00 or 18:30."
    )


class _NoOffset(tzinfo):
    """A zone that knows no offset: an instant in it is not aware, per Python's definition."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_an_instant_whose_zone_has_no_offset_is_refused_and_the_error_names_the_argument() -> None:
    unaware = datetime(2024, 1, 1, 12, tzinfo=_NoOffset())
    with pytest.raises(ValueError, match="^instant must be timezone-aware$"):
        local_date(unaware, BERLIN)
    with pytest.raises(ValueError, match="^after must be timezone-aware$"):
        next_local_occurrence(unaware, time(9), BERLIN)
    with pytest.raises(ValueError, match="^at must be a naive wall-clock time$"):
        next_local_occurrence(utc(2024, 1, 1), time(9, tzinfo=UTC), BERLIN)


def test_a_repeated_time_is_its_first_occurrence_whatever_fold_it_carries() -> None:
    later_fold = time(2, 30, fold=1)
    first = next_local_occurrence(utc(2024, 10, 26, 12), later_fold, BERLIN)
    assert first == utc(2024, 10, 27, 0, 30)  # 02:30 CEST, not the CET one an hour later


def test_a_skipped_time_gives_a_utc_instant() -> None:
    result = next_local_occurrence(utc(2024, 3, 30, 12), time(2, 30), BERLIN)
    assert result == utc(2024, 3, 31, 1, 0)
    assert result.tzinfo is UTC


@pytest.mark.usefixtures("machine_clock_far_from_utc")
def test_the_machines_own_time_zone_changes_no_result() -> None:
    # 23:30 in Pago Pago (UTC-11) is already two dates later on the machine's clock (UTC+14).
    pago_pago = ZoneInfo("Pacific/Pago_Pago")
    after = datetime(2024, 6, 1, 23, 30, tzinfo=pago_pago)
    assert next_local_occurrence(after, time(23, 45), pago_pago) == datetime(
        2024, 6, 1, 23, 45, tzinfo=pago_pago
    )
    assert local_date(utc(2024, 6, 1, 12), NEW_YORK) == date(2024, 6, 1)
