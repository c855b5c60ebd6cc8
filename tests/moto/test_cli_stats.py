"""`postbacks stats`: counts by code, status and operator over a window; a local stack's are read from its table."""

from __future__ import annotations

import json

import pytest

from postbacks.domain import decoding, parsing
from postbacks.storage.store import PostbackStore
from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from tests.helpers import SEEDS

# Two MT messages delivered, one expired, one failed, one rejected (E102 without a timestamp: its event
# time is when it was received), and two "sent" on the way.
CAMPAIGN = (
    "000_sms_mt_n201.xml",
    "000_sms_mt_n202.xml",
    "001_mms_mt_n101_binary.xml",
    "001_mms_mt_n102_binary.xml",
    "003_mms_mt_n103.json",
    "003_mms_mt_e101.json",
    "002_mms_mt_e102.xml",
)


@pytest.fixture
def campaign(stack: StackResources) -> StackResources:
    store = PostbackStore(stack.table_name)
    for name in CAMPAIGN:
        for postback in parsing.parse(decoding.payload((SEEDS / name).read_bytes(), None)).postbacks:
            store.save(postback, "2020-01-01T00:00:00.000Z")
    return stack


def stats(stack: StackResources, capsys: pytest.CaptureFixture[str], *window: str) -> dict[str, object]:
    assert cli.main(["--table", stack.table_name, "stats", *window, "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_counts_by_code_status_and_operator_with_the_delivery_rate(
    campaign: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    document = stats(campaign, capsys, "--since", "2010-01-01")

    assert document["events"] == 7
    assert document["by_code"] == dict.fromkeys(("E101", "E102", "N101", "N102", "N103", "N201", "N202"), 1)
    assert document["by_status"] == {"sent": 2, "delivered": 2, "expired": 1, "failed": 1, "rejected": 1}
    assert document["delivery_rate"] == 0.4  # 2 delivered of 5 final outcomes
    operators = document["by_operator"]
    assert isinstance(operators, dict)
    assert operators["0001470"]["name"] == "AT&T"
    assert operators["0001470"]["delivery_rate"] == 0.3333  # N202 delivered; N103 expired, E101 failed
    assert operators["0001570"]["delivery_rate"] == 1.0
    assert operators["31004"]["delivery_rate"] == 0.0


def test_the_window_bounds_what_is_counted(campaign: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    document = stats(campaign, capsys, "--since", "2013-01-01", "--until", "2013-12-31")

    assert document["by_code"] == {"N201": 1, "N202": 1}
    assert document["delivery_rate"] == 1.0


def test_the_default_window_is_the_last_24_hours(campaign: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    document = stats(campaign, capsys)

    assert document["events"] == 0
    assert document["delivery_rate"] is None


def test_the_report_for_people_gives_the_rate_and_the_operators(
    campaign: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--table", campaign.table_name, "stats", "--since", "2010-01-01"]) == 0

    out = capsys.readouterr().out
    assert "delivery rate: 40.0% (2 delivered of 5 final outcomes)" in out
    assert "0001470 (AT&T)" in out


def test_help_says_where_the_figures_come_from(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["stats", "--help"])

    out = capsys.readouterr().out
    assert "CloudWatch metrics" in out
    assert "scanning the table" in out


def test_a_deployed_stacks_stats_come_from_cloudwatch_metrics_not_the_table(
    campaign: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    cloudwatch = boto3.client("cloudwatch")
    for code, count in (("N102", 3), ("E102", 1), ("N101", 4)):
        cloudwatch.put_metric_data(
            Namespace="Postbacks",
            MetricData=[
                {
                    "MetricName": "PostbacksReceived",
                    "Dimensions": [{"Name": "code", "Value": code}, {"Name": "service", "Value": "postbacks"}],
                    "Value": count,
                    "Unit": "Count",
                }
            ],
        )
    assert cli.main(["--table", campaign.table_name, "stats", "--source", "metrics", "--since", "1h", "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["by_code"] == {"E102": 1, "N101": 4, "N102": 3}  # the table's seven postbacks are not read
    assert document["by_status"] == {"sent": 4, "delivered": 3, "failed": 1}
    assert document["delivery_rate"] == 0.75
