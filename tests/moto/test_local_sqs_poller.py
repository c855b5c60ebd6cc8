"""The SQS poller: Lambda's event source mapping with ReportBatchItemFailures, against moto's queues."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import boto3

from postbacks_cli.local_stacks import StackResources
from postbacks_local.runtime import LocalFunction, LocalRuntime
from postbacks_local.sqs_poller import SqsPoller
from postbacks_local.stack_resources import create_stack_resources
from tests.helpers import RecordingHandler

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def new_stack() -> StackResources:
    return create_stack_resources(TEMPLATE, stack_name=f"sq-{uuid.uuid4().hex[:10]}", secret="local-secret")


def send_jobs(stack: StackResources, count: int) -> list[str]:
    sqs = boto3.client("sqs")
    return [
        sqs.send_message(
            QueueUrl=stack.queue_url,
            MessageBody=json.dumps({"job": "test", "n": n}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )["MessageId"]
        for n in range(count)
    ]


def queue_counts(stack: StackResources) -> tuple[int, int]:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def poller(stack: StackResources, worker: RecordingHandler) -> SqsPoller:
    function = LocalFunction("WorkerFunction", worker)
    return SqsPoller(boto3.client("sqs"), stack.queue_url, function, stack.worker_batch_size)


def test_poller_sends_an_sqs_event(moto_endpoint: str) -> None:
    stack = new_stack()
    worker = RecordingHandler({"batchItemFailures": []})
    [message_id] = send_jobs(stack, 1)

    local = poller(stack, worker)
    local.poll_once(wait_seconds=0)

    [event] = worker.events
    [record] = event["Records"]
    assert record["messageId"] == message_id
    assert json.loads(record["body"]) == {"job": "test", "n": 0}
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == local.queue_arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["md5OfBody"]


def test_poller_deletes_successes_and_keeps_reported_failures(moto_endpoint: str) -> None:
    stack = new_stack()
    ids = send_jobs(stack, 3)
    worker = RecordingHandler({"batchItemFailures": [{"itemIdentifier": ids[1]}]})

    received = poller(stack, worker).poll_once(wait_seconds=0)

    assert received == 3
    # The failure stays in flight until its visibility timeout, then comes back (or goes to the DLQ).
    assert queue_counts(stack) == (0, 1)


def test_poller_deletes_nothing_when_the_handler_raises(moto_endpoint: str) -> None:
    stack = new_stack()
    send_jobs(stack, 2)
    worker = RecordingHandler(RuntimeError("worker crashed"))

    poller(stack, worker).poll_once(wait_seconds=0)

    assert queue_counts(stack) == (0, 2)


def test_running_poller_drains_the_queue(moto_endpoint: str) -> None:
    stack = new_stack()
    send_jobs(stack, 12)
    worker = RecordingHandler({"batchItemFailures": []})

    with LocalRuntime({}, [poller(stack, worker)]) as local:
        local.start()
        deadline = time.monotonic() + 15
        while queue_counts(stack) != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.1)

    assert queue_counts(stack) == (0, 0)
    assert sum(len(event["Records"]) for event in worker.events) == 12
    assert max(len(event["Records"]) for event in worker.events) <= stack.worker_batch_size
