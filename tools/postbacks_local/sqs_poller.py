"""Lambda's SQS event source mapping (with ReportBatchItemFailures): a queue polled into a function."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from postbacks_cli.local_stacks import StackError
from postbacks_local.lambda_events import failed_message_ids, sqs_event
from postbacks_local.runtime import LocalFunction, LocalRuntime, Poller
from postbacks_local.template import Names, batch_size, function_definitions, references

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("postbacks_local.sqs")

MAX_BATCH = 10  # one receive_message returns at most 10


class SqsPoller(Poller):
    """Receives a batch, invokes the function, deletes what succeeded; the rest comes back or redrives."""

    name = "sqs-poller"

    def __init__(self, sqs: SQSClient, queue_url: str, function: LocalFunction, batch_size: int):
        super().__init__()
        self.sqs = sqs
        self.queue_url = queue_url
        self.function = function
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.queue_arn = attributes["QueueArn"]

    def poll_once(self, wait_seconds: int | None = None) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        ids = [message["MessageId"] for message in messages]
        event = sqs_event(messages, self.queue_arn, self.function.region)
        try:
            result = self.function.invoke(event)
        except Exception:  # noqa: BLE001 - a raising handler fails the whole batch, as on AWS
            traceback.print_exc()
            log.info("%s: %d messages, the handler raised; all left for retry", self.function.name, len(ids))
            return len(messages)
        failed = failed_message_ids(result, ids)
        # What is not deleted comes back after the visibility timeout, and redrives to the DLQ.
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:  # at most MAX_BATCH messages: one batch call
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        log.info("%s: %d messages, %d failed", self.function.name, len(ids), len(failed))
        return len(messages)


def sqs_pollers(template: Mapping[str, Any], runtime: LocalRuntime, names: Names, sqs: Any) -> list[SqsPoller]:
    """One poller per SQS event in the template, on the local queue its `Queue` names."""
    pollers = []
    for definition in function_definitions(template):
        for event in definition.events_of_type("SQS"):
            queue = next(iter(references(event.get("Queue"))), "")
            if queue not in names.resources:
                raise StackError(f"{definition.logical_id}: its SQS event's queue {queue} is not in the local stack")
            size = batch_size(event, names, f"{definition.logical_id}.BatchSize")
            pollers.append(SqsPoller(sqs, names.resources[queue], runtime.function(definition.logical_id), size))
    return pollers
