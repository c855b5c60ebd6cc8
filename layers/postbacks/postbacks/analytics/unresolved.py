"""The daily unresolved run: send reports older than the cut-off with no final outcome, summarised.

The summary is what the `Messages Unresolved` event carries and what the `MessagesUnresolved` metric
counts: how many, the oldest send time, and counts by carrier. Keys and numbers stay in Athena's result
file (its URI is in the summary): an event on the bus is no place for a list of phone numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from postbacks.analytics import reports
from postbacks.analytics.result import Result, athena_cost
from postbacks.domain.timestamps import to_utc_iso

MESSAGES_UNRESOLVED = "Messages Unresolved"


class Engine(Protocol):
    name: str

    def run(self, query: str) -> Result: ...


@dataclass(frozen=True, slots=True)
class Settings:
    older_than_hours: float = reports.DEFAULT_OLDER_THAN_HOURS
    lookback_days: int = 14  # send reports older than this are no longer reported


def window_at(now: datetime, settings: Settings) -> reports.Window:
    until = to_utc_iso(now)
    since = to_utc_iso(now - timedelta(days=settings.lookback_days))
    return reports.window(since, until, older_than_hours=settings.older_than_hours)


def summary(result: Result, window: reports.Window, settings: Settings) -> dict[str, Any]:
    records = result.records()
    carriers = Counter(str(record["carrier"]) for record in records)
    return {
        "count": len(records),
        "older_than_hours": settings.older_than_hours,
        "sent_since": window.since,
        "sent_before": window.cutoff,
        "oldest_sent_at": min((str(record["sent_at"]) for record in records), default=None),
        "by_carrier": dict(sorted(carriers.items())),
        "query_id": result.query_id,
        "bytes_scanned": result.bytes_scanned,
        "cost_usd": round(athena_cost(result.bytes_scanned), 6),
    }


def run(engine: Engine, settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Run the report now; the summary event's detail."""
    window = window_at(now or datetime.now(UTC), settings)
    query = reports.bind(reports.sql("unresolved"), window.values())
    return summary(engine.run(query), window, settings)
