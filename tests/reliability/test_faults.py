"""Storage and media failures: the sender is told to retry (503, never a 500), no body is lost, and after
recovery a replay or a redelivery brings the stored count to exactly what was sent.

Faults are real where they can be (a DynamoDB endpoint with nothing listening, a media host answering 503)
and injected on the wire otherwise: a botocore `before-send` hook answers in AWS's own error format, so
botocore's retries and error parsing run as they would against a throttled table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from postbacks.service.ingest import Outcome, ingestor_from_settings
from postbacks.service.settings import get_settings
from postbacks.storage import aws
from postbacks.storage.store import PostbackStore
from postbacks_cli import dlq
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit
from postbacks_cli.replay import Result, replay_one
from tests import helpers
from tests.helpers import Invoke, drain, free_port, kept_keys, post, seed, stored_events
from tests.moto.media_server import RecordingServer

SEED_NAMES = ["000_sms_mt_n201.xml", "001_mms_mt_n102_binary.xml", "002_device_n501.xml", "004_sms_mo_n211.xml"]


# --- making things fail ---------------------------------------------------------------------------------


@contextmanager
def dynamodb_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DynamoDB (only) points at a port nothing listens on; botocore honours the per-service endpoint variable."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{free_port()}")
    aws.reset_clients()
    try:
        yield
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB")
        aws.reset_clients()


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


# Each service's error, as its protocol writes it on the wire.
THROTTLED_DYNAMODB = (
    400,
    {"Content-Type": "application/x-amz-json-1.0"},
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
    b'"message":"The level of configured provisioned throughput for the table was exceeded."}',
)
SLOW_DOWN_S3 = (
    503,
    {"Content-Type": "application/xml"},
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
)
UNAVAILABLE_SQS = (
    503,
    {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": "ServiceUnavailable;Receiver"},
    b'{"__type":"com.amazonaws.sqs#ServiceUnavailable","message":"Service is unavailable."}',
)


class Injector:
    """Answers chosen operations of a client with an error, `times` times (None: until stopped)."""

    def __init__(self, client: Any, operation: str, error: tuple[int, dict[str, str], bytes], times: int | None):
        self.client = client
        self.event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
        self.error = error
        self.left = times
        self.sent = 0
        client.meta.events.register(self.event, self._answer, unique_id=id(self))

    def _answer(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.left is not None:
            if self.left <= 0:
                return None
            self.left -= 1
        self.sent += 1
        status, headers, body = self.error
        return AWSResponse(
            request.url, status, HTTPHeaders.from_dict({"x-amzn-RequestId": "injected", **headers}), _Body(body)
        )

    def stop(self) -> None:
        self.client.meta.events.unregister(self.event, unique_id=id(self))


@pytest.fixture
def inject() -> Iterator[Callable[..., Injector]]:
    started: list[Injector] = []

    def start(
        client: Any, operation: str, error: tuple[int, dict[str, str], bytes], times: int | None = None
    ) -> Injector:
        started.append(Injector(client, operation, error, times))
        return started[-1]

    yield start
    for injector in started:
        injector.stop()


# --- replay, as an operator would after an outage -------------------------------------------------------


# What `postbacks replay` reports, as the ingestor's outcome (kept bodies that are neither are a test failure).
_AS_OUTCOME = {Result.REPLAYED: Outcome.ACCEPTED, Result.UNAVAILABLE: Outcome.UNAVAILABLE}


def replay_unstored(stack: StackResources) -> list[Outcome]:
    """Every body kept under unstored/, run through `postbacks replay`'s own path; each is deleted once stored."""
    ingestor = ingestor_from_settings(get_settings())
    keys = [kept.key for kept in ingestor.quarantine.list_kept("storage_unavailable")]
    return [_AS_OUTCOME[replay_one(ingestor.quarantine, ingestor, key).result] for key in keys]


# --- DynamoDB -------------------------------------------------------------------------------------------


