"""The reports: one SQL file each (Athena's Trino dialect), on a shared base (`sql/messages.sql`), and their window.

A report's SQL names its bounds `:since`, `:until`, `:cutoff`, `:by`, `:first_day`, `:last_day`; `bind` fills
them with quoted literals (never user text: times, days and the `--by` choice, each checked), so both
engines prune partitions on plain constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

from postbacks.analytics import schema

REPORTS = ("delivery", "latency", "failures", "inbound", "unresolved")
GROUPINGS = ("day", "carrier", "shortcode", "campaign", "mms-id", "code")
# Files are partitioned by the day they arrived: a postback's vendor time may precede its arrival by a day,
# and a message's receipts arrive after its send report. The window reads this many days around it.
DAYS_BEFORE = 1
DAYS_AFTER = 3
DEFAULT_OLDER_THAN_HOURS = 72

_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_]+)\b")
_SAFE_VALUE = re.compile(r"^[0-9A-Za-z:._/+\- ]*$")


class ReportError(ValueError):
    """A report or a window that cannot be run: the message says why."""


@dataclass(frozen=True, slots=True)
class Window:
    since: str  # UTC ISO 8601, as stored
    until: str
    by: str = "day"
    cutoff: str | None = None  # unresolved: send reports before this time

    def values(self) -> dict[str, str]:
        first = _day(self.since) - timedelta(days=DAYS_BEFORE)
        last = min(_day(self.until) + timedelta(days=DAYS_AFTER), datetime.now(UTC) + timedelta(days=1))
        return {
            "since": self.since,
            "until": self.until,
            "by": self.by,
            "cutoff": self.cutoff or self.until,
            "first_day": first.strftime(schema.DAY_FORMAT),
            "last_day": last.strftime(schema.DAY_FORMAT),
        }

    def days(self) -> list[str]:
        """The partitions (yyyy/MM/dd) the window reads, oldest first."""
        values = self.values()
        day = datetime.strptime(values["first_day"], schema.DAY_FORMAT).replace(tzinfo=UTC)
        last = values["last_day"]
        found = []
        while (text := day.strftime(schema.DAY_FORMAT)) <= last:
            found.append(text)
            day += timedelta(days=1)
        return found


def cutoff_before(until: str, hours: float) -> str:
    instant = datetime.fromisoformat(until.replace("Z", "+00:00")) - timedelta(hours=hours)
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _day(instant: str) -> datetime:
    return datetime.fromisoformat(instant[:10]).replace(tzinfo=UTC)


@cache
def _text(name: str) -> str:
    return resources.files("postbacks.analytics").joinpath(f"sql/{name}.sql").read_text("utf-8")


def sql(name: str) -> str:
    """The report's whole query, in Athena's dialect, with its placeholders."""
    if name not in REPORTS:
        raise ReportError(f"no report {name!r}: one of {', '.join(REPORTS)}")
    return f"WITH {_strip_comments(_text('messages'))}\n{_strip_comments(_text(name))}"


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def bind(query: str, values: dict[str, str]) -> str:
    """The query with each `:name` as a quoted literal; a value outside times, days and names is refused."""

    def literal(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ReportError(f"the report needs :{name}")
        value = values[name]
        if not _SAFE_VALUE.match(value):
            raise ReportError(f"{value!r} is not a time, a day or a grouping")
        return f"'{value}'"

    return _PLACEHOLDER.sub(literal, query)


def window(since: str, until: str, by: str = "day", older_than_hours: float | None = None) -> Window:
    if by not in GROUPINGS:
        raise ReportError(f"--by {by}: one of {', '.join(GROUPINGS)}")
    if since > until:
        raise ReportError(f"--since {since} is after --until {until}")
    cutoff = None if older_than_hours is None else cutoff_before(until, older_than_hours)
    return Window(since=since, until=until, by=by, cutoff=cutoff)
