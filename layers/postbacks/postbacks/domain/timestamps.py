"""Vendor timestamps to UTC ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime


def to_utc_iso(value: datetime) -> str:
    # Fixed width (milliseconds, "Z") so stored timestamps sort as strings.
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalise(original: str | None) -> str | None:
    """`2011-09-28 17:31:02.835577-04` and friends to `2011-09-28T21:31:02.835Z`.

    A timestamp without an offset is taken as UTC. One that cannot be read gives None:
    the postback is still stored, with the original text kept beside it.
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