def test_dynamodb_unreachable_is_503_and_replay_stores_exactly_what_was_sent(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, *during = SEED_NAMES
    assert post(ingest, seed(before))[0] == 200
    with dynamodb_unreachable(monkeypatch):
        answers = [post(ingest, seed(name)) for name in during]
    assert [(status, body["error"]) for status, body in answers] == [(503, "storage_unavailable")] * len(during)
    kept = kept_keys(stack, "unstored/")
    s3 = boto3.client("s3")
    assert sorted(s3.get_object(Bucket=stack.bucket_name, Key=key)["Body"].read() for key in kept) == sorted(
        seed(name) for name in during
    )
    # Recovered: the sender's own retry of one of them lands first, then the operator replays them all.
    assert post(ingest, seed(during[0]))[0] == 200
    assert replay_unstored(stack) == [Outcome.ACCEPTED] * len(during)
    assert len(stored_events(stack)) == len(SEED_NAMES)
    assert replay_unstored(stack) == []  # nothing left to replay, and nothing stored twice
    assert len(stored_events(stack)) == len(SEED_NAMES)


def test_throttled_write_is_retried_by_botocore_and_stored_once(
    ingest: Invoke, stack: StackResources, inject: Callable[..., Injector]
) -> None:
    throttle = inject(aws.dynamodb(), "PutItem", THROTTLED_DYNAMODB, times=2)
    status, body = post(ingest, seed("000_sms_mt_n201.xml"))
    assert (status, body["stored"], throttle.sent) == (200, 1, 2)
    assert len(stored_events(stack)) == 1


def test_persistent_throttling_is_503_and_the_kept_body_replays_once(
    ingest: Invoke, stack: StackResources, inject: Callable[..., Injector]
) -> None:
    throttle = inject(aws.dynamodb(), "PutItem", THROTTLED_DYNAMODB)
    answers = [post(ingest, seed(name)) for name in SEED_NAMES[:2]]
    assert [(status, body["error"]) for status, body in answers] == [(503, "storage_unavailable")] * 2
    assert stored_events(stack) == []
    throttle.stop()
    assert replay_unstored(stack) == [Outcome.ACCEPTED] * 2
    assert len(stored_events(stack)) == 2


def test_a_write_throttled_until_the_sender_gives_up_is_stored_by_its_retry_with_the_right_status(
    ingest: Invoke, stack: StackResources, inject: Callable[..., Injector]
) -> None:
    # One write per postback and no head item: nothing can be left half-written between two requests.
    assert post(ingest, seed("001_mms_mt_n101_binary.xml"))[0] == 200
    throttle = inject(aws.dynamodb(), "PutItem", THROTTLED_DYNAMODB)
    assert post(ingest, seed("001_mms_mt_n102_binary.xml"))[0] == 503
    store = PostbackStore(stack.table_name)
    halfway = store.get_message("TU1TXzU5Nzg3OQ==")
    assert halfway is not None
    assert (len(halfway.events), halfway.status) == (1, "sent")
    throttle.stop()
    status, body = post(ingest, seed("001_mms_mt_n102_binary.xml"))  # the sender's retry
    assert (status, body["duplicates"]) == (200, 0)
    repaired = store.get_message("TU1TXzU5Nzg3OQ==")
    assert repaired is not None
    assert (len(repaired.events), repaired.status) == (2, "delivered")


def test_table_and_bucket_failing_together_is_503_so_the_sender_keeps_the_body(
    ingest: Invoke, stack: StackResources, inject: Callable[..., Injector]
) -> None:
    table = inject(aws.dynamodb(), "PutItem", THROTTLED_DYNAMODB)
    bucket = inject(aws.s3(), "PutObject", SLOW_DOWN_S3)
    status, body = post(ingest, seed("000_sms_mt_n202.xml"))
    assert (status, body["error"]) == (503, "storage_unavailable")
    assert kept_keys(stack, "unstored/") == []  # nowhere to keep it: the retry is the only copy
    table.stop()
    bucket.stop()
    assert post(ingest, seed("000_sms_mt_n202.xml"))[0] == 200
    assert len(stored_events(stack)) == 1


def test_refused_body_that_cannot_be_kept_is_503_not_4xx(
    ingest: Invoke, stack: StackResources, inject: Callable[..., Injector]
) -> None:
    broken = seed("001_sms_mt_n201_broken_from_mask.xml")
    bucket = inject(aws.s3(), "PutObject", SLOW_DOWN_S3)
    # A 4xx is final for the sender: without a kept copy the body would be gone, so it is asked to retry.
    assert post(ingest, broken)[0] == 503
    bucket.stop()
    status, body = post(ingest, broken)
    assert (status, body["error"]) == (400, "malformed_xml")
    assert len(kept_keys(stack, "quarantine/malformed_xml/")) == 1


def bundle(count: int) -> bytes:
    items = "".join(
        f"<NOTIFICATION><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE><FROM>1555000{n:04d}</FROM><TO>86717</TO>"
        f"<TEXT>hello {n}</TEXT></NOTIFICATION>"
        for n in range(count)
    )
    return f"<POSTBACK>{items}</POSTBACK>".encode()


def test_queue_unavailable_for_a_bundle_is_503_and_the_replay_queues_it(
    ingest: Invoke, worker: Invoke, stack: StackResources, inject: Callable[..., Injector]
) -> None:
    queue = inject(aws.sqs(), "SendMessageBatch", UNAVAILABLE_SQS)
    status, body = post(ingest, bundle(12))
    assert (status, body["error"]) == (503, "storage_unavailable")
    queue.stop()
    assert replay_unstored(stack) == [Outcome.ACCEPTED]
    assert drain(stack, worker) == []
    assert len(stored_events(stack)) == 12


# --- the worker: media host and S3 ----------------------------------------------------------------------


def mms_mo(url: str, tracking_id: str = "MMS_MO_faults") -> bytes:
    return (
        "<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        f"<TRACKINGID>{tracking_id}</TRACKINGID><TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP>"
        f"<CONTENT><FILE>{url}</FILE></CONTENT></NOTIFICATION></POSTBACK>"
    ).encode()


def post_and_fan_out(ingest: Invoke, worker: Invoke, stack: StackResources, url: str) -> None:
    """The MO stored and its one media job turned into its fetch job by the worker."""
    assert post(ingest, mms_mo(url))[0] == 200
    assert deliver_once(stack, worker) == (1, set())


def deliver_once(stack: StackResources, worker: Invoke) -> tuple[int, set[str]]:
    # A failed message comes back at once: its visibility timeout, elapsed.
    return helpers.deliver_once(stack, worker, release_failed=True)


def archived_states(stack: StackResources, tracking_id: str = "MMS_MO_faults") -> list[str]:
    message = PostbackStore(stack.table_name).get_message(tracking_id)
    assert message is not None
    return [entry["state"] for entry in message.media]


def media_objects(stack: StackResources) -> list[bytes]:
    s3 = boto3.client("s3")
    return [s3.get_object(Bucket=stack.bucket_name, Key=key)["Body"].read() for key in kept_keys(stack, "media/")]


def test_media_host_503_is_retried_and_archived_once_it_recovers(
    ingest: Invoke, worker: Invoke, stack: StackResources, media_host: RecordingServer
) -> None:
    post_and_fan_out(ingest, worker, stack, media_host.url("/mms/photo.gif"))
    received, failed = deliver_once(stack, worker)
    assert (received, len(failed)) == (1, 1)  # reported to SQS as failed: it comes back
    assert archived_states(stack) == []
    media_host.status = 200
    received, failed = deliver_once(stack, worker)
    assert (received, failed) == (1, set())
    assert archived_states(stack) == ["archived"]
    assert media_objects(stack) == [media_host.body]
    assert media_host.hits == ["/mms/photo.gif"] * 2


def move_back(stack: StackResources) -> int:
    """Dead letters back to the work queue with `postbacks redrive`; returns how many there were."""
    sqs = boto3.client("sqs")
    dead = dlq.waiting(sqs, stack.dead_letter_queue_url)
    assert dlq.redrive(sqs, stack.dead_letter_queue_url, stack.queue_url, None) == Exit.OK
    return dead


def max_receive_count(stack: StackResources) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["RedrivePolicy"])
    return int(json.loads(attributes["Attributes"]["RedrivePolicy"])["maxReceiveCount"])


