"""What a report gives back, whichever engine ran it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRICE_PER_TB = 5.0  # Athena, US East, per TB scanned (10 MB minimum per query)
_TB = 1024**4
_MIN_BILLED = 10 * 1024**2


@dataclass(frozen=True, slots=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    bytes_scanned: int  # Athena's DataScannedInBytes; DuckDB: the bytes of the files it read
    engine: str
    query_id: str | None = None
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def athena_cost(bytes_scanned: int) -> float:
    """Dollars Athena charges for one query that scanned this much."""
    return max(bytes_scanned, _MIN_BILLED) / _TB * PRICE_PER_TB
