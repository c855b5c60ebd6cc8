"""The media download's overall deadline, end to end: from the worker's remaining time to what S3 is left with."""

from __future__ import annotations

import inspect
import uuid
from typing import TYPE_CHECKING

import boto3
import pytest

from postbacks.outbound.deadline import Deadline
from postbacks.storage.media import PART_SIZE, DeadlineExceeded, FetchLimits, archive
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import LambdaContext
from tests import helpers
from tests.helpers import Invoke, deliver_once, load_function
from tests.moto.media_server import MediaServer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOCAL = FetchLimits(
    max_bytes=64 * PART_SIZE, connect_timeout=2.0, read_timeout=5.0, max_redirects=3, allow_loopback=True
)


def left_in(s3: S3Client, bucket: str) -> tuple[list[str], list[str]]:
    """The bucket's objects and its unfinished multipart uploads."""
    objects = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [upload["Key"] for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return objects, uploads


# --- the overall deadline --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "seconds"), [(0, 0.5), (2 * PART_SIZE, 3.0)], ids=["before-any-part", "mid-multipart"]
)
def test_deadline_passing_mid_download_raises_and_leaves_nothing(
    media: MediaServer, moto_endpoint: str, lead: int, seconds: float
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    # Given a file whose first `lead` bytes come at once (two parts: time enough to send them) and the rest a
    # byte every 50 ms
    url = media.url(f"/trickle?bytes={lead + 10_000}&lead={lead}")

    with pytest.raises(DeadlineExceeded):
        archive(url, bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3, deadline=Deadline.after(seconds))
    assert left_in(s3, bucket) == ([], [])


def test_worker_gives_a_trickling_download_up_before_its_invocation_ends(
    ingest: Invoke, stack: StackResources, media: MediaServer
) -> None:
    # Given an MMS MO whose file trickles for minutes, and a worker invocation with 2 s left after its margin
    status, _ = helpers.post(ingest, mms_mo(media.url("/trickle")))
    assert status == 200
    handler = load_function("worker")
    assert deliver_once(stack, lambda event: handler(event, LambdaContext("postbacks-test"))) == (1, set())
    margin = inspect.unwrap(handler).__globals__["FETCH_MARGIN_SECONDS"]
    context = LambdaContext("postbacks-test", timeout_seconds=margin + 2)

    received, failed = deliver_once(stack, lambda event: handler(event, context))

    # Then the record is handed back to SQS for a retry, and nothing is archived or recorded
    assert (received, len(failed)) == (1, 1)
    assert left_in(boto3.client("s3"), stack.bucket_name) == ([], [])
    message = PostbackStore(stack.table_name).get_message("MMS_MO_deadline")
    assert message is not None
    assert message.media == []


def mms_mo(url: str) -> bytes:
    return (
        "<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        "<TRACKINGID>MMS_MO_deadline</TRACKINGID><TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP>"
        f"<CONTENT><FILE>{url}</FILE></CONTENT></NOTIFICATION></POSTBACK>"
    ).encode()