def test_media_host_down_past_the_retries_lands_in_the_dlq_and_redrive_archives_it(
    ingest: Invoke, worker: Invoke, stack: StackResources, media_host: RecordingServer
) -> None:
    post_and_fan_out(ingest, worker, stack, media_host.url("/mms/video.mp4"))
    attempts = 0
    while deliver_once(stack, worker)[0]:
        attempts += 1
        assert attempts <= 10, "SQS never gave up on the message"
    assert attempts == max_receive_count(stack)
    assert archived_states(stack) == []
    media_host.status = 200
    assert move_back(stack) == 1
    assert drain(stack, worker) == []
    assert archived_states(stack) == ["archived"]
    assert media_objects(stack) == [media_host.body]


def test_s3_failing_during_archive_is_retried_and_archived_once_it_recovers(
    ingest: Invoke,
    worker: Invoke,
    stack: StackResources,
    media_host: RecordingServer,
    inject: Callable[..., Injector],
) -> None:
    media_host.status = 200
    post_and_fan_out(ingest, worker, stack, media_host.url("/mms/photo.gif"))
    bucket = inject(aws.s3(), "PutObject", SLOW_DOWN_S3)
    received, failed = deliver_once(stack, worker)
    assert (received, len(failed), archived_states(stack)) == (1, 1, [])
    assert bucket.sent >= 1
    bucket.stop()
    assert deliver_once(stack, worker) == (1, set())
    assert archived_states(stack) == ["archived"]
    assert media_objects(stack) == [media_host.body]
