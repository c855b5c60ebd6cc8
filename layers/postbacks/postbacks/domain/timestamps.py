"""Vendor timestamps to UTC ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime


def to_utc_iso(value: datetime) -> str:
    # Fixed width (always six fractional digits, "Z") so stored timestamps sort as strings and keep microseconds.
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def normalise(original: str | None) -> str | None:
    """`2011-09-28 17:31:02.835577-04` and friends to `2011-09-28T21:31:02.835577Z`.

    Whatever precision was sent is kept (`…:08-05:00` gives `…:08.000000Z`); digits past the
    microsecond are dropped here and kept in the original. A timestamp without an offset is taken
    as UTC. One that cannot be read gives None: the postback is still stored, its original text beside it.
    """
    if not original:
        return None
    try:
        parsed = datetime.fromisoformat(original.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return to_utc_iso(parsed)
    except (ValueError, OverflowError):  # `9999-12-31T23:00:00-05:00` is past datetime.max in UTC
        return None


def utc_now_iso() -> str:
    return to_utc_iso(datetime.now(UTC))
