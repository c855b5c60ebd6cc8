"""The queue worker driven from the real SQS queue in moto: bundles, MMS MO media, partial failures, the DLQ."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import sqs_event
from tests import helpers
from tests.helpers import Invoke, drain, queue_arn
from tests.moto.media_server import SMALL_BODY, MediaServer, generated


def post(ingest: Invoke, body: bytes) -> dict[str, Any]:
    status, answer = helpers.post(ingest, body)
    assert status == 200, answer
    return answer


def bundle(count: int, start: int = 0) -> bytes:
    items = "".join(
        f'<NOTIFICATION id="{n}" created="2011-09-28 17:31:02.835577-04"><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE>'
        f"<BODY><FROM>1555{n:07d}</FROM><TO>86717</TO><KEYWORD>STOP</KEYWORD>"
        "<RECEIVED>2011-09-28 17:31:02.278751-04</RECEIVED></BODY></NOTIFICATION>"
        for n in range(start, start + count)
    )
    return f"<POSTBACK>{items}</POSTBACK>".encode()


def stored_senders(stack: StackResources) -> list[str]:
    """The sender of every stored postback item (the bundles here are SMS MO: one sender each)."""
    return sorted(item["from"]["S"] for item in helpers.stored_events(stack))


def mms_mo(urls: list[str], tracking_id: str = "MMS_MO_test1") -> bytes:
    files = "".join(f"<FILE>{url}</FILE>" for url in urls)
    return (
        "<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        f"<KEYWORD>all</KEYWORD><TRACKINGID>{tracking_id}</TRACKINGID><SPID>0001470</SPID>"
        f"<TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP><CONTENT>{files}</CONTENT></NOTIFICATION></POSTBACK>"
    ).encode()


@pytest.fixture
def media() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


def test_bundle_of_three_becomes_three_records(ingest: Invoke, worker: Invoke, stack: StackResources) -> None:
    assert post(ingest, bundle(3))["queued"] == 3
    assert drain(stack, worker) == []
    assert stored_senders(stack) == ["15550000000", "15550000001", "15550000002"]
    assert {item["code"]["S"] for item in helpers.stored_events(stack)} == {"N211"}


@pytest.mark.slow
def test_bundle_of_300_becomes_300_records(ingest: Invoke, worker: Invoke, stack: StackResources) -> None:
    assert post(ingest, bundle(300))["queued"] == 300
    assert drain(stack, worker, rounds=100) == []
    assert len(stored_senders(stack)) == 300


def test_redelivered_bundle_creates_nothing_twice(ingest: Invoke, worker: Invoke, stack: StackResources) -> None:
    for _ in range(2):
        post(ingest, bundle(3))
        drain(stack, worker)
    assert len(stored_senders(stack)) == 3


def test_mms_mo_files_are_archived_with_sha256(
    ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    urls = [media.url("/small.gif"), media.url("/generated?size=300000")]
    post(ingest, mms_mo(urls))
    assert drain(stack, worker) == []
    message = PostbackStore(stack.table_name).get_message("MMS_MO_test1")
    assert message is not None
    assert [entry["state"] for entry in message.media] == ["archived", "archived"]
    expected = [SMALL_BODY, b"".join(generated(300000))]
    s3 = boto3.client("s3")
    for entry, body in zip(message.media, expected, strict=True):
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
        assert entry["size"] == len(body)
        bucket, key = entry["s3_uri"].removeprefix("s3://").split("/", 1)
        stored = s3.get_object(Bucket=bucket, Key=key)
        assert stored["Body"].read() == body
        assert stored["Metadata"]["sha256"] == entry["sha256"]


def test_each_bundle_item_keeps_its_own_notification_bytes(
    ingest: Invoke, worker: Invoke, stack: StackResources
) -> None:
    body = bundle(2)
    post(ingest, body)
    assert drain(stack, worker) == []
    store = PostbackStore(stack.table_name)
    raws = []
    for item in helpers.stored_events(stack):
        message = store.get_message(item["pk"]["S"])
        assert message is not None
        raws.append(message.events[0].raw or b"")
    assert sorted(raws) == sorted(body[start : body.index(b"</NOTIFICATION>", start) + 15] for start in _starts(body))


def _starts(body: bytes) -> list[int]:
    return [n for n in range(len(body)) if body.startswith(b"<NOTIFICATION", n)]


def test_bundle_item_the_store_refuses_is_quarantined_and_acknowledged(
    ingest: Invoke, worker: Invoke, stack: StackResources
) -> None:
    # Within every limit of the parser, over DynamoDB's 400 KB once stored.
    huge = "".join(f"<X{n}>{'a' * 4096}</X{n}>" for n in range(99))
    body = bundle(1).replace(b"</BODY>", huge.encode() + b"</BODY>").replace(b"</POSTBACK>", bundle(1, 1)[10:])
    post(ingest, body)
    assert drain(stack, worker) == []  # acknowledged: nothing retried, nothing for the DLQ
    assert stored_senders(stack) == ["15550000001"]
    (kept,) = helpers.kept_keys(stack, "quarantine/invalid_postback/")
    alone = boto3.client("s3").get_object(Bucket=stack.bucket_name, Key=kept)["Body"].read()
    assert alone.startswith(b"<POSTBACK><NOTIFICATION")
    assert alone.endswith(b"</NOTIFICATION></POSTBACK>")
    assert alone.count(b"<NOTIFICATION") == 1


def test_second_mo_under_one_tracking_id_keeps_both_postbacks_files(
    ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    post(ingest, mms_mo([media.url("/small.gif")]))
    post(ingest, mms_mo([media.url("/generated?size=2000")]).replace(b"11:19:49", b"11:20:49"))
    assert drain(stack, worker) == []
    message = PostbackStore(stack.table_name).get_message("MMS_MO_test1")
    assert message is not None
    assert len(message.events) == 2
    assert [entry["state"] for entry in message.media] == ["archived", "archived"]
    assert {entry["event_id"] for entry in message.media} == {event.event_id for event in message.events}
    assert len({entry["s3_key"] for entry in message.media}) == 2
    assert sorted(entry["size"] for entry in message.media) == sorted([len(SMALL_BODY), 2000])


def test_redelivered_mms_mo_fetches_nothing_twice(
    ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    body = mms_mo([media.url("/small.gif")])
    for _ in range(2):
        post(ingest, body)
        drain(stack, worker)
    assert media.hits.count("/small.gif") == 1
    listing = boto3.client("s3").list_object_versions(Bucket=stack.bucket_name, Prefix="media/")
    assert len(listing.get("Versions", [])) == 1


def test_missing_file_is_recorded_not_retried(
    ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    post(ingest, mms_mo([media.url("/gone.jpg"), "URL of Content Here"]))
    assert drain(stack, worker) == []
    message = PostbackStore(stack.table_name).get_message("MMS_MO_test1")
    assert message is not None
    assert [entry["state"] for entry in message.media] == ["not_found", "refused"]


def test_server_error_is_retried_by_sqs(
    ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    post(ingest, mms_mo([media.url("/status?code=503")]))
    failures = drain(stack, worker, rounds=3, until_empty=False)
    assert len(failures) == 1  # left on the queue for its visibility timeout, then redelivered


def test_one_broken_record_does_not_fail_its_batch(ingest: Invoke, worker: Invoke, stack: StackResources) -> None:
    post(ingest, bundle(9))
    boto3.client("sqs").send_message(QueueUrl=stack.queue_url, MessageBody='{"job": "nonsense"}')
    failures = drain(stack, worker, rounds=2, until_empty=False)
    assert len(failures) == 1
    assert len(stored_senders(stack)) == 9


def test_poison_message_ends_in_the_dead_letter_queue(worker: Invoke, stack: StackResources) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody="not json at all")
    arn = queue_arn(stack.queue_url)
    for _ in range(10):  # more receives than maxReceiveCount: SQS stops handing it out
        messages = sqs.receive_message(QueueUrl=stack.queue_url, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        result = worker(sqs_event(messages, arn, stack.region))
        assert len(result["batchItemFailures"]) == 1
        sqs.change_message_visibility(
            QueueUrl=stack.queue_url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
        )
    dead = sqs.receive_message(QueueUrl=stack.dead_letter_queue_url).get("Messages", [])
    assert [message["Body"] for message in dead] == ["not json at all"]
