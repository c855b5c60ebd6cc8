"""Drive the worker from the real work queue in moto, as Lambda's SQS poller does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from postbacks_tools.lambda_events import failed_message_ids, sqs_event
from postbacks_tools.stack_resources import StackResources

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def queue_arn(url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def drain(stack: StackResources, worker: Invoke, rounds: int = 100, until_empty: bool = True) -> list[str]:
    """Feed the queue to the worker until it is empty; returns the ids of the messages it reported failed.

    A failed message stays on the queue (deleted only on success), so `until_empty` means "no failures left".
    """
    sqs = boto3.client("sqs")
    arn = queue_arn(stack.queue_url)
    failures: list[str] = []
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=stack.queue_url, MaxNumberOfMessages=stack.worker_batch_size, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            if until_empty:
                return failures
            continue
        result = worker(sqs_event(messages, arn, stack.region))
        failed = failed_message_ids(result, [message["MessageId"] for message in messages])
        failures.extend(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
    if until_empty:
        raise AssertionError("the queue never drained")
    return failures
