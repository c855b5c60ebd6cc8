"""`dlq` and `redrive`: the jobs the worker gave up on after five receives, and sending them back.

`dlq` peeks: it receives with a short visibility timeout and makes every message visible again at
once, so nothing is consumed. Phone numbers never appear in clear: any run of 7+ digits keeps only
its last 4. `redrive` sends each message to the work queue and only then deletes it from the DLQ, in
batches of ten; a message in both queues for a moment is harmless, the worker's writes are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import batched
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from postbacks.domain.jobs import BundleJob, FetchJob, MediaJob, parse_job
from postbacks.domain.privacy import mask_text
from postbacks.domain.timestamps import to_utc_iso
from postbacks.storage import keys
from postbacks_cli import output
from postbacks_cli.output import Exit, Progress

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

_BATCH = 10  # SQS's limit per receive, send and delete batch
_PEEK_SECONDS = 60  # long enough to walk the queue; released at once afterwards
_MOVE_SECONDS = 60  # a message not sent on within this reappears in the DLQ
_WAIT_SECONDS = 1  # a long poll asks every SQS server: an empty answer means the queue is empty
_EXCERPT = 160


@dataclass(frozen=True, slots=True)
class DeadJob:
    message_id: str
    sent_at: str
    receive_count: int
    job: str
    message_key: str
    why: str
    excerpt: str

    def as_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "sent_at": self.sent_at,
            "receive_count": self.receive_count,
            "job": self.job,
            "message_key": self.message_key,
            "why": self.why,
            "body": self.excerpt,
        }


def describe(message: MessageTypeDef) -> DeadJob:
    """What a dead message is and the likeliest reason it failed, masked for printing."""
    body = message.get("Body", "")
    attributes = message.get("Attributes", {})
    try:
        job = parse_job(body)
    except (ValidationError, ValueError) as error:
        first = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        kind, key, why = "unreadable", "", f"the worker cannot read it: {first}; it will fail again if redriven"
    else:
        if isinstance(job, FetchJob):
            kind, key = "fetch", f"{job.message_key} #{job.index}"
            host = urlsplit(job.url).hostname or "?"
            why = (
                f"fetching media from {host} kept failing (timeouts, 5xx, or S3 errors);"
                f" `postbacks show {job.message_key}` shows the file as pending"
            )
        elif isinstance(job, BundleJob):
            kind, key = "bundle", f"{job.request_id} items {job.start}-{job.stop - 1}"
            why = "storing a bundle's items kept failing: was DynamoDB throttled, or its S3 copy (bundles/) gone?"
        elif isinstance(job, MediaJob):
            kind, key = "media", f"{job.message_key} #{job.start}+{len(job.urls)}"
            why = "queueing an MMS MO's file fetches kept failing: was SQS unavailable?"
        else:
            kind, key = "store", keys.message_key(job.postback)
            why = "storing a bundled postback kept failing: was DynamoDB throttled or unavailable?"
    sent = attributes.get("SentTimestamp")
    return DeadJob(
        message_id=message.get("MessageId", ""),
        sent_at=to_utc_iso(datetime.fromtimestamp(int(sent) / 1000, UTC)) if sent else "",
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
        job=kind,
        message_key=mask_text(key),
        why=mask_text(why),
        excerpt=mask_text(body if len(body) <= _EXCERPT else body[:_EXCERPT] + "..."),
    )


def waiting(sqs: SQSClient, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"].get("ApproximateNumberOfMessages", 0))


def peek(sqs: SQSClient, queue_url: str, limit: int, total: int | None = None) -> list[MessageTypeDef]:
    """Up to `limit` messages, left in the queue and visible again when this returns (`total`: as `waiting`)."""
    expected = min(limit, waiting(sqs, queue_url) if total is None else total)
    seen: dict[str, MessageTypeDef] = {}
    try:
        while len(seen) < expected:
            batch = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(_BATCH, expected - len(seen)),
                VisibilityTimeout=_PEEK_SECONDS,
                WaitTimeSeconds=_WAIT_SECONDS,
                AttributeNames=["All"],
            ).get("Messages", [])
            fresh = [message for message in batch if message["MessageId"] not in seen]
            if not fresh:
                break
            seen.update((message["MessageId"], message) for message in fresh)
    finally:
        _release(sqs, queue_url, list(seen.values()))
    return sorted(seen.values(), key=lambda message: int(message.get("Attributes", {}).get("SentTimestamp", 0)))


def _release(sqs: SQSClient, queue_url: str, messages: list[MessageTypeDef]) -> None:
    for chunk in batched(messages, _BATCH, strict=False):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, message in enumerate(chunk)
            ],
        )


def show(sqs: SQSClient, queue_url: str, limit: int, as_json: bool) -> int:
    total = waiting(sqs, queue_url)
    jobs = [describe(message) for message in peek(sqs, queue_url, limit, total)]
    if as_json:
        for job in jobs:
            output.json_line(job.as_json())
        return Exit.OK
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    if not total:
        print(f"the dead-letter queue {name} is empty")
        return Exit.OK
    shown = f", the oldest {len(jobs)} shown" if len(jobs) < total else ""
    print(f"{output.plural(total, 'message')} in the dead-letter queue {name}{shown}")
    for number, job in enumerate(jobs, start=1):
        print()
        head = f"{number}. {job.job} {job.message_key}".rstrip()
        output.line(head, f"sent {job.sent_at}", f"received {job.receive_count}x", sep="  ")
        output.line("   why:", job.why)
        output.line("   body:", job.excerpt)
        output.line("   message id:", job.message_id, "(search the worker's logs for it)")
    print()
    print("Fix the cause, then `postbacks redrive` sends them back to the work queue.")
    return Exit.OK


def redrive(sqs: SQSClient, dead_letter_url: str, queue_url: str, limit: int | None) -> int:
    total = waiting(sqs, dead_letter_url)
    if limit is not None:
        total = min(total, limit)
    if not total:
        print("the dead-letter queue is empty: nothing to redrive")
        return Exit.OK
    moved = failed = 0
    with Progress("redrive", total=total) as progress:
        # Only what was there at the start: a job that fails again returns after five more receives.
        while moved + failed < total:
            batch = sqs.receive_message(
                QueueUrl=dead_letter_url,
                MaxNumberOfMessages=min(_BATCH, total - moved - failed),
                VisibilityTimeout=_MOVE_SECONDS,
                WaitTimeSeconds=_WAIT_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            sent = _send_on(sqs, queue_url, batch)
            done = [message for i, message in enumerate(batch) if str(i) in sent]
            if done:
                answer = sqs.delete_message_batch(
                    QueueUrl=dead_letter_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]} for i, message in enumerate(done)
                    ],
                )
                # Sent but not deleted: it stays in the DLQ as well, and a second run moves it again.
                failed += len(answer.get("Failed", []))
                moved += len(done) - len(answer.get("Failed", []))
            failed += len(batch) - len(done)
            progress.advance(len(batch))
    print(
        f"moved {moved} of {output.plural(total, 'message')} back to the work queue"
        + (f"; {failed} failed" if failed else "")
    )
    return Exit.FAILED if failed else Exit.OK


def _send_on(sqs: SQSClient, queue_url: str, batch: list[MessageTypeDef]) -> set[str]:
    """Ids (batch positions) of the messages the work queue accepted."""
    entries: list[Any] = []
    for i, message in enumerate(batch):
        entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
        attributes = _attributes(message.get("MessageAttributes", {}))
        if attributes:
            entry["MessageAttributes"] = attributes
        entries.append(entry)
    answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    return {entry["Id"] for entry in answer.get("Successful", [])}


def _attributes(received: dict[str, MessageAttributeValueOutputTypeDef]) -> dict[str, dict[str, Any]]:
    # A received attribute carries empty list fields that SendMessage refuses; only the value is sent.
    kept: dict[str, dict[str, Any]] = {}
    for name, value in received.items():
        entry: dict[str, Any] = {"DataType": value["DataType"]}
        if "StringValue" in value:
            entry["StringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["BinaryValue"] = value["BinaryValue"]
        kept[name] = entry
    return kept
