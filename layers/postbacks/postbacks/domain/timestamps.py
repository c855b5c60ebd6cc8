"""Vendor timestamps to UTC ISO 8601, read as ISO 8601 means them (see docs/status.md, "Time")."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

# An ordinal date (`2024-002`, `2024002`): the year and the day of the year, then a time or nothing.
_ORDINAL = re.compile(r"(\d{4})-?(\d{3})(?=$|[T ])")
# The clock part of a date-time: hours, minutes and seconds with colons, after the `T` or the space.
_CLOCK = re.compile(r"(?<=[T ])(\d{2}):(\d{2}):(\d{2})")
# `24:00:00` is the end of the day; any fraction past it is not a time.
_END_OF_DAY = re.compile(r"(?<=[T ])24:00(?::00(?:[.,]0+)?)?(?![.,:\d])")
_SECONDS = slice(17, 19)  # of the fixed-width UTC form `YYYY-MM-DDTHH:MM:SS.ffffffZ`


def to_utc_iso(value: datetime) -> str:
    # Fixed width (always six fractional digits, "Z") so stored timestamps sort as strings and keep microseconds.
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def normalise(original: str | None) -> str | None:
    """`2011-09-28 17:31:02.835577-04` and friends to `2011-09-28T21:31:02.835577Z`.

    Whatever precision was sent is kept (`…:08-05:00` gives `…:08.000000Z`); digits past the
    microsecond are dropped here and kept in the original. A timestamp without an offset is taken
    as UTC. A leap second stays second 60 (`…T23:59:60.000000Z`, after :59 and before the next minute),
    `24:00:00` is the next day's midnight, an ordinal date (`2024-002`) is its calendar day. One that
    cannot be read gives None ("undated"): the postback is still stored, its original text beside it.
    """
    if not original:
        return None
    text = original.strip()
    try:
        text = _calendar_date(text)
        text, next_day = _END_OF_DAY.subn("00:00:00", text)  # a second one leaves text no time can be read from
        clock = _CLOCK.search(text)
        leap = clock is not None and clock.group(3) == "60"
        if clock is not None and leap:
            text = text[: clock.start(3)] + "59" + text[clock.end(3) :]
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        normalised = to_utc_iso(parsed + timedelta(days=next_day))
    except (ValueError, OverflowError):  # `9999-12-31T23:00:00-05:00` is past datetime.max in UTC
        return None
    if not leap:
        return normalised
    # An offset with seconds would put the leap second inside a minute, where it has no place.
    return normalised[: _SECONDS.start] + "60" + normalised[_SECONDS.stop :] if normalised[_SECONDS] == "59" else None


def _calendar_date(text: str) -> str:
    """An ordinal date's text with its calendar date instead (`2024-060` is `2024-02-29`); others unchanged
    (`2023-366` too, which then reads as no date)."""
    ordinal = _ORDINAL.match(text)
    if ordinal is None:
        return text
    year, day = int(ordinal.group(1)), int(ordinal.group(2))
    if not 1 <= day <= 365 + calendar.isleap(year):
        return text
    return (date(year, 1, 1) + timedelta(days=day - 1)).isoformat() + text[ordinal.end() :]


def utc_now_iso() -> str:
    return to_utc_iso(datetime.now(UTC))
