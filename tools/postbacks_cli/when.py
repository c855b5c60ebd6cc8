"""`--since` / `--until`: `24h`, `7d`, `30m`, `2w`, a date, or an ISO 8601 time, as the table stores times.

Stored times are UTC ISO 8601 with microseconds (`2026-11-22T10:00:00.000000Z`) and compare as text, so a
bound is turned into exactly that form. A time without an offset is UTC, as the receiver takes it.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime, time, timedelta

from postbacks.domain import timestamps
from postbacks.domain.timestamps import to_utc_iso

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
FORMS = "24h, 7d, 30m, 2w, 2026-11-21 or 2026-11-21T09:00:00Z"


def instant(text: str, *, end_of_day: bool = False, now: datetime | None = None) -> str:
    """A bound as stored text. A bare date is its first microsecond, or its last with `end_of_day`."""
    text = text.strip()
    now = now or datetime.now(UTC)
    if text.lower() == "now":
        return to_utc_iso(now)
    relative = _RELATIVE.match(text.lower())
    if relative:
        return to_utc_iso(now - timedelta(seconds=int(relative[1]) * _SECONDS[relative[2]]))
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            start = datetime.combine(day, time.min, UTC)
            # An --until date includes the whole day: stored times are compared as text.
            return to_utc_iso(start + timedelta(days=1, microseconds=-1) if end_of_day else start)
    # As the receiver reads vendor times: no offset means UTC, and one past the calendar is no time.
    bound = timestamps.normalise(text)
    if bound is None:
        raise ValueError(f"{text!r} is not a time: use {FORMS}")
    return bound


def since(text: str) -> str:
    """argparse type for --since."""
    try:
        return instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def until(text: str) -> str:
    """argparse type for --until (a bare date includes that whole day)."""
    try:
        return instant(text, end_of_day=True)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
