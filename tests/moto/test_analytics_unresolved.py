"""The daily unresolved run: Athena's rows given, the summary event through moto's EventBridge, the metric."""

from __future__ import annotations

import inspect
import json

import boto3
import pytest

from postbacks.analytics.result import Result
from postbacks_cli.local_stacks import StackResources
from postbacks_local.runtime import LocalFunction
from tests.helpers import load_function

COLUMNS = ["message_key", "sent_at", "carrier", "number", "status"]
ROWS = [
    ["K1", "2026-11-27T09:00:00.000Z", "AT&T", "16501112222", "sent"],
    ["K2", "2026-11-28T09:00:00.000Z", "AT&T", "16503334444", "sent"],
    ["K3", "2026-11-29T09:00:00.000Z", "T-Mobile", "16505556666", "sent"],
]


class CannedAthena:
    """moto's Athena answers 404 over HTTP with this botocore, and runs no SQL anyway: the rows are given."""

    name = "athena"

    def run(self, query: str) -> Result:
        assert "FROM postback_events" in query
        return Result(COLUMNS, [tuple(row) for row in ROWS], bytes_scanned=5 * 1024**2, engine="athena", query_id="q1")


def listen(stack: StackResources) -> str:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=stack.stack_name)
    queue = sqs.create_queue(QueueName=f"{stack.stack_name}-unresolved")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="unresolved", EventBusName=stack.stack_name, EventPattern='{"detail-type": ["Messages Unresolved"]}'
    )
    events.put_targets(Rule="unresolved", EventBusName=stack.stack_name, Targets=[{"Id": "q", "Arn": arn}])
    return queue


def test_daily_run_publishes_one_summary_and_the_metric(
    stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = listen(stack)
    handler = load_function("analytics")
    inspect.unwrap(handler).__globals__["engine"] = CannedAthena  # the module's cached engine

    detail = LocalFunction("AnalyticsFunction", handler).invoke({})

    assert detail["count"] == 3
    assert detail["by_carrier"] == {"AT&T": 2, "T-Mobile": 1}
    assert detail["oldest_sent_at"] == "2026-11-27T09:00:00.000Z"
    assert detail["cost_usd"] == pytest.approx(10 / 1024**2 * 5, abs=1e-6)  # billed as 10 MB
    [message] = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert event["source"] == f"postbacks.{stack.stack_name}"
    assert event["detail"] == detail
    assert "1650" not in message["Body"]  # numbers stay in Athena's result file
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["MessagesUnresolved"] for m in metrics if "MessagesUnresolved" in m] == [[3.0]]
