"""`postbacks report` on the local stack: the seeded campaign, through ingest, the events and the local Firehose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.helpers import SEEDS, Invoke
from tests.moto.test_analytics_reports import Analytics, analytics  # noqa: F401 - the fixture
from tests.moto.test_cli_stats import CAMPAIGN as STATS_CAMPAIGN

# The stats campaign (MT messages delivered, expired, failed, rejected and still "sent") and an SMS MO.
CAMPAIGN = (*STATS_CAMPAIGN, "004_sms_mo_n211.xml")


@pytest.fixture
def seeded(analytics: Analytics, ingest: Invoke) -> StackResources:  # noqa: F811 - the fixture above
    for name in CAMPAIGN:
        path = SEEDS / name
        status, answer = helpers.post(ingest, path.read_bytes(), helpers.content_type_of(path))
        assert status == 200, answer
    # A send report (2012, by its own time) that no outcome followed.
    lone = helpers.with_tracking_id((SEEDS / "000_sms_mt_n201.xml").read_bytes(), "NEVER-RESOLVED")
    assert helpers.post(ingest, lone)[0] == 200
    analytics.publish()
    return analytics.stack


def report(stack: StackResources, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert cli.main(["--bucket", stack.bucket_name, "report", *args, "--since", "2010-01-01", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_delivery_by_code_counts_each_message_once(seeded: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    rows = report(seeded, capsys, "delivery", "--by", "code")
    assert sum(int(row["messages"]) for row in rows) == 5  # type: ignore[call-overload]  # N103 and E101: one message
    assert {row["code"]: row["delivered"] for row in rows if row["delivered"]} == {"N102": 1, "N202": 1}
    for row in rows:
        assert set(row) >= {"code", "messages", "delivered", "failed", "pending", "delivery_rate"}


def test_failures_name_the_vendors_text(seeded: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    rows = report(seeded, capsys, "failures")
    # N103 (expired) and E101 (failed) are one message at one instant: the tie precedence gives it N103's
    # expiry, as `show` does (docs/status.md).
    assert sorted((str(row["code"]), str(row["status"])) for row in rows) == [("E102", "rejected"), ("N103", "expired")]
    assert {row["carrier"] for row in rows} == {"AT&T", "T-Mobile"}


def test_unresolved_lists_the_send_reports_without_an_outcome(
    seeded: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    [row] = report(seeded, capsys, "unresolved")
    assert row["message_key"] == "NEVER-RESOLVED"
    assert row["number"] == "16503333058"  # whole in --json; the table masks it
    assert set(row) >= {"sent_at", "carrier"}


def test_files_folder_needs_no_stack(
    seeded: StackResources, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report(seeded, capsys, "inbound")
    assert cli.main(["report", "inbound", "--files", str(tmp_path), "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_stats_uses_the_reports_when_the_files_exist(
    seeded: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--bucket", seeded.bucket_name, "--table", seeded.table_name, "stats", "--since", "2010-01-01", "--json"]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert "from the analytics reports on DuckDB" in captured.err
    assert document["events"] == 5  # MT messages, each once
    assert document["by_status"] == {"delivered": 2, "expired": 1, "rejected": 1, "sent": 1}
    assert document["delivery_rate"] == 0.5


def test_stats_without_files_keeps_the_table(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--bucket", stack.bucket_name, "--table", stack.table_name, "stats", "--since", "2010-01-01", "--json"]
    assert cli.main(args) == 0
    assert "analytics" not in capsys.readouterr().err
