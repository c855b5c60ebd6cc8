"""The daily unresolved run's summary, and what `postbacks report` prints (numbers masked, cost shown)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import pytest

from postbacks.analytics import unresolved
from postbacks.analytics.result import Result, athena_cost
from postbacks_cli import report

ROWS = [
    ("K2", "2026-11-28T09:00:00.000Z", "AT&T", "16501112222", "sent"),
    ("K1", "2026-11-27T09:00:00.000Z", "T-Mobile", "16503334444", "sent"),
    ("K3", "2026-11-29T09:00:00.000Z", "AT&T", "16505556666", "unrecognised"),
]
COLUMNS = ["message_key", "sent_at", "carrier", "number", "status"]


class FakeAthena:
    name = "athena"

    def __init__(self) -> None:
        self.queries: list[str] = []

    def run(self, query: str) -> Result:
        self.queries.append(query)
        return Result(COLUMNS, list(ROWS), bytes_scanned=3 * 1024**3, engine="athena", query_id="q-1")


def test_summary_counts_by_carrier_and_never_lists_numbers() -> None:
    engine = FakeAthena()
    detail = unresolved.run(engine, unresolved.Settings(72, 14), now=datetime(2026, 12, 5, 6, tzinfo=UTC))
    assert detail["count"] == 3
    assert detail["by_carrier"] == {"AT&T": 2, "T-Mobile": 1}
    assert detail["oldest_sent_at"] == "2026-11-27T09:00:00.000Z"
    assert detail["sent_before"].startswith("2026-12-02T06:00:00")
    assert detail["cost_usd"] == pytest.approx(3 / 1024 * 5, rel=1e-3)
    assert "1650" not in json.dumps(detail)
    [query] = engine.queries
    assert "'2026/11/20'" in query  # 14 days back, one more for late vendor times


def test_athena_bills_at_least_ten_megabytes() -> None:
    assert athena_cost(1) == athena_cost(10 * 1024**2)
    assert athena_cost(1024**4) == 5.0


def test_human_output_masks_numbers_and_prints_what_the_scan_cost(capsys: pytest.CaptureFixture[str]) -> None:
    result = Result(COLUMNS, list(ROWS), bytes_scanned=2 * 1024**2, engine="athena", query_id="q-9")
    report.print_result(result, argparse.Namespace(json=False, csv=False, by="day"))
    out = capsys.readouterr().out
    assert "***2222" in out
    assert "16501112222" not in out
    assert "Athena scanned 2.0 MiB, $0.000048 at $5/TB (query q-9)" in out  # billed as 10 MB


def test_json_rows_carry_the_number_whole_and_the_grouping_by_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    result = Result(["group_key", "messages"], [("AT&T", 3)], bytes_scanned=0, engine="duckdb")
    report.print_result(result, argparse.Namespace(json=True, csv=False, by="carrier"))
    captured = capsys.readouterr()
    assert [json.loads(line) for line in captured.out.splitlines()] == [{"carrier": "AT&T", "messages": 3}]
    assert "1 row" in captured.err


def test_a_failures_listing_over_more_than_a_week_points_to_the_report() -> None:
    hint = report.long_listing_hint("2024-12-01T00:00:00.000000Z", "2026-12-01T23:59:59.999999Z")
    assert hint is not None
    assert "731 days" in hint
    assert "23,392 index queries" in hint  # 32 shards a day
    assert "postbacks report failures --since 2024-12-01" in hint


def test_a_weeks_failures_listing_says_nothing() -> None:
    assert report.long_listing_hint("2026-11-25T00:00:00.000000Z", "2026-12-01T23:59:59.999999Z") is None
