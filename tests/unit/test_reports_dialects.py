"""Each report is one query in Athena's (Trino) dialect that sqlglot parses, and that DuckDB runs after transpiling."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import sqlglot

from postbacks.analytics import reports, schema
from postbacks.analytics.duckdb_engine import DuckDbEngine, to_duckdb

WINDOW = reports.window("2026-12-01T00:00:00.000000Z", "2026-12-03T23:59:59.999999Z", older_than_hours=72)


def event(key: str, precedence: str, status: str, at: str, **postback: str) -> dict[str, object]:
    return {
        "version": "0",
        "id": f"{key}-{precedence}",
        "detail-type": "Postback Received",
        "source": "postbacks.test",
        "time": at,
        "detail": {
            "message_key": key,
            "event_id": precedence[-4:],
            "event_at": at,
            "precedence": precedence,
            "postback": {"status": status, "kind": "sms_mt", "operator_name": "T-Mobile", **postback},
        },
    }


def write(folder: Path, day: str, events: list[dict[str, object]]) -> Path:
    path = folder / "analytics/events" / day / "10" / "s-1-x.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress("".join(json.dumps(e) + "\n" for e in events).encode()))
    return path


@pytest.mark.parametrize("name", reports.REPORTS)
def test_report_parses_as_trino_and_transpiles_to_duckdb(name: str) -> None:
    query = reports.bind(reports.sql(name), WINDOW.values())
    tree = sqlglot.parse_one(query, read="trino")
    assert tree.find(sqlglot.exp.Select) is not None
    assert "postback_events" in tree.sql(dialect="trino")
    assert "quantile_disc" in to_duckdb(query).lower() or "approx_percentile" not in query


@pytest.mark.parametrize("name", reports.REPORTS)
def test_report_runs_on_duckdb_with_no_files(name: str) -> None:
    result = DuckDbEngine([]).run(reports.bind(reports.sql(name), WINDOW.values()))
    assert result.rows == []
    assert result.columns


def test_a_message_counts_once_with_its_greatest_precedence(tmp_path: Path) -> None:
    # Delivered outranks sent; a duplicate (same event) and a later-arriving "sent" change nothing.
    at = "2026-12-02T10:00:00.000Z"
    events = [
        event("M1", "S#020#2026-12-02T10:00:05.000Z#bbbb", "delivered", "2026-12-02T10:00:05.000Z", code="N202"),
        event("M1", "S#010#2026-12-02T10:00:00.000Z#aaaa", "sent", at, code="N201"),
        event("M1", "S#020#2026-12-02T10:00:05.000Z#bbbb", "delivered", "2026-12-02T10:00:05.000Z", code="N202"),
        event("M2", "S#010#2026-12-02T10:00:00.000Z#cccc", "sent", at, code="N201"),
    ]
    files = [write(tmp_path, "2026/12/02", events[:2]), write(tmp_path, "2026/12/03", events[2:])]
    query = reports.bind(reports.sql("delivery"), reports.window(WINDOW.since, WINDOW.until, "carrier").values())
    [row] = DuckDbEngine(files).run(query).records()
    assert row["group_key"] == "T-Mobile"
    assert (row["messages"], row["delivered"], row["pending"], row["delivery_rate"]) == (2, 1, 1, 1.0)


def test_files_outside_the_windows_days_are_not_read(tmp_path: Path) -> None:
    far = write(tmp_path, "2026/10/01", [event("OLD", "S#010#x#dddd", "sent", "2026-12-02T10:00:00.000Z")])
    query = reports.bind(reports.sql("delivery"), WINDOW.values())
    assert DuckDbEngine([far]).run(query).rows == []


def test_window_reads_a_day_before_and_three_after() -> None:
    window = reports.window("2026-01-10T00:00:00.000000Z", "2026-01-11T12:00:00.000000Z")
    assert window.days() == [f"2026/01/{day:02d}" for day in range(9, 15)]


@pytest.mark.parametrize("value", ["2026-01-01'; DROP TABLE x; --", "a'b", "x)"])
def test_bind_refuses_anything_but_times_days_and_names(value: str) -> None:
    with pytest.raises(reports.ReportError):
        reports.bind("SELECT :since", {"since": value})


def test_bind_quotes_each_placeholder() -> None:
    assert (
        reports.bind("SELECT :since, :by", {"since": "2026-01-01", "by": "mms-id"}) == "SELECT '2026-01-01', 'mms-id'"
    )


def test_unknown_report_and_grouping_are_refused() -> None:
    with pytest.raises(reports.ReportError):
        reports.sql("everything")
    with pytest.raises(reports.ReportError):
        reports.window(WINDOW.since, WINDOW.until, "number")


def test_duckdb_columns_follow_the_schema() -> None:
    columns = schema.duckdb_columns()
    assert list(columns) == ["id", "detail-type", "time", "detail"]
    assert columns["detail"].startswith("STRUCT(")
