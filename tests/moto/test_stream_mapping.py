"""The local stream mapping does what Lambda's DynamoDB stream mapping does, on moto's real stream:
starting position, batching, retries, bisecting, partial failures, record age, the on-failure destination.

The function is a stand-in that fails for chosen records, so each behaviour is seen alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from postbacks_cli.local_stacks import StackResources
from postbacks_local.stack_resources import local_names
from postbacks_local.stream_mapping import StreamMapping, make_mapping
from postbacks_local.template import load_template
from tests.helpers import ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Function:
    """Records each invocation's postback ids; raises, or reports as failed, the records `fails` picks."""

    def __init__(self, fails: Callable[[str], bool] = lambda _: False, *, report: bool = False) -> None:
        self.fails = fails
        self.report = report
        self.batches: list[list[str]] = []
        self.succeeded: list[str] = []

    def __call__(self, event: dict[str, Any]) -> Any:
        records = event["Records"]
        ids = [record["dynamodb"]["NewImage"]["event_id"]["S"] for record in records]
        self.batches.append(ids)
        bad = [record for record, name in zip(records, ids, strict=True) if self.fails(name)]
        if bad and not self.report:
            raise RuntimeError("this batch fails")
        failed = {record["dynamodb"]["SequenceNumber"] for record in bad}
        self.succeeded += [
            name
            for record, name in zip(records, ids, strict=True)
            if record["dynamodb"]["SequenceNumber"] not in failed
        ]
        return {"batchItemFailures": [{"itemIdentifier": number} for number in sorted(failed)]}


def write(stack: StackResources, *names: str, item: str = "postback") -> None:
    table = boto3.client("dynamodb")
    for name in names:
        key = {"pk": {"S": f"K{name}"}, "sk": {"S": f"S#010#-#{name}"}}
        table.put_item(TableName=stack.table_name, Item={**key, "item": {"S": item}, "event_id": {"S": name}})


def mapping_for(stack: StackResources, function: Function, clock: Clock | None = None) -> StreamMapping:
    template = load_template(ROOT / "template.yaml")
    made = make_mapping(template, local_names(template, stack), function, **({"clock": clock} if clock else {}))
    assert made is not None
    return made[0]


def parked(mapping: StreamMapping) -> list[dict[str, Any]]:
    assert mapping.destination_url is not None
    answer = boto3.client("sqs").receive_message(QueueUrl=mapping.destination_url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def run(mapping: StreamMapping) -> None:
    while mapping.poll_once(wait_seconds=0):
        pass


def names(count: int, prefix: str = "r") -> list[str]:
    return [f"{prefix}{n:02d}" for n in range(count)]


def test_latest_reads_only_what_is_written_after_the_mapping_starts(stack: StackResources) -> None:
    write(stack, "before1", "before2")
    function = Function()
    mapping = mapping_for(stack, function)
    write(stack, "after")
    run(mapping)
    assert function.batches == [["after"]]


def test_records_the_filter_drops_never_reach_the_function(stack: StackResources) -> None:
    function = Function()
    mapping = mapping_for(stack, function)
    write(stack, "failed", item="media_failed")
    write(stack, "kept")
    run(mapping)
    assert function.batches == [["kept"]]


def test_a_batch_waits_for_its_window_unless_it_is_full(stack: StackResources) -> None:
    clock, function = Clock(), Function()
    mapping = mapping_for(stack, function, clock)
    size, window = mapping.settings.batch_size, mapping.settings.window_seconds
    write(stack, *names(size + 3))
    mapping.poll_once(wait_seconds=1)
    assert function.batches == [names(size)]  # a full batch goes at once
    clock.now += window / 2
    mapping.poll_once(wait_seconds=1)
    assert len(function.batches) == 1  # the other 3 wait for the window
    clock.now += window / 2
    mapping.poll_once(wait_seconds=1)
    assert function.batches[1] == names(size + 3)[size:]


def test_a_failing_batch_is_bisected_and_the_record_still_failing_is_parked_alone(stack: StackResources) -> None:
    function = Function(lambda name: name == "r03")
    mapping = mapping_for(stack, function)
    write(stack, *names(10))
    run(mapping)
    assert function.batches[:3] == [names(10), names(10)[:5], names(10)[:3]]  # halves, the first half first
    assert sorted(function.succeeded) == [name for name in names(10) if name != "r03"]  # each once
    assert function.batches.count(["r03"]) == mapping.settings.max_retries + 1
    [message] = parked(mapping)
    info = message["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == mapping.stream_arn
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["responseContext"]["functionError"] == "Unhandled"
    write(stack, "next")  # the records behind it go on
    run(mapping)
    assert function.batches[-1] == ["next"]


def test_a_reported_failure_is_retried_from_its_record_and_what_preceded_it_is_done(stack: StackResources) -> None:
    tries = {"r02": 1}

    def fails_once(name: str) -> bool:
        if tries.get(name):
            tries[name] -= 1
            return True
        return False

    function = Function(fails_once, report=True)
    mapping = mapping_for(stack, function)
    write(stack, *names(5))
    run(mapping)
    assert function.batches == [names(5), names(5)[2:]]
    assert parked(mapping) == []


def test_a_record_reported_failed_every_time_is_parked_with_the_records_after_it(stack: StackResources) -> None:
    function = Function(lambda name: name == "r01", report=True)
    mapping = mapping_for(stack, function)
    write(stack, *names(3))
    run(mapping)
    assert len(function.batches) == mapping.settings.max_retries + 1
    [message] = parked(mapping)
    assert message["DDBStreamBatchInfo"]["batchSize"] == 2  # the checkpoint: r01 and what follows it
    assert "functionError" not in message["responseContext"]


def test_a_record_older_than_the_maximum_age_is_parked_without_an_invocation(stack: StackResources) -> None:
    clock, function = Clock(), Function()
    mapping = mapping_for(stack, function, clock)
    write(stack, "old")
    mapping.poll_once(wait_seconds=1)  # read, waiting for its window
    clock.now += mapping.settings.max_age_seconds + 1
    mapping.poll_once(wait_seconds=1)
    assert function.batches == []
    [message] = parked(mapping)
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"


@pytest.mark.parametrize("answer", [{"batchItemFailures": [{"itemIdentifier": ""}]}, {"batchItemFailures": "x"}])
def test_a_malformed_failure_report_fails_the_whole_batch(stack: StackResources, answer: dict[str, Any]) -> None:
    calls: list[int] = []

    def function(event: dict[str, Any]) -> Any:
        calls.append(len(event["Records"]))
        return answer if len(calls) == 1 else None

    mapping = mapping_for(stack, function)  # type: ignore[arg-type]
    write(stack, *names(3))
    run(mapping)
    assert calls == [3, 3]
