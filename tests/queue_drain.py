"""Drive the worker from the real work queue in moto, as Lambda's SQS poller does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import failed_message_ids, sqs_event

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def queue_arn(url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def deliver_once(stack: StackResources, worker: Invoke, *, release_failed: bool = False) -> tuple[int, set[str]]:
    """One receive and one worker call; returns how many messages came and the ids the worker reported failed.

    Succeeded messages are deleted. Failed ones stay on the queue: invisible until their timeout, as on SQS, or
    visible again at once with `release_failed` (their timeout, elapsed).
    """
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.queue_url, MaxNumberOfMessages=stack.worker_batch_size, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return 0, set()
    ids = [message["MessageId"] for message in messages]
    failed = failed_message_ids(worker(sqs_event(messages, queue_arn(stack.queue_url), stack.region)), ids)
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
        elif release_failed:
            sqs.change_message_visibility(
                QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return len(messages), failed


def drain(stack: StackResources, worker: Invoke, rounds: int = 100, until_empty: bool = True) -> list[str]:
    """Feed the queue to the worker until it is empty; returns the ids of the messages it reported failed.

    A failed message stays on the queue (deleted only on success), so `until_empty` means "no failures left".
    """
    failures: list[str] = []
    for _ in range(rounds):
        received, failed = deliver_once(stack, worker)
        if not received:
            if until_empty:
                return failures
            continue
        failures.extend(failed)
    if until_empty:
        raise AssertionError("the queue never drained")
    return failures
