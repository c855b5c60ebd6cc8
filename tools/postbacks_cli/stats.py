"""`stats`: what happened in a time window: postbacks by code, status and operator, and the delivery rate.

Where the figures come from (--source, default auto):
  metrics  a deployed stack: the functions' CloudWatch metrics (PostbacksReceived by code), no table reads.
           They count deliveries (a redelivery counts again), give a status per code (E1xx/E2xx as
           "failed": the vendor's text is not in a metric), and know no operator.
  table    the local stack (AWS_ENDPOINT_URL on this machine): every stored postback in the window, read
           by scanning the table: exact, and fine for a local table; never used against AWS by default.
  analytics  the delivery report (`postbacks report`), when the analytics files exist (auto picks it then):
           MT messages, each counted once by its status now, by the status's code and by carrier.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from postbacks.domain.codes import Status, lookup
from postbacks.storage.store import PostbackStore
from postbacks_cli import output
from postbacks_cli.output import Exit, Progress

# The outcomes a delivery report can end in; the rate is delivered over all of them.
FINAL_OUTCOMES = (Status.DELIVERED, Status.FAILED, Status.EXPIRED, Status.REJECTED, Status.NOT_SUPPORTED)
NO_OPERATOR = "(none)"


@dataclass
class OperatorCounts:
    name: str | None = None
    events: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


@dataclass
class WindowStats:
    since: str
    until: str | None
    events: int = 0
    by_code: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_operator: dict[str, OperatorCounts] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "events": self.events,
            "delivery_rate": delivery_rate(self.by_status),
            "by_code": dict(sorted(self.by_code.items())),
            "by_status": dict(self.by_status.most_common()),
            "by_operator": {
                operator: {
                    "name": counts.name,
                    "events": counts.events,
                    "by_status": dict(counts.statuses.most_common()),
                    "delivery_rate": delivery_rate(counts.statuses),
                }
                for operator, counts in self.operators()
            },
        }

    def operators(self) -> list[tuple[str, OperatorCounts]]:
        """Operators, busiest first."""
        return sorted(self.by_operator.items(), key=lambda item: -item[1].events)


def delivery_rate(statuses: Counter[str]) -> float | None:
    """delivered / (delivered + failed + expired + rejected + not_supported); None before any outcome."""
    final = final_outcomes(statuses)
    return round(statuses[Status.DELIVERED.value] / final, 4) if final else None


def final_outcomes(statuses: Counter[str]) -> int:
    return sum(statuses[status.value] for status in FINAL_OUTCOMES)


def collect(store: PostbackStore, since: str, until: str | None) -> WindowStats:
    """Exact counts from the stored postbacks (one table scan)."""
    stats = WindowStats(since=since, until=until)
    with Progress("stats") as progress:
        for event in store.scan(since=since, until=until):
            fields = event.fields
            code = str(fields.get("code", ""))
            status = str(fields.get("status", Status.UNRECOGNISED.value))
            operator = str(fields.get("operator_id") or NO_OPERATOR)
            stats.events += 1
            stats.by_code[code] += 1
            stats.by_status[status] += 1
            counts = stats.by_operator.setdefault(operator, OperatorCounts())
            counts.name = counts.name or fields.get("operator_name")
            counts.events += 1
            counts.statuses[status] += 1
            progress.advance()
    return stats


def run(stats: WindowStats, as_json: bool) -> int:
    if as_json:
        output.json_line(stats.as_json())
        return Exit.OK
    print(f"{output.plural(stats.events, 'event')} from {stats.since} to {stats.until or 'now'}")
    final = final_outcomes(stats.by_status)
    print(f"delivery rate: {_percent(delivery_rate(stats.by_status))}", end="")
    print(f" ({stats.by_status[Status.DELIVERED.value]} delivered of {final} final outcomes)")
    if not stats.events:
        return Exit.OK
    print()
    output.table(("CODE", "EVENTS", "MEANS"), ((code, n, _means(code)) for code, n in sorted(stats.by_code.items())))
    print()
    output.table(("STATUS", "EVENTS"), stats.by_status.most_common())
    print()
    output.table(
        ("OPERATOR", "EVENTS", "DELIVERED", "NOT DELIVERED", "DELIVERY RATE"),
        (
            (
                f"{operator} ({counts.name})" if counts.name else operator,
                counts.events,
                counts.statuses[Status.DELIVERED.value],
                sum(counts.statuses[status.value] for status in FINAL_OUTCOMES[1:]),
                _percent(delivery_rate(counts.statuses)),
            )
            for operator, counts in stats.operators()
        ),
    )
    return Exit.OK


def _means(code: str) -> str:
    info = lookup(code)
    return f"{info.kind.value} {info.status.value}" + (
        " (outcome from the vendor's text)" if info.failure_from_text else ""
    )


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"
